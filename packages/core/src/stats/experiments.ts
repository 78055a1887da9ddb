import { TailorError } from '../errors';
import { checkOpenRange, checkSameLength } from './checks';
import { chiSquareSf, normalCdf, normalQuantile } from './distributions';
import { alwaysValidPValue, sequentialMultiplier, tuneConfidenceSequence } from './sequential';

/**
 * Experiment analysis on per-unit metrics (conversion: 0/1 per user; revenue per user): sample-ratio
 * checks, the relative lift of a variation over control with a delta-method interval, CUPED, and the
 * always-valid variant of the interval for experiments that are watched while they run.
 *
 * Groups are summarized by sufficient statistics, so the collector can aggregate without keeping rows.
 */

/** Σ y and Σ y² of a per-unit metric over the n units of one group. */
export interface MetricSums {
  readonly n: number;
  readonly sum: number;
  readonly sumSquares: number;
}

/** Mean and sample variance (n − 1 denominator) of a per-unit metric in one group. */
export interface MeanEstimate {
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

/**
 * Sums of a metric's values.
 * @example summarizeValues([0, 12.5, 0, 40]) // { n: 4, sum: 52.5, sumSquares: 1756.25 }
 */
export function summarizeValues(values: ArrayLike<number>): MetricSums {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    sum += v;
    sumSquares += v * v;
  }
  return { n: values.length, sum, sumSquares };
}

/**
 * Mean and sample variance from sums (variance NaN below 2 units).
 * @example toMeanEstimate({ n: 4, sum: 52.5, sumSquares: 1756.25 }) // { n: 4, mean: 13.125, variance: 355.72916… }
 */
export function toMeanEstimate(sums: MetricSums): MeanEstimate {
  const { n, sum, sumSquares } = sums;
  const mean = n > 0 ? sum / n : Number.NaN;
  // Rounding can push Σy² − n·ȳ² a hair below 0 for near-constant data.
  const variance = n > 1 ? Math.max(0, (sumSquares - sum * mean) / (n - 1)) : Number.NaN;
  return { n, mean, variance };
}

/**
 * A conversion rate as a mean of 0/1 values.
 * @example conversionEstimate(1000, 52) // { n: 1000, mean: 0.052, variance: 0.052 · 0.948 · 1000/999 }
 */
export function conversionEstimate(units: number, conversions: number): MeanEstimate {
  return toMeanEstimate({ n: units, sum: conversions, sumSquares: conversions });
}

export interface SrmResult {
  readonly chiSquare: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  /** Units each variation should have had under the configured weights. */
  readonly expected: number[];
  /** p < threshold: the split is broken, and the experiment's results should not be trusted. */
  readonly mismatch: boolean;
}

/**
 * Sample-ratio-mismatch check: Pearson's χ² goodness of fit of the exposures per variation against the
 * configured weights (equal by default). Alarm at p < 0.001 by default: at that level a real SRM is a bug
 * in assignment or logging, not bad luck.
 *
 * @example
 * srmTest([5000, 5300]).pValue // χ² = 8.74 on 1 df → p ≈ 0.0031, no alarm
 */
export function srmTest(observed: readonly number[], weights?: readonly number[], options: { readonly threshold?: number } = {}): SrmResult {
  if (observed.length < 2) throw new TailorError('invalid_options', `srmTest: needs at least 2 variations, got ${observed.length}`);
  const w = weights ?? observed.map(() => 1);
  checkSameLength('srmTest', { observed, weights: w });
  const totalWeight = w.reduce((a, b) => a + b, 0);
  if (!w.every((x) => x >= 0 && Number.isFinite(x)) || !(totalWeight > 0)) {
    throw new TailorError('invalid_options', `srmTest: weights must be finite, ≥ 0 and not all 0, got [${w.join(', ')}]`);
  }
  const threshold = options.threshold ?? 0.001;
  checkOpenRange('srmTest', 'threshold', threshold, 0, 1);
  const total = observed.reduce((a, b) => a + b, 0);
  const expected = w.map((x) => (total * x) / totalWeight);
  let chiSquare = 0;
  let cells = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i] as number;
    const o = observed[i] as number;
    if (e > 0) {
      chiSquare += (o - e) ** 2 / e;
      cells++;
    } else if (o > 0) {
      // Units in a variation that should get none: a mismatch however few.
      chiSquare = Number.POSITIVE_INFINITY;
    }
  }
  const degreesOfFreedom = Math.max(1, cells - 1);
  const pValue = total > 0 ? chiSquareSf(chiSquare, degreesOfFreedom) : 1;
  return { chiSquare, degreesOfFreedom, pValue, expected, mismatch: pValue < threshold };
}

