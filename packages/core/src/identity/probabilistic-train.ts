import type { RandomSource } from '../platform';
import type { BlockingRule } from './probabilistic-blocking';
import type { Comparison } from './probabilistic-comparisons';
import { MIN_PROBABILITY, PatternCounts, initialM, runEm, type EmResult } from './probabilistic-em';
import { createSeededRandom, randomInt } from './probabilistic-random';

export interface TrainOptions {
  /** Seed of the PRNG used to draw random pairs. Default 1. Ignored when `random` is given. */
  readonly seed?: number;
  readonly random?: RandomSource;
  /** Random pairs drawn to estimate u (all pairs when there are fewer). Default 1,000,000. */
  readonly uSamplePairs?: number;
  readonly maxIterations?: number;
  readonly tolerance?: number;
  /** Share of true matching pairs the blocking rules are assumed to find, used to scale λ. Default 1. */
  readonly blockingRecall?: number;
  /**
   * Rounds that take the expected true matches out of the random-pair sample before u is final (see
   * {@link estimateParameters}). 0 keeps the raw sample frequencies, as Splink does. Default 3.
   */
  readonly uCorrectionRounds?: number;
  /**
   * How many matching pairs the matcher's current m (configured, or the starting values) is worth
   * against EM's estimate, which counts as the expected matching pairs it was estimated from (see
   * {@link shrinkTowardPrior}). A file with a handful of duplicate pairs then keeps close to the prior
   * instead of learning m of 0 or 1 from two pairs; a large one is barely moved. Default 0: EM's
   * estimate as it is, as Splink does.
   */
  readonly priorMatches?: number;
}

/** What one EM session (the pairs of one blocking rule) found. */
export interface TrainingSession {
  readonly rule: string;
  readonly pairs: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Share of this rule's pairs that match. */
  readonly lambda: number;
  /** Comparisons whose m this session estimated (the others read the blocked fields, or were all null). */
  readonly estimated: readonly string[];
}

/** What the index holds, seen by slot number, and how to compare two slots. */
export interface TrainingData {
  readonly comparisons: readonly Comparison[];
  readonly rules: readonly BlockingRule[];
  /** Slots of the records to learn from. */
  readonly slots: readonly number[];
  /** Writes the level of every comparison for two slots (−1 where null) into `gamma`. */
  fillLevels(a: number, b: number, gamma: Int8Array): void;
  /** The (not oversized) blocks of one rule. */
  blocksOf(rule: number): Iterable<readonly number[]>;
  /** Adds the slots that share any block with `slot` to `out`. */
  candidatesOf(slot: number, out: Set<number>): void;
  /** m to keep for a comparison no session could estimate. */
  readonly fallbackM: readonly (readonly number[])[];
  /** u to keep for a comparison that was null on every sampled pair. */
  readonly fallbackU: readonly (readonly number[])[];
}

export interface EstimatedParameters {
  readonly m: number[][];
  readonly u: number[][];
  readonly matchesPerRecord: number;
  readonly lambda: number;
  readonly blockedLambda: number;
  readonly blockedPairs: number;
  readonly uPairs: number;
  readonly sessions: TrainingSession[];
}

/**
 * Estimates m, u and λ as Splink does, plus one correction:
 * - u: level frequencies over random pairs (all pairs when there are few);
 * - m: EM over the candidate pairs of each blocking rule with `train !== false`, u fixed, ignoring the
 *   comparisons that read the rule's fields (they agree by construction there); each comparison's m is
 *   the mean over the sessions that estimated it;
 * - λ: EM over all distinct candidate pairs with m and u fixed; expected matches ÷ blocking recall give
 *   the expected matches per record, and λ = that ÷ (n − 1);
 * - the correction: random pairs include true matches (one in ~n/3 here), which is most of what an
 *   identifier's "exact" level shows in the sample, so u of that level would be overstated by as much as
 *   its real value. After the first round, each sampled pair counts towards u with weight 1 − P(match)
 *   under the current m, u and λ (an E-step over the random sample), and m and λ are estimated again.
 *   A family's shared phone and address stays in u, because the rest of such a pair disagrees.
 */
