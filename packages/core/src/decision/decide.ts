import type { RandomSource } from '../platform';
import { contextWeightOf, propensityReasons, scoreNeeded } from './arbitration';
import {
  OFFER_EVALUATED,
  OFFER_EXCLUDED,
  OFFER_NEEDED,
  OFFER_TAKEN,
  createDecisionScratch,
  scratchSizes,
  type CompiledDecisionConfig,
  type CompiledOffer,
  type CompiledPair,
  type CompiledPlacement,
  type CompiledRule,
  type DecisionScratch,
} from './compile';
import { checkPolicyEntry, type HistoryEntry, type InteractionHistory } from './contact-policy';
import { chooseSlot, createSeededRandom, type ExplorationPolicy, type SelectionKind, type SlotCandidates } from './exploration';
import { getModelOverrides, noteOverrides, withOverrides } from './model-overrides';
import type { ExperimentAssignment, FeatureValues, SyncScorer } from './types';

/** What is being asked: which placements, in which context, under which consent, at what time. */
export interface DecisionRequest {
  /** Supplied by the caller (a UUID); seeds exploration, so a decision can be replayed. */
  readonly decisionId: string;
  /** Filled in order; an offer shown in one placement is not a candidate in the later ones. */
  readonly placements: readonly { readonly id: string; readonly slots?: number }[];
  /** Page, cart, channel, device, …: what conditions see as `context.*`. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Without personalization consent, no profile, feature or history is read at all. */
  readonly consent: { readonly personalization: boolean };
  /** Epoch ms. */
  readonly now: number;
}

export interface DecisionProfile {
  readonly id: string;
  readonly traits?: Readonly<Record<string, unknown>>;
  readonly features?: FeatureValues;
}

/** Everything else decide() reads, passed explicitly so the function stays pure. */
export interface DecisionInputs {
  readonly config: CompiledDecisionConfig;
  readonly profile?: DecisionProfile;
  readonly history?: InteractionHistory;
  /** Scorers by model id; an offer whose model has none gets the default propensity. */
  readonly scorers?: ReadonlyMap<string, SyncScorer>;
  /** Computed by the caller; passed through, and a `holdout` assignment gets the default experience. */
  readonly assignments?: readonly ExperimentAssignment[];
  /** Exploration's random numbers; by default a generator seeded with the decisionId. */
  readonly random?: RandomSource;
}

/** priority = propensity × contextWeight × value × levers. */
export interface ScoreParts {
  readonly propensity: number;
  readonly contextWeight: number;
  readonly value: number;
  readonly levers: number;
}

export interface DecisionItem {
  readonly offerId: string;
  /** 1-based slot. */
  readonly rank: number;
  readonly score: number;
  /** Probability that this offer was chosen for this slot, given the slots and placements before it. */
  readonly selectionProbability: number;
  readonly reasons: readonly string[];
  readonly scoreParts: ScoreParts;
  readonly creative: unknown;
}

export interface PlacementDecision {
  readonly placementId: string;
  readonly items: readonly DecisionItem[];
  /** Set when the placement could not be decided: `unknown-placement`. */
  readonly reason?: string;
}

/** `fallback`: decide() met an unexpected failure and answered with the defaults. */
export type DecisionMode = 'personalized' | 'non-personalized' | 'holdout' | 'fallback';

export interface DecisionResponse {
  readonly decisionId: string;
  readonly placements: readonly PlacementDecision[];
  readonly experiments: readonly ExperimentAssignment[];
  readonly policy: { readonly exploration: ExplorationPolicy['policy']; readonly version: string; readonly mode: DecisionMode };
  /** The models that scored candidates in this decision. */
  readonly models: readonly { readonly id: string; readonly version: string }[];
  readonly configVersion: string;
  readonly configHash: string;
  /** How long the client may reuse the decision. */
  readonly ttlMs: number;
}