/** An estimate with its standard error and a (1 − α) interval. */
export interface Interval {
  readonly estimate: number;
  readonly standardError: number;
  readonly lower: number;
  readonly upper: number;
}

export interface CompareMeansOptions {
  /** Default 0.95. */
  readonly confidence?: number;
  /**
   * Always-valid intervals and p-value (see sequential.ts), tightest at `tuningSize` total units (e.g.
   * the planned sample size). Without it the interval is the fixed-horizon one, valid only if looked at
   * once.
   */
  readonly sequential?: { readonly tuningSize: number };
}

export type LiftResult =
  | {
      readonly ok: true;
      readonly control: MeanEstimate;
      readonly treatment: MeanEstimate;
      /** treatment − control, Welch standard error. */
      readonly absolute: Interval;
      /** treatment / control − 1, delta-method standard error. */
      readonly relative: Interval;
      /** Two-sided, from the relative lift (so it agrees with the relative interval). */
      readonly pValue: number;
      readonly sequential: boolean;
    }
  | { readonly ok: false; readonly reason: 'too-few-units' | 'zero-control-mean'; readonly control: MeanEstimate; readonly treatment: MeanEstimate };

/**
 * The lift of a treatment over control. The relative lift is a ratio of two independent means, so its
 * variance comes from the delta method: Var(t̄/c̄) ≈ σ²_t / (n_t c̄²) + t̄² σ²_c / (n_c c̄⁴).
 *
 * @example
 * const lift = compareMeans(conversionEstimate(10_000, 500), conversionEstimate(10_000, 560));
 * if (lift.ok) lift.relative // { estimate: 0.12, lower: ≈ −0.011, upper: ≈ 0.251, ... }
 */
export function compareMeans(control: MeanEstimate, treatment: MeanEstimate, options: CompareMeansOptions = {}): LiftResult {
  const confidence = options.confidence ?? 0.95;
  checkOpenRange('compareMeans', 'confidence', confidence, 0, 1);
  if (!(control.n >= 2 && treatment.n >= 2) || Number.isNaN(control.variance) || Number.isNaN(treatment.variance)) {
    return { ok: false, reason: 'too-few-units', control, treatment };
  }
  if (control.mean === 0) return { ok: false, reason: 'zero-control-mean', control, treatment };
  const c = control.mean;
  const t = treatment.mean;
  const varT = treatment.variance / treatment.n;
  const varC = control.variance / control.n;
  const absoluteSe = Math.sqrt(varT + varC);
  const relativeSe = Math.sqrt(varT / (c * c) + (t * t * varC) / (c * c * c * c));
  const relative = t / c - 1;
  const alpha = 1 - confidence;
  const z = relative / relativeSe;
  let multiplier: number;
  let pValue: number;
  if (options.sequential) {
    const n = control.n + treatment.n;
    const rho = tuneConfidenceSequence(options.sequential.tuningSize, alpha);
    multiplier = sequentialMultiplier(n, alpha, rho);
    pValue = relativeSe > 0 ? alwaysValidPValue(z, n, rho) : Number.NaN;
  } else {
    multiplier = normalQuantile(1 - alpha / 2);
    pValue = relativeSe > 0 ? 2 * normalCdf(-Math.abs(z)) : Number.NaN;
  }
  const interval = (estimate: number, standardError: number): Interval => ({
    estimate,
    standardError,
    lower: estimate - multiplier * standardError,
    upper: estimate + multiplier * standardError,
  });
  return {
    ok: true,
    control,
    treatment,
    absolute: interval(t - c, absoluteSe),
    relative: interval(relative, relativeSe),
    pValue,
    sequential: options.sequential !== undefined,
  };
}

