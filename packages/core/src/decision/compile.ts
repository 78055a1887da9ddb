import { TailorError } from '../errors';
import type { DecisionConfig, Offer, Placement } from './catalog';
import { createPathTable, type PathTable } from './condition-paths';
import { compileCondition, type CompiledCondition } from './conditions';
import { canonicalJson, hashDecisionConfig } from './config-hash';
import { compileContactPolicies, policyApplies, policyKey, type CompiledContactPolicy, type HistoryEntry } from './contact-policy';
import { computeThompsonWeights, type ExplorationPolicy } from './exploration';
import type { FeaturePlan } from './arbitration';
import type { SyncScorer } from './types';

/** The rule stages, in the order they run; a failing stage is the reason an offer is excluded. */
export const RULE_STAGES = ['eligibility', 'applicability', 'suitability'] as const;
export type RuleStage = (typeof RULE_STAGES)[number];

export interface CompiledRule {
  readonly stage: RuleStage;
  readonly test: CompiledCondition['test'];
  /** Reads profile data: the offer is not a candidate without personalization consent. */
  readonly personal: boolean;
  /**
   * Rules that read only request-level paths (`profile.*`, `features.*`, `context.*`) and are written
   * the same way share a slot: a decision evaluates each once, however many offers use it. -1 otherwise.
   */
  readonly shared: number;
}

export interface CompiledContextWeight {
  readonly test: CompiledCondition['test'];
  readonly weight: number;
  /** Reads more than `context.*`, `offer.*` and `placement.*`: skipped without personalization consent. */
  readonly personal: boolean;
}

/** An offer with everything decide() needs precomputed. */
export interface CompiledOffer {
  readonly index: number;
  readonly id: string;
  readonly offer: Offer;
  readonly value: number;
  /** 1 + Σ levers / 100. */
  readonly levers: number;
  /** Epoch ms; -Infinity / Infinity when open. */
  readonly validFrom: number;
  readonly validTo: number;
  readonly rules: readonly CompiledRule[];
  /** A rule reads profile data (anything but `context.*` and `offer.*`): not a candidate without consent. */
  readonly personal: boolean;
  readonly contextWeights: readonly CompiledContextWeight[];
  readonly modelId: string | undefined;
  /** Selection weight under Thompson sampling (0 under other policies). */
  readonly thompsonWeight: number;
}

/** An offer as a candidate of one placement, with the contact-policy checks that apply to the pair. */
export interface CompiledPair {
  readonly offer: CompiledOffer;
  /** `slot` indexes {@link CompiledDecisionConfig.historySlots}, so a decision looks each key up once. */
  readonly checks: readonly { readonly policy: CompiledContactPolicy; readonly key: string; readonly slot: number }[];
}

export interface CompiledPlacement {
  readonly placement: Placement;
  readonly pairs: readonly CompiledPair[];
  readonly defaults: readonly CompiledOffer[];
}

/** Decision config ready for decide(): conditions compiled, windows parsed, candidates grouped. */
export interface CompiledDecisionConfig {
  readonly config: DecisionConfig;
  readonly version: string;
  readonly hash: string;
  readonly offers: readonly CompiledOffer[];
  readonly offerById: ReadonlyMap<string, CompiledOffer>;
  readonly placements: ReadonlyMap<string, CompiledPlacement>;
  readonly exploration: ExplorationPolicy;
  /** The exploration policy's name and version, as every decision reports them. */
  readonly policy: { readonly exploration: ExplorationPolicy['policy']; readonly version: string };
  readonly defaultPropensity: number;
  readonly ttlMs: number;
  /** Request-level paths the conditions read (`profile.*`, `features.*`, `context.*`), read once per decision. */
  readonly paths: PathTable;
  /** History keys the contact policies count, by slot. */
  readonly historySlots: ReadonlyMap<string, number>;
  /** How many distinct shared rules there are (see {@link CompiledRule.shared}). */
  readonly sharedRules: number;
  /** Feature plans per scorer, built on first use: the feature names come with the scorer, not the config. */
  readonly featurePlans: WeakMap<SyncScorer, FeaturePlan>;
  /** Buffers decide() reuses between calls (typed arrays are costly to allocate per call). */
  readonly scratch: DecisionScratch;
}