/** One (offer, placement) pair considered, for the decision log. */
export interface CandidateRecord {
  readonly offerId: string;
  readonly placementId: string;
  /** `passed` qualified and was scored but not shown. */
  readonly status: 'shown' | 'passed' | 'excluded';
  /** Why it was excluded: a rule stage, `expired`, `contact-policy:<id>:…`, `requires-consent`, … */
  readonly reason?: string;
  readonly score?: number;
  readonly scoreParts?: ScoreParts;
  readonly rank?: number;
  readonly selectionProbability?: number;
  readonly selection?: SelectionKind | 'default';
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

interface Requested {
  readonly placementId: string;
  readonly compiled: CompiledPlacement | undefined;
  readonly slots: number;
  /** The pairs that passed rules and contact policies: positions in `compiled.pairs`, at alive[start..end). */
  readonly start: number;
  readonly end: number;
}

/**
 * Decides which offers to show: consent gate → validity window → eligibility, applicability, suitability →
 * contact policies → priority = propensity × context weight × value × levers → top slots per placement with
 * exploration → defaults where nothing qualifies. Pure and synchronous; never throws.
 *
 * @example
 * const response = decide(
 *   { decisionId: ids.uuid(), placements: [{ id: 'home-hero' }], context: { channel: 'web' }, consent: { personalization: true }, now: clock.now() },
 *   { config: compiled, profile: { id: 'p1', features }, history, scorers, assignments },
 * );
 */
export function decide(request: DecisionRequest, inputs: DecisionInputs): DecisionResponse {
  return runDecision(request, inputs, undefined);
}

/** decide(), plus every candidate pair with its exclusion reason or score parts (for the decision log). */
export function decideWithCandidates(request: DecisionRequest, inputs: DecisionInputs): { response: DecisionResponse; candidates: CandidateRecord[] } {
  const candidates: CandidateRecord[] = [];
  const response = runDecision(request, inputs, candidates);
  return { response, candidates };
}

function runDecision(request: DecisionRequest, inputs: DecisionInputs, trace: CandidateRecord[] | undefined): DecisionResponse {
  const config = inputs.config;
  // A scorer that calls decide() again must not share the outer call's buffers.
  const scratch = config.scratch.busy ? createDecisionScratch(scratchSizes(config.offers.length, config.placements, config.sharedRules, config.historySlots.size)) : config.scratch;
  scratch.busy = true;
  try {
    return evaluate(request, inputs, scratch, trace);
  } catch {
    if (trace) trace.length = 0;
    try {
      return respond(request, inputs, 'fallback', defaultsOnly(request, config, trace), []);
    } catch {
      return respond(request, inputs, 'fallback', [], []);
    }
  } finally {
    scratch.busy = false;
  }
}

/** What one decision works with, shared by its steps. */
interface Run {
  readonly config: CompiledDecisionConfig;
  readonly scratch: DecisionScratch;
  readonly personalized: boolean;
  readonly now: number;
  /** What conditions read; `offer` and `placement` are set as candidates are visited. */
  readonly document: { profile: unknown; features: unknown; context: unknown; offer: unknown; placement: unknown };
  readonly resolved: readonly unknown[];
  readonly history: readonly (HistoryEntry | undefined)[] | undefined;
  readonly trace: CandidateRecord[] | undefined;
  /** Exclusion reasons by offer index, kept only for the trace. */
  readonly reasons: (string | undefined)[] | undefined;
}

function evaluate(request: DecisionRequest, inputs: DecisionInputs, scratch: DecisionScratch, trace: CandidateRecord[] | undefined): DecisionResponse {
  const config = inputs.config;
  if ((inputs.assignments ?? []).some((assignment) => assignment.reason === 'holdout')) {
    return respond(request, inputs, 'holdout', defaultsOnly(request, config, trace), []);
  }
  const personalized = request.consent.personalization === true;
  const context = request.context ?? EMPTY;
  // Without consent the profile is never read, not even to build the document.
  const profile = personalized ? inputs.profile : undefined;
  const features = (profile?.features ?? EMPTY) as FeatureValues;
  const document = { profile: profile ? { id: profile.id, traits: profile.traits ?? EMPTY } : EMPTY, features, context, offer: undefined, placement: undefined };
  const run: Run = {
    config,
    scratch,
    personalized,
    now: request.now,
    document,
    resolved: config.paths.resolve(document),
    history: personalized ? entriesBySlot(config, inputs.history, scratch) : undefined,
    trace,
    reasons: trace ? [] : undefined,
  };
  scratch.offerState.fill(0);
  scratch.ruleResults.fill(0);

  // 1. Rules per offer (once), contact policies per pair.
  const alive = aliveBuffer(config, request, scratch);
  let end = 0;
  const requested = request.placements.map((ask): Requested => {
    const compiled = config.placements.get(ask.id);
    const start = end;
    if (compiled !== undefined) end = qualify(run, compiled, alive, start);
    return { placementId: ask.id, compiled, slots: compiled ? slotsFor(ask, compiled) : 0, start, end };
  });

  // 2. Propensities, one batched scorer call per model.
  scratch.propensity.fill(config.defaultPropensity);
  const modelNotes = new Map<string, string[]>();
  const models: { id: string; version: string }[] = [];
  if (personalized) {
    const overrides = getModelOverrides(inputs.assignments);
    if (overrides === undefined) {
      scoreNeeded(config, inputs.scorers, scratch, features, context, modelNotes, models);
    } else {
      scoreNeeded(config, withOverrides(inputs.scorers, overrides), scratch, features, context, modelNotes, models);
      noteOverrides(overrides, inputs.scorers, modelNotes, models);
    }
  }

  // 3. Priorities and slots, placement by placement.
  const random = config.exploration.policy === 'greedy' ? undefined : (inputs.random ?? createSeededRandom(request.decisionId));
  const placements = requested.map((ask): PlacementDecision => {
    if (ask.compiled === undefined) return { placementId: ask.placementId, items: [], reason: 'unknown-placement' };
    return { placementId: ask.placementId, items: fill(run, ask, ask.compiled, alive, modelNotes, random) };
  });
  return respond(request, inputs, personalized ? 'personalized' : 'non-personalized', placements, models);
}

/**
 * Runs the rules (once per offer) and contact policies (per pair) over a placement's candidates, writes the
 * positions of those that pass to `alive` from `start`, and returns where the list ends.
 */
function qualify(run: Run, compiled: CompiledPlacement, alive: Int32Array, start: number): number {
  const { scratch, trace, reasons } = run;
  const state = scratch.offerState;
  const placementId = compiled.placement.id;
  let end = start;
  for (let p = 0; p < compiled.pairs.length; p++) {
    const pair = compiled.pairs[p] as CompiledPair;
    const offer = pair.offer;
    const index = offer.index;
    if (((state[index] as number) & OFFER_EVALUATED) === 0) {
      const reason = excludeOffer(offer, run);
      state[index] = reason === undefined ? OFFER_EVALUATED : OFFER_EVALUATED | OFFER_EXCLUDED;
      if (reasons) reasons[index] = reason;
    }
    if ((state[index] as number) & OFFER_EXCLUDED) {
      trace?.push({ offerId: offer.id, placementId, status: 'excluded', reason: reasons?.[index] as string });
      continue;
    }
    const refusal = run.history === undefined || pair.checks.length === 0 ? undefined : checkPair(pair, run.history, run.now);
    if (refusal !== undefined) {
      trace?.push({ offerId: offer.id, placementId, status: 'excluded', reason: refusal });
      continue;
    }
    state[index] = (state[index] as number) | OFFER_NEEDED;
    alive[end++] = p;
  }
  return end;
}

/** Scores a placement's qualified pairs, fills its slots through the exploration policy, then defaults. */
function fill(
  run: Run,
  ask: Requested,
  compiled: CompiledPlacement,
  alive: Int32Array,
  modelNotes: ReadonlyMap<string, readonly string[]>,
  random: RandomSource | undefined,
): DecisionItem[] {
  const { config, scratch, document, trace, personalized } = run;
  const { offerState: state, propensity, scores, weights, contextWeights, available } = scratch;
  const all = compiled.pairs;
  const count = ask.end - ask.start;
  const offerAt = (i: number) => (all[alive[ask.start + i] as number] as CompiledPair).offer;
  document.placement = compiled.placement;
  for (let i = 0; i < count; i++) {
    available[i] = 0;
    const offer = offerAt(i);
    const p = propensity[offer.index] as number;
    const excluded = (state[offer.index] as number) & OFFER_TAKEN ? 'shown-in-earlier-placement' : Number.isNaN(p) ? `invalid-score:${offer.modelId}` : undefined;
    if (excluded === undefined) {
      document.offer = offer.offer;
      const weight = contextWeightOf(offer, document, run.resolved, personalized);
      const score = p * weight * offer.value * offer.levers;
      if (score >= 0) {
        scores[i] = score;
        contextWeights[i] = weight;
        weights[i] = offer.thompsonWeight;
        available[i] = 1;
        continue;
      }
    }
    trace?.push({ offerId: offer.id, placementId: ask.placementId, status: 'excluded', reason: excluded ?? 'negative-priority' });
  }

  const items: DecisionItem[] = [];
  const candidates: SlotCandidates = { count, scores, weights, available };
  const selection = trace ? new Map<number, { rank: number; probability: number; kind: SelectionKind }>() : undefined;
  while (items.length < ask.slots) {
    const choice = chooseSlot(config.exploration, candidates, random);
    if (choice === undefined) break;
    available[choice.index] = 0;
    const offer = offerAt(choice.index);
    state[offer.index] = (state[offer.index] as number) | OFFER_TAKEN;
    items.push({
      offerId: offer.id,
      rank: items.length + 1,
      score: scores[choice.index] as number,
      selectionProbability: choice.probability,
      reasons: [choice.kind, ...propensityReasons(offer, personalized, modelNotes)],
      scoreParts: { propensity: propensity[offer.index] as number, contextWeight: contextWeights[choice.index] as number, value: offer.value, levers: offer.levers },
      creative: offer.offer.creative,
    });
    selection?.set(choice.index, { rank: items.length, probability: choice.probability, kind: choice.kind });
  }
  if (trace) {
    for (let i = 0; i < count; i++) {
      const shown = selection?.get(i);
      if (!available[i] && shown === undefined) continue;
      const offer = offerAt(i);
      trace.push({
        offerId: offer.id,
        placementId: ask.placementId,
        status: shown ? 'shown' : 'passed',
        score: scores[i] as number,
        scoreParts: { propensity: propensity[offer.index] as number, contextWeight: contextWeights[i] as number, value: offer.value, levers: offer.levers },
        ...(shown && { rank: shown.rank, selectionProbability: shown.probability, selection: shown.kind }),
      });
    }
  }
  fillDefaults(items, compiled, ask.slots, state, run.now, trace);
  return items;
}

/** Why an offer is not a candidate at all in this decision, or undefined when it qualifies. */
function excludeOffer(offer: CompiledOffer, run: Run): string | undefined {
  const { now, document, resolved } = run;
  if (now < offer.validFrom) return 'not-yet-valid';
  if (now >= offer.validTo) return 'expired';
  if (!run.personalized && offer.personal) return 'requires-consent';
  const results = run.scratch.ruleResults;
  document.offer = offer.offer;
  for (let r = 0; r < offer.rules.length; r++) {
    const rule = offer.rules[r] as CompiledRule;
    if (rule.shared < 0) {
      if (!rule.test(document, resolved)) return rule.stage;
      continue;
    }
    let result = results[rule.shared] as number;
    if (result === 0) results[rule.shared] = result = rule.test(document, resolved) ? 1 : 2;
    if (result === 2) return rule.stage;
  }
  return undefined;
}

/** Room for the surviving pairs of every requested placement (more than the scratch when one is asked twice). */
function aliveBuffer(config: CompiledDecisionConfig, request: DecisionRequest, scratch: DecisionScratch): Int32Array {
  let total = 0;
  for (const ask of request.placements) total += config.placements.get(ask.id)?.pairs.length ?? 0;
  return total <= scratch.alive.length ? scratch.alive : new Int32Array(total);
}

function slotsFor(ask: DecisionRequest['placements'][number], compiled: CompiledPlacement): number {
  const max = compiled.placement.slots;
  return ask.slots === undefined ? max : Math.max(0, Math.min(max, Math.floor(ask.slots) || 0));
}

/** The history entries the config's policies count, by slot: one pass over the history per decision. */
function entriesBySlot(
  config: CompiledDecisionConfig,
  history: InteractionHistory | undefined,
  scratch: DecisionScratch,
): (HistoryEntry | undefined)[] | undefined {
  const entries = history?.entries;
  if (entries === undefined || config.historySlots.size === 0) return undefined;
  const bySlot = scratch.history;
  bySlot.fill(undefined);
  for (const key in entries) {
    if (!Object.hasOwn(entries, key)) continue;
    const slot = config.historySlots.get(key);
    if (slot !== undefined) bySlot[slot] = entries[key];
  }
  return bySlot;
}

function checkPair(pair: CompiledPair, history: readonly (HistoryEntry | undefined)[], now: number): string | undefined {
  for (let c = 0; c < pair.checks.length; c++) {
    const check = pair.checks[c] as CompiledPair['checks'][number];
    const result = checkPolicyEntry(check.policy, history[check.slot], now);
    if (!result.allowed) return result.reason;
  }
  return undefined;
}

/** Fills the slots nothing qualified for with the placement's defaults that are valid now and not shown yet. */
function fillDefaults(items: DecisionItem[], placement: CompiledPlacement, slots: number, state: Uint8Array, now: number, trace: CandidateRecord[] | undefined): void {
  for (const offer of placement.defaults) {
    if (items.length >= slots) return;
    if ((state[offer.index] as number) & OFFER_TAKEN || now < offer.validFrom || now >= offer.validTo) continue;
    state[offer.index] = (state[offer.index] as number) | OFFER_TAKEN;
    const scoreParts = { propensity: 0, contextWeight: 1, value: offer.value, levers: offer.levers };
    items.push({ offerId: offer.id, rank: items.length + 1, score: 0, selectionProbability: 1, reasons: ['default'], scoreParts, creative: offer.offer.creative });
    trace?.push({ offerId: offer.id, placementId: placement.placement.id, status: 'shown', score: 0, scoreParts, rank: items.length, selectionProbability: 1, selection: 'default' });
  }
}

function defaultsOnly(request: DecisionRequest, config: CompiledDecisionConfig, trace: CandidateRecord[] | undefined): PlacementDecision[] {
  const state = new Uint8Array(config.offers.length);
  return request.placements.map((ask) => {
    const compiled = config.placements.get(ask.id);
    if (compiled === undefined) return { placementId: ask.id, items: [], reason: 'unknown-placement' };
    const items: DecisionItem[] = [];
    fillDefaults(items, compiled, slotsFor(ask, compiled), state, request.now, trace);
    return { placementId: ask.id, items };
  });
}

function respond(
  request: DecisionRequest,
  inputs: DecisionInputs,
  mode: DecisionMode,
  placements: PlacementDecision[],
  models: { id: string; version: string }[],
): DecisionResponse {
  const config = inputs.config;
  let ttlMs = config.ttlMs;
  for (const placement of placements) {
    for (const item of placement.items) {
      const offer = config.offerById.get(item.offerId);
      if (offer) ttlMs = Math.min(ttlMs, Math.max(0, offer.validTo - request.now));
    }
  }
  return {
    decisionId: request.decisionId,
    placements,
    experiments: inputs.assignments ?? [],
    policy: { exploration: config.policy.exploration, version: config.policy.version, mode },
    models,
    configVersion: config.version,
    configHash: config.hash,
    ttlMs,
  };
}

