import { checkOpenRange } from './checks';
import { normalQuantile } from './distributions';

/**
 * Off-policy evaluation: what a candidate policy would have earned, estimated from decisions logged
 * under another policy, using the selection probabilities the engine logged. Three estimators:
 *
 * - IPS: mean of w·r with w = π(a|x) / μ(a|x). Unbiased when μ > 0 wherever π > 0; high variance.
 * - Self-normalized IPS: Σ w·r / Σ w. Slightly biased, much steadier (the weights' noise cancels).
 * - Doubly robust: mean of Σₐ π(a|x) q̂(x,a) + w·(r − q̂(x,a)). Unbiased if either the propensities or
 *   the reward model q̂ are right; lower variance than IPS when q̂ is decent.
 *
 * Weights can be clipped at a maximum (trading a little bias for variance); the effective sample size
 * (Σw)² / Σw² says how many logged rows the estimate is really worth.
 */

/** One logged decision: the context, the action taken, the logging policy's probability for it, and the reward. */
export interface LoggedInteraction<C> {
  readonly context: C;
  readonly action: string;
  /** μ(a | x), as logged at decision time. */
  readonly propensity: number;
  readonly reward: number;
}

/** A policy's probability for one action. */
export interface ActionProbability {
  readonly action: string;
  readonly probability: number;
}

/** π(· | x): the candidate policy's distribution over actions (actions left out have probability 0). */
export type TargetPolicy<C> = (context: C) => readonly ActionProbability[];

/** q̂(x, a): the expected reward of an action in a context, from any model (DR's control variate). */
export type RewardModel<C> = (context: C, action: string) => number;

export interface OpeOptions {
  /** Cap on the importance weight π/μ. None by default. */
  readonly clip?: number;
  /** For the normal interval. Default 0.95. */
  readonly confidence?: number;
}

export interface OpeEstimate {
  readonly estimator: 'ips' | 'snips' | 'dr';
  /** NaN when no row was usable. */
  readonly value: number;
  readonly standardError: number;
  readonly lower: number;
  readonly upper: number;
  /** Rows used. */
  readonly n: number;
  /** Rows left out: propensity outside (0, 1] or a non-finite reward. */
  readonly skipped: number;
  /** (Σw)² / Σw². */
  readonly effectiveSampleSize: number;
  /** Rows whose weight hit the clip. */
  readonly clipped: number;
  readonly maxWeight: number;
}

export interface PolicyEvaluation {
  readonly ips: OpeEstimate;
  readonly snips: OpeEstimate;
  /** Only with a reward model. */
  readonly dr?: OpeEstimate;
}

function probabilityOf(distribution: readonly ActionProbability[], action: string): number {
  let p = 0;
  for (const entry of distribution) if (entry.action === action) p += entry.probability;
  return p;
}

function meanAndError(values: readonly number[]): { mean: number; standardError: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, standardError: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, standardError: Number.NaN };
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, standardError: Math.sqrt(squares / (n - 1) / n) };
}

/**
 * IPS, self-normalized IPS and (with a reward model) doubly robust estimates of `policy`'s mean reward
 * per logged row, calling the policy once per row.
 *
 * @example
 * const rows = toLoggedInteractions(decisions, outcomes, { reward: 'convert' });
 * const { ips, snips, dr } = evaluatePolicy(rows, (x) => [{ action: bestOffer(x), probability: 1 }], { rewardModel });
 */
export function evaluatePolicy<C>(logs: Iterable<LoggedInteraction<C>>, policy: TargetPolicy<C>, options: OpeOptions & { readonly rewardModel?: RewardModel<C> } = {}): PolicyEvaluation {
  if (options.clip !== undefined) checkOpenRange('evaluatePolicy', 'clip', options.clip, 0, Number.POSITIVE_INFINITY);
  const clip = options.clip ?? Number.POSITIVE_INFINITY;
  const confidence = options.confidence ?? 0.95;
  checkOpenRange('evaluatePolicy', 'confidence', confidence, 0, 1);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const model = options.rewardModel;

  const weights: number[] = [];
  const rewards: number[] = [];
  const drTerms: number[] = [];
  let skipped = 0;
  let clipped = 0;
  for (const row of logs) {
    if (!(row.propensity > 0 && row.propensity <= 1) || !Number.isFinite(row.reward)) {
      skipped++;
      continue;
    }
    const distribution = policy(row.context);
    let w = probabilityOf(distribution, row.action) / row.propensity;
    if (w > clip) {
      w = clip;
      clipped++;
    }
    weights.push(w);
    rewards.push(row.reward);
    if (model) {
      let direct = 0;
      for (const entry of distribution) if (entry.probability > 0) direct += entry.probability * model(row.context, entry.action);
      drTerms.push(direct + w * (row.reward - model(row.context, row.action)));
    }
  }

  const n = weights.length;
  let sumW = 0;
  let sumW2 = 0;
  let maxWeight = 0;
  for (const w of weights) {
    sumW += w;
    sumW2 += w * w;
    maxWeight = Math.max(maxWeight, w);
  }
  const shared = { n, skipped, effectiveSampleSize: sumW2 > 0 ? (sumW * sumW) / sumW2 : 0, clipped, maxWeight };
  const estimate = (estimator: OpeEstimate['estimator'], value: number, standardError: number): OpeEstimate => ({
    estimator,
    value,
    standardError,
    lower: value - z * standardError,
    upper: value + z * standardError,
    ...shared,
  });

  const ipsTerms = weights.map((w, i) => w * (rewards[i] as number));
  const ips = meanAndError(ipsTerms);
  const snipsValue = sumW > 0 ? ipsTerms.reduce((a, b) => a + b, 0) / sumW : Number.NaN;
  // Delta method for a ratio of sums: Var ≈ Σ w²(r − V)² / (Σw)².
  let snipsSquares = 0;
  for (let i = 0; i < n; i++) snipsSquares += ((weights[i] as number) * ((rewards[i] as number) - snipsValue)) ** 2;
  const snipsError = sumW > 0 ? Math.sqrt(snipsSquares) / sumW : Number.NaN;

  const result: PolicyEvaluation = {
    ips: estimate('ips', ips.mean, ips.standardError),
    snips: estimate('snips', snipsValue, snipsError),
  };
  if (!model) return result;
  const dr = meanAndError(drTerms);
  return { ...result, dr: estimate('dr', dr.mean, dr.standardError) };
}