/** Flags of `DecisionScratch.offerState`. */
export const OFFER_EVALUATED = 1;
export const OFFER_EXCLUDED = 2;
/** Qualified in some placement: its propensity is needed. */
export const OFFER_NEEDED = 4;
/** Shown in this decision. */
export const OFFER_TAKEN = 8;
/** In a scorer batch already. */
export const OFFER_BATCHED = 16;

/**
 * Working memory of one decision. decide() is synchronous, so calls take turns; `busy` makes a re-entrant
 * call (a scorer that decides) allocate its own.
 */
export interface DecisionScratch {
  busy: boolean;
  /** Per offer: flags of decide(). */
  readonly offerState: Uint8Array;
  readonly propensity: Float64Array;
  /** Per candidate pair of one placement. */
  readonly scores: Float64Array;
  readonly weights: Float64Array;
  readonly contextWeights: Float64Array;
  readonly available: Uint8Array;
  /** Per shared rule: 0 not evaluated yet, 1 holds, 2 does not. */
  readonly ruleResults: Uint8Array;
  /** Surviving pairs of all requested placements (positions in their placement's pairs). */
  readonly alive: Int32Array;
  /** Offer indices of one scorer batch. */
  readonly indices: Int32Array;
  /** History entries by {@link CompiledDecisionConfig.historySlots}. */
  readonly history: (HistoryEntry | undefined)[];
}

export function createDecisionScratch(sizes: { offers: number; maxPairs: number; totalPairs: number; sharedRules: number; historySlots: number }): DecisionScratch {
  const { offers: offerCount, maxPairs, sharedRules } = sizes;
  return {
    busy: false,
    alive: new Int32Array(sizes.totalPairs),
    indices: new Int32Array(offerCount),
    history: new Array<HistoryEntry | undefined>(sizes.historySlots).fill(undefined),
    ruleResults: new Uint8Array(sharedRules),
    offerState: new Uint8Array(offerCount),
    propensity: new Float64Array(offerCount),
    scores: new Float64Array(maxPairs),
    weights: new Float64Array(maxPairs),
    contextWeights: new Float64Array(maxPairs),
    available: new Uint8Array(maxPairs),
  };
}

/**
 * Compiles validated decision config once, so decide() parses nothing and compiles no regex per call.
 * Throws a TailorError for a condition that does not compile: run {@link parseDecisionConfig} first.
 *
 * @example
 * const parsed = parseDecisionConfig(json);
 * if (parsed.ok) compiled = compileDecisionConfig(parsed.config, { hash: parsed.hash });
 */
export function compileDecisionConfig(config: DecisionConfig, options: { hash?: string } = {}): CompiledDecisionConfig {
  const exploration = config.exploration;
  const thompsonWeights = exploration.policy === 'thompson' ? resolveThompsonWeights(config) : undefined;
  const paths = createPathTable(['profile', 'features', 'context']);
  const rules = new Map<string, CompiledRule>();
  const offers = config.offers.map((offer, index) => compileOffer(offer, index, thompsonWeights?.[index] ?? 0, paths, rules));
  const byId = new Map(offers.map((offer) => [offer.id, offer]));
  const policies = compileContactPolicies(config.policies);
  const historySlots = new Map<string, number>();
  const slotOf = (key: string) => {
    let slot = historySlots.get(key);
    if (slot === undefined) historySlots.set(key, (slot = historySlots.size));
    return slot;
  };

  const placements = new Map<string, CompiledPlacement>();
  for (const placement of config.placements) {
    const pairs: CompiledPair[] = [];
    for (const offer of offers) {
      if (!offer.offer.placements.includes(placement.id)) continue;
      const checks = policies
        .filter((policy) => policyApplies(policy, offer.offer, placement))
        .map((policy) => {
          const key = policyKey(policy, offer.id, placement);
          return { policy, key, slot: slotOf(key) };
        });
      pairs.push({ offer, checks });
    }
    const defaults = (config.defaults[placement.id] ?? []).flatMap((id) => byId.get(id) ?? []);
    placements.set(placement.id, { placement, pairs, defaults });
  }

  const policy: ExplorationPolicy =
    exploration.policy === 'epsilon-greedy'
      ? { policy: 'epsilon-greedy', epsilon: exploration.epsilon, ...(exploration.poolSize !== undefined && { poolSize: exploration.poolSize }) }
      : { policy: exploration.policy };
  return {
    config,
    version: config.version,
    hash: options.hash ?? hashDecisionConfig(config),
    offers,
    offerById: byId,
    placements,
    exploration: policy,
    policy: { exploration: policy.policy, version: exploration.version ?? config.version },
    defaultPropensity: config.defaultPropensity,
    ttlMs: config.ttlMs,
    paths,
    historySlots,
    sharedRules: rules.size,
    featurePlans: new WeakMap(),
    scratch: createDecisionScratch(scratchSizes(offers.length, placements, rules.size, historySlots.size)),
  };
}

