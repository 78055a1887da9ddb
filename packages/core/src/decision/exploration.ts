import type { RandomSource } from '../platform';

/**
 * Exploration picks each slot from a distribution over the placement's remaining candidates and reports
 * the probability of what it picked, exactly, as the sampler used it. Slots are filled one after another
 * without replacement, so the probability logged for slot k is conditional on slots 1..k-1 (and on the
 * placements decided before it in the same request): the probability of the whole list is the product
 * of its items' probabilities (a Plackett–Luce style factorization that off-policy estimators can use).
 */

/** How slots are filled. Scores are priorities (propensity × context weight × value × levers). */
export type ExplorationPolicy =
  | { readonly policy: 'greedy' }
  /**
   * With probability 1 − ε the best remaining candidate, with probability ε one drawn uniformly from the
   * `poolSize` best remaining (all remaining by default). The best candidate's probability is 1 − ε + ε/n.
   */
  | { readonly policy: 'epsilon-greedy'; readonly epsilon: number; readonly poolSize?: number }
  /**
   * Batched Thompson sampling: draws by weight (per offer, precomputed per batch from Beta posteriors),
   * renormalized over the remaining candidates, so the logged probability is exactly weight / Σ weights.
   */
  | { readonly policy: 'thompson' };

export type SelectionKind = 'greedy' | 'exploit' | 'explore' | 'thompson';

/**
 * The candidates of one slot: the first `count` entries of the arrays (decide() reuses larger buffers).
 * `weights` are only read by Thompson sampling; `available` is 1 for a candidate still in the running.
 */
export interface SlotCandidates {
  readonly count: number;
  readonly scores: ArrayLike<number>;
  readonly weights: ArrayLike<number>;
  readonly available: ArrayLike<number>;
}

export interface SlotChoice {
  /** Position of the chosen candidate. */
  readonly index: number;
  readonly probability: number;
  readonly kind: SelectionKind;
}

/**
 * The probability of each candidate for the next slot (0 for unavailable ones); sums to 1 when any
 * candidate is available. {@link chooseSlot} draws from exactly this distribution.
 */
export function slotDistribution(policy: ExplorationPolicy, candidates: SlotCandidates): Float64Array {
  const { count, weights, available } = candidates;
  const out = new Float64Array(count);
  if (policy.policy === 'thompson') {
    let total = 0;
    let eligible = 0;
    for (let i = 0; i < count; i++) {
      if (available[i]) {
        total += weights[i] as number;
        eligible++;
      }
    }
    for (let i = 0; i < count; i++) {
      if (available[i]) out[i] = total > 0 ? (weights[i] as number) / total : 1 / eligible;
    }
    return out;
  }
  const best = bestAvailable(candidates);
  if (best < 0) return out;
  if (policy.policy === 'greedy' || policy.epsilon === 0) {
    out[best] = 1;
    return out;
  }
  const pool = explorationPool(candidates, policy.poolSize);
  const share = policy.epsilon / pool.length;
  for (const i of pool) out[i] = share;
  out[best] = (out[best] as number) + 1 - policy.epsilon;
  return out;
}

/**
 * Chooses the next slot and returns its exact probability, or undefined when nothing is available.
 * Greedy draws no random number; ε-greedy draws one or two; Thompson one.
 */
export function chooseSlot(policy: ExplorationPolicy, candidates: SlotCandidates, random: RandomSource | undefined): SlotChoice | undefined {
  if (policy.policy === 'thompson') return chooseByWeight(candidates, random);
  const best = bestAvailable(candidates);
  if (best < 0) return undefined;
  if (policy.policy === 'greedy' || policy.epsilon === 0 || random === undefined) return { index: best, probability: 1, kind: 'greedy' };
  const eligible = countAvailable(candidates);
  const poolSize = policy.poolSize === undefined ? eligible : Math.min(policy.poolSize, eligible);
  const share = policy.epsilon / poolSize; // the best candidate is always in the pool
  if (random.random() >= policy.epsilon) return { index: best, probability: 1 - policy.epsilon + share, kind: 'exploit' };
  const target = Math.min(poolSize - 1, Math.floor(random.random() * poolSize));
  const index = poolSize === eligible ? nthAvailable(candidates, target) : (explorationPool(candidates, poolSize)[target] as number);
  return { index, probability: index === best ? 1 - policy.epsilon + share : share, kind: 'explore' };
}

function countAvailable(candidates: SlotCandidates): number {
  let count = 0;
  for (let i = 0; i < candidates.count; i++) if (candidates.available[i]) count++;
  return count;
}

