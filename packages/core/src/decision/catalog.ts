import * as z from 'zod';
import { formatIssuePath } from '../issues';
import { compileCondition } from './conditions';
import { hashDecisionConfig } from './config-hash';
import { HISTORY_LIMITS, parseDuration } from './contact-policy';

// Decision config is validated once, where it enters (the collector when it is published, a client when a
// cached copy is read back); decide() then works on plain objects and never touches zod.

const idSchema = z.string().min(1).max(256);
const conditionSchema = z.record(z.string(), z.unknown());
const durationSchema = z.union([z.number(), z.string()]).refine((value) => {
  const ms = parseDuration(value);
  return ms !== undefined && ms <= HISTORY_LIMITS.maxAgeMs;
}, { error: 'a window is a positive number of milliseconds or a string like "30m", "24h", "7d", "2w", at most 90 days' });
const countSchema = z.number().int().min(1).max(HISTORY_LIMITS.maxTimestamps);

/**
 * An offer: what can be shown, where, for how much value, and to whom (its three rule stages, in Pega's
 * order: eligibility — may this person get it at all; applicability — does it fit this context;
 * suitability — is it appropriate for them now).
 */
export const offerSchema = z.object({
  id: idSchema,
  name: z.string().max(1024).optional(),
  /** Placement ids it may appear in. An offer in no placement can still be a default. */
  placements: z.array(idSchema).default([]),
  /** Business value of a conversion (a margin, a lifetime-value estimate, a points cost …), ≥ 0. */
  value: z.number().min(0),
  margin: z.number().optional(),
  /** ISO 8601 with an offset; the offer is valid from `validFrom` (inclusive) to `validTo` (exclusive). */
  validFrom: z.iso.datetime({ offset: true }).optional(),
  validTo: z.iso.datetime({ offset: true }).optional(),
  /** What the client renders: any JSON. */
  creative: z.json().default({}),
  tags: z.array(z.string().min(1).max(256)).default([]),
  /** Business levers in percent: the priority is multiplied by 1 + Σ levers / 100. */
  levers: z.record(z.string(), z.number()).optional(),
  /** Multipliers of the priority for contexts: every `when` that matches multiplies by its `weight`. */
  contextWeights: z.array(z.object({ when: conditionSchema, weight: z.number().min(0) })).optional(),
  eligibility: conditionSchema.optional(),
  applicability: conditionSchema.optional(),
  suitability: conditionSchema.optional(),
  /** The model that scores its propensity; without one the offer gets `defaultPropensity`. */
  modelId: idSchema.optional(),
});

/** A slot group on a surface: the home page hero (1 slot), a recommendations rail (4), a receipt (1). */
export const placementSchema = z.object({
  id: idSchema,
  slots: z.number().int().min(1).max(100),
  /** `web`, `app`, `pos`, `email`, … (the catalog's CHANNELS, or your own); channel contact policies key on it. */
  channel: z.string().min(1).max(64),
});

export const contactPolicySchema = z
  .object({
    id: idSchema,
    scope: z.enum(['offer', 'placement', 'channel']),
    maxImpressions: z.object({ count: countSchema, window: durationSchema }).optional(),
    suppressAfterRejects: z.object({ count: countSchema, window: durationSchema }).optional(),
    match: z
      .object({
        offers: z.array(idSchema).optional(),
        tags: z.array(z.string()).optional(),
        placements: z.array(idSchema).optional(),
        channels: z.array(z.string()).optional(),
      })
      .optional(),
  })
  .refine((policy) => policy.maxImpressions !== undefined || policy.suppressAfterRejects !== undefined, {
    error: 'a contact policy needs "maxImpressions", "suppressAfterRejects" or both',
  });

const betaSchema = z.object({ alpha: z.number().positive(), beta: z.number().positive() });