export function estimateParameters(data: TrainingData, options: TrainOptions = {}): EstimatedParameters {
  const { comparisons, slots } = data;
  const width = comparisons.length;
  const n = slots.length;
  const random = options.random ?? createSeededRandom(options.seed ?? 1);
  const levelCounts = comparisons.map((comparison) => comparison.levels.length);
  const gamma = new Int8Array(width);

  // Random pairs, as patterns of levels.
  const sample = new PatternCounts(levelCounts);
  const allPairs = (n * (n - 1)) / 2;
  const wanted = options.uSamplePairs ?? 1_000_000;
  if (allPairs <= wanted) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        data.fillLevels(slots[i] as number, slots[j] as number, gamma);
        sample.add(gamma);
      }
    }
  } else {
    for (let drawn = 0; drawn < wanted; drawn++) {
      const i = randomInt(random, n);
      let j = randomInt(random, n - 1);
      if (j >= i) j++;
      data.fillLevels(slots[i] as number, slots[j] as number, gamma);
      sample.add(gamma);
    }
  }
  const uPairs = sample.pairs;
  const sampleEntries = sample.entries();

  // Pattern counts of each training rule's pairs, and of all distinct candidate pairs; built once.
  const trainingRules = data.rules.flatMap((rule, r) => (rule.train === false ? [] : [{ rule, r }]));
  const sessionPatterns = trainingRules.map(({ rule, r }) => {
    const patterns = new PatternCounts(levelCounts);
    for (const block of data.blocksOf(r)) {
      for (let i = 0; i < block.length; i++) {
        for (let j = i + 1; j < block.length; j++) {
          data.fillLevels(block[i] as number, block[j] as number, gamma);
          patterns.add(gamma);
        }
      }
    }
    return {
      rule,
      pairs: patterns.pairs,
      entries: patterns.entries(),
      active: comparisons.map((comparison) => !comparison.fields.some((field) => rule.fields.includes(field))),
    };
  });
  const union = new PatternCounts(levelCounts);
  const found = new Set<number>();
  for (const slot of slots) {
    found.clear();
    data.candidatesOf(slot, found);
    for (const other of found) {
      if (other <= slot) continue;
      data.fillLevels(slot, other, gamma);
      union.add(gamma);
    }
  }
  const unionEntries = union.entries();

  const emOptions = {
    ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
    ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
  };
  const startM = comparisons.map((comparison) => initialM(comparison.levels.length));
  const recall = Math.min(1, Math.max(1e-3, options.blockingRecall ?? 1));
  const rounds = 1 + Math.max(0, Math.floor(options.uCorrectionRounds ?? 3));
  const priorMatches = Math.max(0, options.priorMatches ?? 0);
  let m: number[][] = startM;
  let u = uFromSample(sampleEntries, data.fallbackU, m, m, 0);
  let results: EmResult[] = [];
  let overall: EmResult | undefined;
  let matchesPerRecord = 1;
  let lambda = 0;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) u = uFromSample(sampleEntries, data.fallbackU, m, u, lambda);
    const currentU = u;
    results = sessionPatterns.map((session) => runEm(session.entries, startM, currentU, 0.5, { ...emOptions, active: session.active }));
    m = startM.map((_, k) => {
      const estimates = results.filter((result) => result.estimated[k]).map((result) => result.m[k] as number[]);
      if (estimates.length === 0) return [...(data.fallbackM[k] as number[])];
      return estimates.reduce((sum, levels) => sum.map((value, l) => value + (levels[l] as number))).map((value) => value / estimates.length);
    });
    overall = runEm(unionEntries, m, u, 0.1, { ...emOptions, lambdaOnly: true });
    if (priorMatches > 0) {
      m = shrinkTowardPrior(m, data.fallbackM, overall.expectedNonNull, priorMatches);
      overall = runEm(unionEntries, m, u, 0.1, { ...emOptions, lambdaOnly: true });
    }
    matchesPerRecord = n === 0 ? 1 : Math.max(1e-9, (2 * overall.expectedMatches) / n / recall);
    lambda = Math.min(0.5, matchesPerRecord / Math.max(1, n - 1));
  }
  return {
    m,
    u,
    matchesPerRecord,
    lambda,
    blockedLambda: overall?.lambda ?? 0,
    blockedPairs: union.pairs,
    uPairs,
    sessions: sessionPatterns.map((session, i) => {
      const result = results[i] as EmResult;
      return {
        rule: session.rule.name,
        pairs: session.pairs,
        iterations: result.iterations,
        converged: result.converged,
        lambda: result.lambda,
        estimated: comparisons.filter((_, k) => result.estimated[k]).map((comparison) => comparison.name),
      };
    }),
  };
}