/** The position of the n-th (0-based) available candidate, in index order. */
function nthAvailable(candidates: SlotCandidates, n: number): number {
  let remaining = n;
  for (let i = 0; i < candidates.count; i++) {
    if (candidates.available[i] && remaining-- === 0) return i;
  }
  return -1;
}

function chooseByWeight(candidates: SlotCandidates, random: RandomSource | undefined): SlotChoice | undefined {
  const { count, weights, available } = candidates;
  let total = 0;
  let eligible = 0;
  for (let i = 0; i < count; i++) {
    if (!available[i]) continue;
    total += weights[i] as number;
    eligible++;
  }
  if (eligible === 0) return undefined;
  const u = random === undefined ? 0 : random.random();
  if (!(total > 0)) {
    // No candidate has weight: uniform, still exact.
    let target = Math.min(eligible - 1, Math.floor(u * eligible));
    for (let i = 0; i < count; i++) {
      if (available[i] && target-- === 0) return { index: i, probability: 1 / eligible, kind: 'thompson' };
    }
  }
  const threshold = u * total;
  let cumulative = 0;
  let chosen = -1;
  for (let i = 0; i < count; i++) {
    if (!available[i] || !((weights[i] as number) > 0)) continue;
    cumulative += weights[i] as number;
    chosen = i;
    if (threshold < cumulative) break;
  }
  return { index: chosen, probability: (weights[chosen] as number) / total, kind: 'thompson' };
}

/** Highest score among available candidates; ties go to the lower index (config order). */
export function bestAvailable(candidates: SlotCandidates): number {
  const { count, scores, available } = candidates;
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < count; i++) {
    if (available[i] && (scores[i] as number) > bestScore) {
      best = i;
      bestScore = scores[i] as number;
    }
  }
  return best;
}

/**
 * The available candidates ε-greedy explores among, in index (config) order: the `poolSize` best (ties
 * to the lower index), or all of them.
 */
function explorationPool(candidates: SlotCandidates, poolSize: number | undefined): number[] {
  const { count, scores, available } = candidates;
  const pool: number[] = [];
  for (let i = 0; i < count; i++) if (available[i]) pool.push(i);
  if (poolSize === undefined || pool.length <= poolSize) return pool;
  pool.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return pool.slice(0, poolSize).sort((a, b) => a - b);
}

/** An arm of a Thompson batch: Beta(alpha, beta) over the conversion rate, times the offer's value. */
export interface ThompsonArm {
  readonly alpha: number;
  readonly beta: number;
  /** Value × levers: the draw that wins is the highest rate × multiplier. Default 1. */
  readonly multiplier?: number;
}

/**
 * The weight of each arm for one batch: the share of `draws` Monte Carlo rounds in which its sampled
 * rate × multiplier was the highest. Seeded, so the collector and every client compute the same weights;
 * the collector should still ship them in the config (`exploration.weights`) so clients skip the work.
 *
 * @example
 * computeThompsonWeights([{ alpha: 12, beta: 88 }, { alpha: 3, beta: 40 }], { draws: 2000, seed: 'batch-7' });
 */
export function computeThompsonWeights(arms: readonly ThompsonArm[], options: { draws: number; seed: string }): Float64Array {
  const random = createSeededRandom(options.seed);
  const wins = new Float64Array(arms.length);
  for (let round = 0; round < options.draws; round++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < arms.length; i++) {
      const arm = arms[i] as ThompsonArm;
      const value = sampleBeta(arm.alpha, arm.beta, random) * (arm.multiplier ?? 1);
      if (value > bestValue) {
        best = i;
        bestValue = value;
      }
    }
    if (best >= 0) wins[best] = (wins[best] as number) + 1;
  }
  for (let i = 0; i < wins.length; i++) wins[i] = (wins[i] as number) / options.draws;
  return wins;
}

function sampleBeta(alpha: number, beta: number, random: RandomSource): number {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/** Marsaglia–Tsang; shape < 1 boosted by U^(1/shape). */
function sampleGamma(shape: number, random: RandomSource): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(1 - random.random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random.random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function sampleNormal(random: RandomSource): number {
  const u = 1 - random.random();
  const v = random.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A small seeded generator (FNV-1a 32 of the seed, then mulberry32), so a decision's exploration can be
 * replayed from its decisionId.
 *
 * @example createSeededRandom('3b241101-e2bb-4255-8caf-4136c566a962').random() // same value every time
 */
export function createSeededRandom(seed: string): RandomSource {
  let state = fnv1a32(seed);
  return {
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
