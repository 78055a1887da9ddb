import { describe, expect, it, vi } from 'vitest';
import { parseDecisionConfig, type DecisionConfigInput } from './catalog';
import { compileDecisionConfig, type CompiledDecisionConfig } from './compile';
import { recordOutcome } from './contact-policy';
import { decide, decideWithCandidates, type DecisionInputs, type DecisionRequest } from './decide';
import { toDecisionLogRecord } from './decision-log';
import { outcomeRecordSchema } from './outcome-record';
import type { SyncScorer } from './types';

// End-to-end arbitration is in spec/decision/arbitration.v1.json; these tests cover scorers, failure
// handling, reuse of buffers between calls and the decision log.

const NOW = Date.parse('2026-03-01T12:00:00Z');

function compile(input: DecisionConfigInput): CompiledDecisionConfig {
  const parsed = parseDecisionConfig(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compileDecisionConfig(parsed.config, { hash: parsed.hash });
}

function request(overrides: Partial<DecisionRequest> = {}): DecisionRequest {
  return { decisionId: 'd-1', placements: [{ id: 'hero' }], consent: { personalization: true }, now: NOW, ...overrides };
}

/** A scorer that returns fixed values per call and records what it was given. */
function recordingScorer(featureNames: string[], score: (row: number[]) => number): SyncScorer & { calls: { rows: number; input: number[][] }[] } {
  const calls: { rows: number; input: number[][] }[] = [];
  return {
    calls,
    sync: true,
    model: { id: 'm', version: '3', featureNames, task: 'classifier', metadata: {} },
    score(input, rows) {
      const width = featureNames.length;
      const matrix = Array.from({ length: rows }, (_, r) => Array.from(input.subarray(r * width, (r + 1) * width)));
      calls.push({ rows, input: matrix });
      return Float32Array.from(matrix, score);
    },
  };
}

const TWO_OFFERS: DecisionConfigInput = {
  version: 'v1',
  placements: [{ id: 'hero', slots: 2, channel: 'web' }],
  offers: [
    { id: 'a', placements: ['hero'], value: 10, modelId: 'm', tags: ['sale'], levers: { boost: 5 } },
    { id: 'b', placements: ['hero'], value: 20, modelId: 'm' },
  ],
  models: [{ id: 'm', version: '3' }],
};

describe('decide: scoring', () => {
  it('builds each row from features, context and offer fields, and scores all candidates of a model in one call', () => {
    const scorer = recordingScorer(['features.orders', 'orders', 'context.cart.value', 'context.isMember', 'offer.value', 'offer.tags.sale', 'offer.id.b', 'offer.levers.boost', 'context.page'], () => 0.5);
    const config = compile(TWO_OFFERS);
    const response = decide(request({ context: { cart: { value: 42 }, isMember: true, page: '/home' } }), {
      config,
      profile: { id: 'p1', features: { orders: 3 } },
      scorers: new Map([['m', scorer]]),
    });
    expect(scorer.calls).toHaveLength(1);
    expect(scorer.calls[0]?.input).toEqual([
      [3, 3, 42, 1, 10, 1, 0, 5, 0],
      [3, 3, 42, 1, 20, 0, 1, 0, 0],
    ]);
    expect(response.placements[0]?.items.map((item) => item.reasons)).toEqual([
      ['greedy', 'model:m', 'missing-features:context.page'],
      ['greedy', 'model:m', 'missing-features:context.page'],
    ]);
    expect(response.models).toEqual([{ id: 'm', version: '3' }]);
  });

  it('excludes an offer its model scores as NaN or below 0, and keeps the others', () => {
    const scorer = recordingScorer(['offer.value'], (row) => (row[0] === 10 ? Number.NaN : 0.2));
    const { response, candidates } = decideWithCandidates(request(), { config: compile(TWO_OFFERS), profile: { id: 'p1' }, scorers: new Map([['m', scorer]]) });
    expect(response.placements[0]?.items.map((item) => item.offerId)).toEqual(['b']);
    expect(candidates).toContainEqual({ offerId: 'a', placementId: 'hero', status: 'excluded', reason: 'invalid-score:m' });
  });

  it('falls back to the default propensity when the scorer throws or returns too few values', () => {
    const throwing: SyncScorer = { ...recordingScorer(['offer.value'], () => 0), score: () => { throw new Error('wasm trap'); } };
    const short: SyncScorer = { ...recordingScorer(['offer.value'], () => 0), score: () => new Float32Array(1) };
    for (const scorer of [throwing, short]) {
      const response = decide(request(), { config: compile({ ...TWO_OFFERS, defaultPropensity: 0.1 }), profile: { id: 'p1' }, scorers: new Map([['m', scorer]]) });
      expect(response.placements[0]?.items.map((item) => [item.offerId, item.scoreParts.propensity, item.reasons])).toEqual([
        ['b', 0.1, ['greedy', 'model-error:m']],
        ['a', 0.1, ['greedy', 'model-error:m']],
      ]);
      expect(response.models).toEqual([]);
    }
  });
});

describe('decide: never throws', () => {
  it('answers a broken history with the defaults and mode "fallback"', () => {
    const config = compile({ ...TWO_OFFERS, offers: [...(TWO_OFFERS.offers ?? []), { id: 'd', placements: [], value: 0 }], defaults: { hero: ['d'] }, policies: [{ id: 'cap', scope: 'offer', maxImpressions: { count: 1, window: '1d' } }] });
    const history = { version: 1 as const, entries: { 'offer:a': null as never } };
    const response = decide(request(), { config, profile: { id: 'p1' }, history });
    expect(response.policy.mode).toBe('fallback');
    expect(response.placements[0]?.items.map((item) => item.offerId)).toEqual(['d']);
  });

  it('reads a context value that throws as missing', () => {
    const config = compile({ ...TWO_OFFERS, offers: [{ id: 'a', placements: ['hero'], value: 2, applicability: { 'context.page.path': '/x' } }, { id: 'b', placements: ['hero'], value: 1 }] });
    const context = { get page(): never { throw new Error('getter'); } };
    const { response, candidates } = decideWithCandidates(request({ context }), { config });
    expect(response.policy.mode).toBe('personalized');
    expect(response.placements[0]?.items.map((item) => item.offerId)).toEqual(['b']);
    expect(candidates).toContainEqual({ offerId: 'a', placementId: 'hero', status: 'excluded', reason: 'applicability' });
  });
});

describe('decide: buffers reused between calls', () => {
  it('gives every call the answer a fresh compile would give', () => {
    const input: DecisionConfigInput = {
      version: 'v1',
      placements: [{ id: 'hero', slots: 1, channel: 'web' }, { id: 'rail', slots: 2, channel: 'web' }],
      offers: ['gold', 'silver', 'any'].map((tier, i) => ({
        id: `o-${tier}`,
        placements: ['hero', 'rail'],
        value: 10 - i,
        ...(tier !== 'any' && { eligibility: { 'profile.traits.tier': tier } }),
      })),
      policies: [{ id: 'cap', scope: 'offer', maxImpressions: { count: 1, window: '1d' } }],
    };
    const shared = compile(input);
    const profiles = [{ tier: 'gold' }, { tier: 'silver' }, {}, { tier: 'gold' }];
    const history = recordOutcome(undefined, { type: 'impression', offerId: 'o-any', placementId: 'hero', channel: 'web' }, NOW - 1000);
    profiles.forEach((traits, i) => {
      const inputs: Omit<DecisionInputs, 'config'> = { profile: { id: `p${i}`, traits }, ...(i % 2 === 1 && { history }) };
      const req = request({ decisionId: `d-${i}`, placements: [{ id: 'hero' }, { id: 'rail' }] });
      expect(decide(req, { ...inputs, config: shared })).toEqual(decide(req, { ...inputs, config: compile(input) }));
    });
  });

  it('lets a scorer that decides again get its own buffers', () => {
    const config = compile(TWO_OFFERS);
    let inner: ReturnType<typeof decide> | undefined;
    const reentrant: SyncScorer = {
      ...recordingScorer(['offer.value'], () => 0),
      score(input, rows) {
        inner ??= decide(request({ decisionId: 'inner' }), { config, profile: { id: 'p2' } });
        return Float32Array.from({ length: rows }, (_, r) => (input[r] as number) / 100);
      },
    };
    const outer = decide(request(), { config, profile: { id: 'p1' }, scorers: new Map([['m', reentrant]]) });
    expect(outer.placements[0]?.items.map((item) => [item.offerId, item.score])).toEqual([
      ['b', expect.closeTo(20 * 0.2, 6)],
      ['a', expect.closeTo(10 * 0.1 * 1.05, 6)],
    ]);
    expect(inner?.placements[0]?.items.map((item) => item.offerId)).toEqual(['b', 'a']);
  });
});

describe('decide: exploration randomness', () => {
  it('is seeded from the decisionId by default, so a decision replays', () => {
    const config = compile({
      version: 'v1',
      placements: [{ id: 'hero', slots: 3, channel: 'web' }],
      offers: Array.from({ length: 12 }, (_, i) => ({ id: `o${i}`, placements: ['hero'], value: i + 1 })),
      exploration: { policy: 'epsilon-greedy', epsilon: 0.9 },
    });
    const runs = Array.from({ length: 20 }, (_, i) => decide(request({ decisionId: `id-${i}` }), { config }).placements[0]?.items.map((item) => item.offerId));
    expect(Array.from({ length: 20 }, (_, i) => decide(request({ decisionId: `id-${i}` }), { config }).placements[0]?.items.map((item) => item.offerId))).toEqual(runs);
    expect(new Set(runs.map((ids) => ids?.join())).size).toBeGreaterThan(1);
  });

  it('uses the injected random source instead when given', () => {
    const config = compile({ ...TWO_OFFERS, offers: [{ id: 'a', placements: ['hero'], value: 1 }, { id: 'b', placements: ['hero'], value: 2 }], exploration: { policy: 'epsilon-greedy', epsilon: 0.5 } });
    const random = { random: vi.fn(() => 0.1) };
    const response = decide(request({ placements: [{ id: 'hero', slots: 1 }] }), { config, random });
    expect(random.random).toHaveBeenCalledTimes(2);
    expect(response.placements[0]?.items[0]).toMatchObject({ offerId: 'a', selectionProbability: 0.25, reasons: ['explore', 'default-propensity'] });
  });
});

describe('decision log', () => {
  const config = compile({
    version: 'v9',
    placements: [{ id: 'hero', slots: 1, channel: 'web' }],
    offers: [
      { id: 'a', placements: ['hero'], value: 10 },
      { id: 'b', placements: ['hero'], value: 5 },
      { id: 'c', placements: ['hero'], value: 50, eligibility: { 'features.orders': { $gte: 1 } } },
    ],
    exploration: { policy: 'epsilon-greedy', epsilon: 0.1, version: 'eps-1' },
  });

  it('records every candidate, the chosen items with their probabilities, versions, assignments and consent', () => {
    const assignments = [{ experimentKey: 'x', variationIndex: 1, variationKey: 'b', hashAttribute: 'profileId', hashValue: 'p1', inExperiment: true, reason: 'assigned' }];
    const req = request({ context: { page: '/home' } });
    const { response, candidates } = decideWithCandidates(req, { config, profile: { id: 'p1', features: {} }, assignments, random: { random: () => 0.5 } });
    const record = toDecisionLogRecord(req, response, candidates, { profileId: 'p1' });
    expect(record).toEqual({
      type: 'decision',
      schemaVersion: 1,
      decisionId: 'd-1',
      timestamp: NOW,
      profileId: 'p1',
      consent: { personalization: true },
      mode: 'personalized',
      context: { page: '/home' },
      configVersion: 'v9',
      configHash: config.hash,
      policy: { exploration: 'epsilon-greedy', version: 'eps-1', mode: 'personalized' },
      models: [],
      experiments: assignments,
      placements: [{ placementId: 'hero', items: [{ offerId: 'a', rank: 1, score: 10, selectionProbability: expect.closeTo(0.95, 12), selection: 'exploit' }] }],
      candidates: [
        { offerId: 'c', placementId: 'hero', status: 'excluded', reason: 'eligibility' },
        { offerId: 'a', placementId: 'hero', status: 'shown', score: 10, scoreParts: { propensity: 1, contextWeight: 1, value: 10, levers: 1 }, rank: 1, selectionProbability: expect.closeTo(0.95, 12), selection: 'exploit' },
        { offerId: 'b', placementId: 'hero', status: 'passed', score: 5, scoreParts: { propensity: 1, contextWeight: 1, value: 5, levers: 1 } },
      ],
    });
  });

  it('leaves the profile out when there is no personalization consent', () => {
    const req = request({ consent: { personalization: false } });
    const { response, candidates } = decideWithCandidates(req, { config, profile: { id: 'p1' }, random: { random: () => 0.5 } });
    const record = toDecisionLogRecord(req, response, candidates, { profileId: 'p1' });
    expect(record).not.toHaveProperty('profileId');
    expect(record.consent).toEqual({ personalization: false });
    expect(record.candidates).toContainEqual({ offerId: 'c', placementId: 'hero', status: 'excluded', reason: 'requires-consent' });
  });

  it('validates outcome records at the edge', () => {
    expect(outcomeRecordSchema.safeParse({ type: 'click', decisionId: 'd-1', offerId: 'a', placementId: 'hero', timestamp: NOW }).success).toBe(true);
    expect(outcomeRecordSchema.safeParse({ type: 'hover', decisionId: 'd-1', offerId: 'a', placementId: 'hero', timestamp: NOW }).success).toBe(false);
  });
});

describe('decide: model overrides from experiments', () => {
  const assigned = (value: unknown, inExperiment = true) => ({
    experimentKey: 'rollout',
    variationIndex: inExperiment ? 1 : -1,
    variationKey: inExperiment ? 'v2' : '-1',
    hashAttribute: 'profileId',
    hashValue: 'p1',
    inExperiment,
    reason: inExperiment ? 'assigned' : 'not-in-coverage',
    value,
  });
  const constant = (id: string, version: string, p: number): SyncScorer => ({
    sync: true,
    model: { id, version, featureNames: ['offer.value'], task: 'classifier', metadata: {} },
    score: (_input, rows) => new Float32Array(rows).fill(p),
  });
  const scorers = new Map([
    ['m', constant('m', '3', 0.1)],
    ['m-v4', constant('m-v4', '4', 0.4)],
  ]);
  const config = compile(TWO_OFFERS);
  const profile = { id: 'p1', features: {} };

  it('scores the overridden model with its replacement and records the replacement in the response and the log', () => {
    const req = request();
    const { response, candidates } = decideWithCandidates(req, { config, profile, scorers, assignments: [assigned({ models: { m: 'm-v4' } })] });
    expect(response.placements[0]?.items.map((item) => item.scoreParts.propensity)).toEqual([Math.fround(0.4), Math.fround(0.4)]);
    expect(response.placements[0]?.items[0]?.reasons).toEqual(['greedy', 'model:m-v4', 'model-override:m']);
    expect(response.models).toEqual([{ id: 'm-v4', version: '4' }]);
    expect(toDecisionLogRecord(req, response, candidates, { profileId: 'p1' }).models).toEqual([{ id: 'm-v4', version: '4' }]);
  });

  it('keeps the original model and says so when the replacement has no scorer', () => {
    const response = decide(request(), { config, profile, scorers, assignments: [assigned({ models: { m: 'm-v9' } })] });
    expect(response.placements[0]?.items.map((item) => item.scoreParts.propensity)).toEqual([Math.fround(0.1), Math.fround(0.1)]);
    expect(response.placements[0]?.items[0]?.reasons).toEqual(['greedy', 'model:m', 'model-override-missing:m-v9']);
    expect(response.models).toEqual([{ id: 'm', version: '3' }]);
  });

  it('ignores variations outside the experiment, values without models, and malformed overrides', () => {
    const plain = decide(request(), { config, profile, scorers });
    for (const assignment of [
      assigned({ models: { m: 'm-v4' } }, false),
      assigned({ policy: 'thompson' }),
      assigned({ models: ['m-v4'] }),
      assigned({ models: { m: 4 } }),
      assigned('m-v4'),
      assigned(null),
    ]) {
      expect(decide(request(), { config, profile, scorers, assignments: [assignment] })).toEqual({ ...plain, experiments: [assignment] });
    }
  });

  it('lets the first experiment win when two replace the same model', () => {
    const response = decide(request(), {
      config,
      profile,
      scorers: new Map([...scorers, ['m-v5', constant('m-v5', '5', 0.5)]]),
      assignments: [assigned({ models: { m: 'm-v4' } }), { ...assigned({ models: { m: 'm-v5' } }), experimentKey: 'other' }],
    });
    expect(response.models).toEqual([{ id: 'm-v4', version: '4' }]);
  });

  it('has no effect without personalization consent (no model scores then)', () => {
    const response = decide(request({ consent: { personalization: false } }), { config, profile, scorers, assignments: [assigned({ models: { m: 'm-v4' } })] });
    expect(response.models).toEqual([]);
    expect(response.placements[0]?.items[0]?.reasons).toEqual(['greedy', 'non-personalized']);
  });
});
