import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkContactPolicies,
  compileCondition,
  compileContactPolicies,
  compileDecisionConfig,
  decideWithCandidates,
  parseDecisionConfig,
  recordOutcome,
  type ContactPolicy,
  type DecisionItem,
  type ExperimentAssignment,
  type InteractionHistory,
  type InteractionOutcome,
  type SyncScorer,
} from './index';

/** Runs every case of spec/decision/*.v1.json (format: spec/decision/README.md). */
const SPEC_DIR = fileURLToPath(new URL('../../../../spec/decision/', import.meta.url));

function load<T>(file: string, spec: string): T {
  const parsed = expand(JSON.parse(readFileSync(SPEC_DIR + file, 'utf8'))) as { spec: string; version: number };
  if (parsed.spec !== spec || parsed.version !== 1) throw new Error(`${file}: expected spec "${spec}" version 1`);
  return parsed as T;
}

function expand(value: unknown): unknown {
  if (typeof value === 'string') {
    const match = /^@repeat:(.):(\d+)$/.exec(value);
    return match ? (match[1] as string).repeat(Number(match[2])) : value;
  }
  if (Array.isArray(value)) return value.map(expand);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, expand(inner)]));
  return value;
}

const ms = (iso: string) => {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) throw new Error(`not an ISO time: ${iso}`);
  return time;
};

type Outcome = InteractionOutcome & { at: string };

function history(outcomes: readonly Outcome[] | undefined): InteractionHistory | undefined {
  let current: InteractionHistory | undefined;
  for (const { at, ...outcome } of outcomes ?? []) current = recordOutcome(current, outcome, ms(at));
  return current;
}

/** Numbers to a relative 1e-6, everything else exactly. */
function expectClose(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, where).toBe('number');
    expect(Math.abs((actual as number) - expected), where).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
  } else if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    for (const [key, inner] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)?.[key], inner, `${where}.${key}`);
  } else {
    expect(actual, where).toEqual(expected);
  }
}

describe('spec/decision/conditions.v1.json', () => {
  const file = load<{
    document: Record<string, unknown>;
    cases: { name: string; condition: unknown; document?: Record<string, unknown>; matches?: boolean; issues?: { path: string; code: string }[] }[];
  }>('conditions.v1.json', 'tailor/decision-conditions');

  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = compileCondition(c.condition);
    if (c.issues) {
      expect(result.ok).toBe(false);
      const issues = result.ok ? [] : result.issues.map((issue) => ({ path: issue.path, code: issue.code }));
      expect(issues).toEqual(expect.arrayContaining(c.issues));
      return;
    }
    if (!result.ok) throw new Error(`did not compile: ${JSON.stringify(result.issues)}`);
    expect(result.test({ ...file.document, ...c.document })).toBe(c.matches);
  });
});

describe('spec/decision/contact-policy.v1.json', () => {
  const file = load<{
    cases: {
      name: string;
      policies: ContactPolicy[];
      outcomes: Outcome[];
      checks: { offer: { id: string; tags: string[] }; placement: { id: string; channel: string }; now: string; allowed: boolean; reason?: string }[];
      history?: Record<string, { impressions: number; rejects: number; oldest?: string }>;
    }[];
  }>('contact-policy.v1.json', 'tailor/decision-contact-policy');

  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const recorded = history(c.outcomes);
    const policies = compileContactPolicies(c.policies);
    for (const check of c.checks) {
      const result = checkContactPolicies(recorded, check.offer, check.placement, policies, ms(check.now));
      expect(result.allowed, `${check.offer.id} in ${check.placement.id} at ${check.now}`).toBe(check.allowed);
      if (check.reason !== undefined) expect(result.allowed ? undefined : result.reason).toBe(check.reason);
    }
    if (c.history) {
      const entries = recorded?.entries ?? {};
      expect(Object.keys(entries).sort()).toEqual(Object.keys(c.history).sort());
      for (const [key, want] of Object.entries(c.history)) {
        const entry = entries[key];
        expect({ impressions: entry?.impressions.length, rejects: entry?.rejects.length }, key).toEqual({ impressions: want.impressions, rejects: want.rejects });
        if (want.oldest !== undefined) expect(entry?.impressions[0], key).toBe(ms(want.oldest));
      }
    }
  });
});