/** How slots are filled; `version` names the policy (a Thompson batch id) in every decision. */
export const explorationSchema = z.discriminatedUnion('policy', [
  z.object({ policy: z.literal('greedy'), version: z.string().optional() }),
  z.object({
    policy: z.literal('epsilon-greedy'),
    version: z.string().optional(),
    epsilon: z.number().min(0).max(1),
    /** Explore among the `poolSize` best remaining candidates instead of all of them. */
    poolSize: z.number().int().min(1).optional(),
  }),
  z.object({
    policy: z.literal('thompson'),
    /** The batch id: weights are fixed within a batch. */
    version: z.string().optional(),
    /** Beta posterior per offer id; offers not listed get `prior`. */
    arms: z.record(z.string(), betaSchema).default({}),
    prior: betaSchema.default({ alpha: 1, beta: 1 }),
    /** Precomputed selection weights per offer id (the collector ships them); when given, offers not listed get 0. */
    weights: z.record(z.string(), z.number().min(0)).optional(),
    /** Monte Carlo rounds when the weights are computed from the arms. */
    draws: z.number().int().min(100).max(100_000).default(2000),
  }),
]);

/** A model the config's offers refer to; the scorer itself is passed to decide(). */
export const modelRefSchema = z.object({
  id: idSchema,
  version: z.string().min(1),
  url: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

export const decisionConfigSchema = z.object({
  version: z.string().min(1).max(128),
  offers: z.array(offerSchema).max(20_000),
  placements: z.array(placementSchema),
  policies: z.array(contactPolicySchema).default([]),
  exploration: explorationSchema.default({ policy: 'greedy' }),
  /** Offers per placement id to show, in order, when nothing qualifies (and to everyone in the holdout). */
  defaults: z.record(z.string(), z.array(idSchema)).default({}),
  models: z.array(modelRefSchema).default([]),
  /** Propensity of offers without a model (and of every offer without personalization consent). */
  defaultPropensity: z.number().min(0).default(1),
  /** How long a client may reuse a decision; capped by the earliest `validTo` among the shown offers. */
  ttlMs: z.number().int().min(0).default(60_000),
  /** Experiment definitions, passed through (the experiments module validates them). */
  experiments: z.array(z.unknown()).optional(),
  /** Holdout definition, passed through; decide() reads the holdout from the assignments it is given. */
  holdout: z.unknown().optional(),
});

/** An interaction history as stores keep it: validate it where it is read back (decide() trusts it). */
export const interactionHistorySchema = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), z.object({ impressions: z.array(z.number()), rejects: z.array(z.number()) })),
});

export type Offer = z.output<typeof offerSchema>;
export type Placement = z.output<typeof placementSchema>;
export type ExplorationConfig = z.output<typeof explorationSchema>;
export type ModelRef = z.output<typeof modelRefSchema>;
export type DecisionConfig = z.output<typeof decisionConfigSchema>;
/** Decision config as authored: defaults may be left out. */
export type DecisionConfigInput = z.input<typeof decisionConfigSchema>;

/** One problem with a decision config: `path` like `offers[3].eligibility.$and[0]`. */
export interface DecisionConfigIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export type ParseDecisionConfigResult =
  | { readonly ok: true; readonly config: DecisionConfig; readonly hash: string }
  | { readonly ok: false; readonly issues: readonly DecisionConfigIssue[] };

/**
 * Validates decision config: shapes, then references (placements, models, defaults, arms, policy
 * filters) and every condition. Returns the config with defaults filled in and its content hash.
 *
 * @example
 * const result = parseDecisionConfig(await response.json());
 * if (!result.ok) console.error(result.issues); // [{ path: 'offers[2].eligibility.$foo', code: 'unknown_operator', … }]
 */
export function parseDecisionConfig(input: unknown): ParseDecisionConfigResult {
  const parsed = decisionConfigSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), code: issue.code, message: issue.message })) };
  }
  const issues = checkReferences(parsed.data);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, config: parsed.data, hash: hashDecisionConfig(parsed.data) };
}