/**
 * The posterior mean of m under a Dirichlet prior: each comparison's estimate weighted by the expected
 * matching pairs (distinct candidate pairs, non-null on it) it rests on, the prior by `priorMatches`.
 *
 * @example
 * shrinkTowardPrior([[1, 0]], [[0.9, 0.1]], [2], 18); // [[0.91, 0.09]]: two pairs barely move a prior worth 18
 */
export function shrinkTowardPrior(
  estimate: readonly (readonly number[])[],
  prior: readonly (readonly number[])[],
  matchingPairs: readonly number[],
  priorMatches: number,
): number[][] {
  return estimate.map((levels, k) => {
    const pairs = Math.max(0, matchingPairs[k] ?? 0);
    const share = pairs / (pairs + priorMatches);
    return levels.map((value, l) => share * value + (1 - share) * (prior[k]?.[l] ?? value));
  });
}

/**
 * u from the random sample, each pattern weighted by 1 − P(match) under m, u and λ (λ = 0: plain
 * frequencies). Floored at half a pair so that a level never seen keeps a finite weight.
 */
function uFromSample(
  patterns: readonly { gamma: Int8Array; count: number }[],
  fallback: readonly (readonly number[])[],
  m: readonly (readonly number[])[],
  u: readonly (readonly number[])[],
  lambda: number,
): number[][] {
  const width = fallback.length;
  const sums = fallback.map((levels) => levels.map(() => 0));
  const totals = new Float64Array(width);
  const logPrior = lambda > 0 ? Math.log(lambda / (1 - lambda)) : Number.NEGATIVE_INFINITY;
  for (const { gamma, count } of patterns) {
    let weight = count;
    if (lambda > 0) {
      let logRatio = logPrior;
      for (let k = 0; k < width; k++) {
        const level = gamma[k] as number;
        if (level < 0) continue;
        logRatio += Math.log(Math.max(MIN_PROBABILITY, (m[k] as number[])[level] as number)) - Math.log(Math.max(MIN_PROBABILITY, (u[k] as number[])[level] as number));
      }
      weight = count * (1 - 1 / (1 + Math.exp(-logRatio)));
    }
    for (let k = 0; k < width; k++) {
      const level = gamma[k] as number;
      if (level < 0) continue;
      (sums[k] as number[])[level] = ((sums[k] as number[])[level] as number) + weight;
      totals[k] = (totals[k] as number) + weight;
    }
  }
  return sums.map((levels, k) => {
    const total = totals[k] as number;
    if (total === 0) return [...(fallback[k] as number[])];
    const floor = Math.max(MIN_PROBABILITY, 0.5 / total);
    const floored = levels.map((sum) => Math.max(floor, sum / total));
    const norm = floored.reduce((x, y) => x + y, 0);
    return floored.map((value) => value / norm);
  });
}