interface LogisticModel {
  id: string;
  version: string;
  featureNames: string[];
  intercept: number;
  coefficients: number[];
}

function logisticScorer(model: LogisticModel): SyncScorer {
  const width = model.featureNames.length;
  return {
    sync: true,
    model: { id: model.id, version: model.version, featureNames: model.featureNames, task: 'classifier', metadata: {} },
    score(input, rows) {
      const out = new Float32Array(rows);
      for (let r = 0; r < rows; r++) {
        let z = 0;
        for (let f = 0; f < width; f++) z += (model.coefficients[f] as number) * (input[r * width + f] as number);
        out[r] = 1 / (1 + Math.exp(-(model.intercept + z)));
      }
      return out;
    },
  };
}

interface ArbitrationCase {
  name: string;
  config: unknown;
  request: { decisionId: string; placements: { id: string; slots?: number }[]; context?: Record<string, unknown>; consent: { personalization: boolean }; now: string };
  profile?: { id: string; traits?: Record<string, unknown>; features?: Record<string, number> };
  outcomes?: Outcome[];
  assignments?: ExperimentAssignment[];
  models?: LogisticModel[];
  random?: number[];
  expect: {
    placements?: { placementId: string; reason?: string; items: (Partial<DecisionItem> & { offerId: string })[] }[];
    mode?: string;
    ttlMs?: number;
    models?: { id: string; version: string }[];
    policy?: Record<string, string>;
    experiments?: number;
    excluded?: { offerId: string; placementId: string; reason: string }[];
  };
}

describe('spec/decision/arbitration.v1.json', () => {
  const file = load<{ cases: ArbitrationCase[] }>('arbitration.v1.json', 'tailor/decision-arbitration');

  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const parsed = parseDecisionConfig(c.config);
    if (!parsed.ok) throw new Error(`config does not parse: ${JSON.stringify(parsed.issues)}`);
    const numbers = [...(c.random ?? [])];
    const random = {
      random() {
        const next = numbers.shift();
        if (next === undefined) throw new Error('exploration drew more random numbers than the case lists');
        return next;
      },
    };
    const { response, candidates } = decideWithCandidates(
      { ...c.request, now: ms(c.request.now) },
      {
        config: compileDecisionConfig(parsed.config, { hash: parsed.hash }),
        ...(c.profile && { profile: c.profile }),
        ...(c.outcomes && { history: history(c.outcomes) as InteractionHistory }),
        ...(c.assignments && { assignments: c.assignments }),
        scorers: new Map((c.models ?? []).map((model) => [model.id, logisticScorer(model)])),
        random,
      },
    );
    // decide() answers with the defaults instead of throwing; a case that ran out of numbers must fail.
    expect(response.policy.mode).not.toBe('fallback');
    const want = c.expect;
    if (want.mode !== undefined) expect(response.policy.mode).toBe(want.mode);
    if (want.ttlMs !== undefined) expect(response.ttlMs).toBe(want.ttlMs);
    if (want.models !== undefined) expect(response.models).toEqual(want.models);
    if (want.policy !== undefined) expect(response.policy).toMatchObject(want.policy);
    if (want.experiments !== undefined) expect(response.experiments).toHaveLength(want.experiments);
    if (want.placements !== undefined) {
      expect(response.placements.map((p) => ({ placementId: p.placementId, offers: p.items.map((item) => item.offerId) }))).toEqual(
        want.placements.map((p) => ({ placementId: p.placementId, offers: p.items.map((item) => item.offerId) })),
      );
      want.placements.forEach((placement, p) => {
        const actual = response.placements[p];
        if (placement.reason !== undefined) expect(actual?.reason).toBe(placement.reason);
        placement.items.forEach((item, i) => {
          const { offerId, reasons, ...numbersAndParts } = item;
          const got = actual?.items[i];
          if (reasons !== undefined) expect(got?.reasons, `${offerId}.reasons`).toEqual(reasons);
          expectClose(got, numbersAndParts, offerId);
        });
      });
    }
    for (const excluded of want.excluded ?? []) {
      expect(candidates).toContainEqual(expect.objectContaining({ ...excluded, status: 'excluded' }));
    }
  });
});