function checkReferences(config: DecisionConfig): DecisionConfigIssue[] {
  const issues: DecisionConfigIssue[] = [];
  const add = (path: PropertyKey[], code: string, message: string) => issues.push({ path: formatIssuePath(path), code, message });
  const unique = (ids: readonly string[], list: string) => {
    const seen = new Set<string>();
    ids.forEach((id, index) => {
      if (seen.has(id)) add([list, index, 'id'], 'duplicate_id', `"${id}" appears twice in ${list}`);
      seen.add(id);
    });
    return seen;
  };
  const offers = unique(config.offers.map((offer) => offer.id), 'offers');
  const placements = unique(config.placements.map((placement) => placement.id), 'placements');
  const models = unique(config.models.map((model) => model.id), 'models');
  unique(config.policies.map((policy) => policy.id), 'policies');

  config.offers.forEach((offer, index) => {
    const at = ['offers', index];
    offer.placements.forEach((id, i) => {
      if (!placements.has(id)) add([...at, 'placements', i], 'unknown_placement', `no placement "${id}" in placements`);
    });
    if (offer.modelId !== undefined && !models.has(offer.modelId)) add([...at, 'modelId'], 'unknown_model', `no model "${offer.modelId}" in models`);
    if (offer.validFrom !== undefined && offer.validTo !== undefined && Date.parse(offer.validFrom) >= Date.parse(offer.validTo)) {
      add([...at, 'validTo'], 'invalid_window', 'validTo must be after validFrom');
    }
    for (const stage of ['eligibility', 'applicability', 'suitability'] as const) {
      const condition = offer[stage];
      if (condition !== undefined) addConditionIssues(condition, [...at, stage], RULE_ROOTS, issues);
    }
    offer.contextWeights?.forEach((weight, i) => addConditionIssues(weight.when, [...at, 'contextWeights', i, 'when'], WEIGHT_ROOTS, issues));
  });

  for (const [placementId, ids] of Object.entries(config.defaults)) {
    if (!placements.has(placementId)) add(['defaults', placementId], 'unknown_placement', `no placement "${placementId}" in placements`);
    ids.forEach((id, i) => {
      if (!offers.has(id)) add(['defaults', placementId, i], 'unknown_offer', `no offer "${id}" in offers`);
    });
  }
  config.policies.forEach((policy, index) => {
    policy.match?.offers?.forEach((id, i) => {
      if (!offers.has(id)) add(['policies', index, 'match', 'offers', i], 'unknown_offer', `no offer "${id}" in offers`);
    });
    policy.match?.placements?.forEach((id, i) => {
      if (!placements.has(id)) add(['policies', index, 'match', 'placements', i], 'unknown_placement', `no placement "${id}" in placements`);
    });
  });
  const exploration = config.exploration;
  if (exploration.policy === 'thompson') {
    for (const list of ['arms', 'weights'] as const) {
      for (const id of Object.keys(exploration[list] ?? {})) {
        if (!offers.has(id)) add(['exploration', list, id], 'unknown_offer', `no offer "${id}" in offers`);
      }
    }
  }
  return issues;
}

/** What rules can read: they run once per offer, before any placement is considered. */
const RULE_ROOTS = ['profile', 'features', 'context', 'offer'];
/** Context weights run per placement, so they can read it too. */
const WEIGHT_ROOTS = [...RULE_ROOTS, 'placement'];

function addConditionIssues(condition: unknown, at: PropertyKey[], roots: readonly string[], issues: DecisionConfigIssue[]): void {
  const result = compileCondition(condition);
  const prefix = formatIssuePath(at);
  const join = (path: string) => (path === '' ? prefix : path.startsWith('[') ? prefix + path : `${prefix}.${path}`);
  if (!result.ok) {
    for (const issue of result.issues) issues.push({ path: join(issue.path), code: issue.code, message: issue.message });
    return;
  }
  for (const path of result.paths) {
    const root = path.split('.', 1)[0] as string;
    if (!roots.includes(root)) {
      issues.push({ path: join(path), code: 'unknown_root', message: `a path here starts with one of ${roots.join(', ')} (e.g. "profile.traits.tier"), not "${root}"` });
    }
  }
}