/**
 * The lift of the whole engine over the global holdout (units that always get the default experience):
 * {@link compareMeans} with the holdout as control.
 *
 * @example
 * holdoutLift(toMeanEstimate(engineRevenue), toMeanEstimate(holdoutRevenue)) // relative: +6.1% [2.0%, 10.2%]
 */
export function holdoutLift(engine: MeanEstimate, holdout: MeanEstimate, options: CompareMeansOptions = {}): LiftResult {
  return compareMeans(holdout, engine, options);
}

/** Sums of a metric y and its pre-period covariate x (usually the same metric before the experiment). */
export interface CovariateSums {
  readonly n: number;
  readonly sumY: number;
  readonly sumY2: number;
  readonly sumX: number;
  readonly sumX2: number;
  readonly sumXY: number;
}

/**
 * Sums of paired values.
 * @example summarizeWithCovariate([3, 0, 5], [2, 0, 4]) // { n: 3, sumY: 8, sumY2: 34, sumX: 6, sumX2: 20, sumXY: 26 }
 */
export function summarizeWithCovariate(y: ArrayLike<number>, x: ArrayLike<number>): CovariateSums {
  const n = checkSameLength('summarizeWithCovariate', { y, x });
  let sumY = 0;
  let sumY2 = 0;
  let sumX = 0;
  let sumX2 = 0;
  let sumXY = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i] as number;
    const xi = x[i] as number;
    sumY += yi;
    sumY2 += yi * yi;
    sumX += xi;
    sumX2 += xi * xi;
    sumXY += xi * yi;
  }
  return { n, sumY, sumY2, sumX, sumX2, sumXY };
}

export interface CupedResult {
  /** θ = pooled within-group Cov(x, y) / Var(x); 0 when x does not vary. */
  readonly theta: number;
  /** Per group: mean of y − θ(x − x̄), and the variance of that adjusted value. */
  readonly adjusted: MeanEstimate[];
  /** Per group: 1 − adjusted variance / raw variance (≈ corr(x, y)²). */
  readonly varianceReduction: number[];
}

/**
 * CUPED (Deng, Xu, Kohavi & Walker 2013): subtract θ(x − x̄) from each unit's metric, where x is a
 * pre-experiment covariate that randomization makes independent of the variation. Means stay unbiased
 * for the differences between groups and variances shrink by about corr(x, y)². x̄ is the mean over all
 * groups; θ pools the within-group covariances. Feed `adjusted` to {@link compareMeans}.
 *
 * @example
 * const { adjusted } = cuped([controlSums, treatmentSums]);
 * compareMeans(adjusted[0], adjusted[1]);
 */
export function cuped(groups: readonly CovariateSums[]): CupedResult {
  let covariance = 0;
  let varianceX = 0;
  let n = 0;
  let sumX = 0;
  for (const g of groups) {
    if (g.n === 0) continue;
    covariance += g.sumXY - (g.sumX * g.sumY) / g.n;
    varianceX += g.sumX2 - (g.sumX * g.sumX) / g.n;
    n += g.n;
    sumX += g.sumX;
  }
  const theta = varianceX > 0 ? covariance / varianceX : 0;
  const grandX = n > 0 ? sumX / n : 0;
  const adjusted: MeanEstimate[] = [];
  const varianceReduction: number[] = [];
  for (const g of groups) {
    const raw = toMeanEstimate({ n: g.n, sum: g.sumY, sumSquares: g.sumY2 });
    const meanX = g.n > 0 ? g.sumX / g.n : Number.NaN;
    const varX = g.n > 1 ? (g.sumX2 - g.sumX * meanX) / (g.n - 1) : Number.NaN;
    const covXY = g.n > 1 ? (g.sumXY - g.sumX * raw.mean) / (g.n - 1) : Number.NaN;
    const variance = Math.max(0, raw.variance - 2 * theta * covXY + theta * theta * varX);
    adjusted.push({ n: g.n, mean: raw.mean - theta * (meanX - grandX), variance });
    varianceReduction.push(raw.variance > 0 ? 1 - variance / raw.variance : 0);
  }
  return { theta, adjusted, varianceReduction };
}