export function scratchSizes(offers: number, placements: ReadonlyMap<string, CompiledPlacement>, sharedRules: number, historySlots: number) {
  const counts = [...placements.values()].map((entry) => entry.pairs.length);
  return { offers, maxPairs: Math.max(0, ...counts), totalPairs: counts.reduce((sum, n) => sum + n, 0), sharedRules, historySlots };
}

function compileOffer(offer: Offer, index: number, thompsonWeight: number, table: PathTable, sharedRules: Map<string, CompiledRule>): CompiledOffer {
  const rules: CompiledRule[] = [];
  let personal = false;
  for (const stage of RULE_STAGES) {
    const condition = offer[stage];
    if (condition === undefined) continue;
    const key = `${stage}:${canonicalJson(condition)}`;
    const known = sharedRules.get(key);
    if (known) {
      personal ||= known.personal;
      rules.push(known);
      continue;
    }
    const compiled = mustCompile(condition, `offers[${index}].${stage}`, table);
    const rulePersonal = compiled.paths.some((path) => !isNonPersonalPath(path, false));
    personal ||= rulePersonal;
    const requestLevel = compiled.paths.every((path) => table.slotOf(path) >= 0);
    const rule = { stage, test: compiled.test, shared: requestLevel ? sharedRules.size : -1, personal: rulePersonal };
    if (requestLevel) sharedRules.set(key, rule);
    rules.push(rule);
  }
  const contextWeights = (offer.contextWeights ?? []).map((entry, i) => {
    const compiled = mustCompile(entry.when, `offers[${index}].contextWeights[${i}].when`, table);
    return { test: compiled.test, weight: entry.weight, personal: compiled.paths.some((path) => !isNonPersonalPath(path, true)) };
  });
  return {
    index,
    id: offer.id,
    offer,
    value: offer.value,
    levers: leverMultiplier(offer.levers),
    validFrom: offer.validFrom === undefined ? -Infinity : Date.parse(offer.validFrom),
    validTo: offer.validTo === undefined ? Infinity : Date.parse(offer.validTo),
    rules,
    personal,
    contextWeights,
    modelId: offer.modelId,
    thompsonWeight,
  };
}

/** 1 + Σ levers / 100, as Pega defines business levers. */
export function leverMultiplier(levers: Readonly<Record<string, number>> | undefined): number {
  let sum = 0;
  for (const key in levers) sum += levers[key] as number;
  return 1 + sum / 100;
}

function isNonPersonalPath(path: string, placementAllowed: boolean): boolean {
  const root = path.split('.', 1)[0];
  return root === 'context' || root === 'offer' || (placementAllowed && root === 'placement');
}

function mustCompile(condition: unknown, where: string, table: PathTable) {
  const result = compileCondition(condition, { table });
  if (!result.ok) {
    const first = result.issues[0];
    throw new TailorError('invalid_config', `compileDecisionConfig: ${where}${first ? ` ${first.path}: ${first.message}` : ''} — validate the config with parseDecisionConfig first`);
  }
  return result;
}

function resolveThompsonWeights(config: DecisionConfig): Float64Array {
  const exploration = config.exploration;
  if (exploration.policy !== 'thompson') return new Float64Array(config.offers.length);
  if (exploration.weights !== undefined) {
    const weights = exploration.weights;
    return Float64Array.from(config.offers, (offer) => (Object.hasOwn(weights, offer.id) ? (weights[offer.id] as number) : 0));
  }
  const arms = config.offers.map((offer) => {
    const arm = Object.hasOwn(exploration.arms, offer.id) ? exploration.arms[offer.id] : exploration.prior;
    return { alpha: arm?.alpha ?? 1, beta: arm?.beta ?? 1, multiplier: offer.value * leverMultiplier(offer.levers) };
  });
  return computeThompsonWeights(arms, { draws: exploration.draws, seed: `${config.version}:${exploration.version ?? ''}` });
}
