import { TailorError } from '../errors';
import { checkInteger, checkOpenRange, checkSameLength, weightAt } from './checks';

/**
 * Classification metrics for a propensity model: ranking (AUC, lift), probability quality (log loss,
 * Brier) and calibration (ECE, reliability table).
 *
 * Labels are 0 or 1, one per row, and `weights` (optional) are non-negative row weights. A metric that is
 * undefined for the data (one class only, no rows, a NaN score, a label other than 0/1) is NaN rather
 * than an exception, so a report can still print the others. Arrays of different lengths throw.
 */

export interface MetricOptions {
  /** Non-negative weight per row; every row counts once without. */
  readonly weights?: ArrayLike<number>;
}

export interface CalibrationOptions extends MetricOptions {
  /** Equal-width bins over [0, 1]. Default 10. */
  readonly bins?: number;
}

/** Whether the rows are usable at all: labels 0/1, finite scores, finite non-negative weights. */
function isClean(labels: ArrayLike<number>, scores: ArrayLike<number>, weights: ArrayLike<number> | undefined): boolean {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    const w = weightAt(weights, i);
    if ((label !== 0 && label !== 1) || !Number.isFinite(scores[i]) || !(w >= 0 && w < Number.POSITIVE_INFINITY)) return false;
  }
  return true;
}

function isProbability(p: number): boolean {
  return p >= 0 && p <= 1;
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative,
 * counting ties as one half (the Mann–Whitney U statistic divided by n₊·n₋). NaN with one class only.
 *
 * @example
 * auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.75
 */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>, options: MetricOptions = {}): number {
  const n = checkSameLength('auc', { labels, scores, weights: options.weights });
  if (!isClean(labels, scores, options.weights)) return Number.NaN;
  const order = sortedIndexes(scores, 'ascending');
  let negativesBelow = 0;
  let numerator = 0;
  let positives = 0;
  for (let start = 0; start < n; ) {
    const score = scores[order[start] as number] as number;
    let groupPositives = 0;
    let groupNegatives = 0;
    let end = start;
    for (; end < n && scores[order[end] as number] === score; end++) {
      const i = order[end] as number;
      const w = weightAt(options.weights, i);
      if (labels[i] === 1) groupPositives += w;
      else groupNegatives += w;
    }
    numerator += groupPositives * (negativesBelow + 0.5 * groupNegatives);
    negativesBelow += groupNegatives;
    positives += groupPositives;
    start = end;
  }
  const pairs = positives * negativesBelow;
  return pairs > 0 ? numerator / pairs : Number.NaN;
}

/**
 * Mean negative log-likelihood, with probabilities clipped to [ε, 1 − ε] so one confident mistake
 * costs −ln ε instead of Infinity. Probabilities outside [0, 1] give NaN.
 *
 * @example
 * logLoss([1, 0], [0.8, 0.1]) // −(ln 0.8 + ln 0.9) / 2 ≈ 0.1643
 */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>, options: MetricOptions & { readonly epsilon?: number } = {}): number {
  const n = checkSameLength('logLoss', { labels, probabilities, weights: options.weights });
  const epsilon = options.epsilon ?? 1e-15;
  checkOpenRange('logLoss', 'epsilon', epsilon, 0, 0.5);
  if (!isClean(labels, probabilities, options.weights)) return Number.NaN;
  let total = 0;
  let weight = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i] as number;
    if (!isProbability(p)) return Number.NaN;
    const clipped = Math.min(1 - epsilon, Math.max(epsilon, p));
    const w = weightAt(options.weights, i);
    total -= w * (labels[i] === 1 ? Math.log(clipped) : Math.log(1 - clipped));
    weight += w;
  }
  return weight > 0 ? total / weight : Number.NaN;
}

/**
 * Mean squared difference between the probability and the 0/1 outcome.
 *
 * @example
 * brierScore([1, 0], [0.8, 0.1]) // (0.04 + 0.01) / 2 = 0.025
 */
export function brierScore(labels: ArrayLike<number>, probabilities: ArrayLike<number>, options: MetricOptions = {}): number {
  const n = checkSameLength('brierScore', { labels, probabilities, weights: options.weights });
  if (!isClean(labels, probabilities, options.weights)) return Number.NaN;
  let total = 0;
  let weight = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i] as number;
    if (!isProbability(p)) return Number.NaN;
    const w = weightAt(options.weights, i);
    total += w * (p - (labels[i] as number)) ** 2;
    weight += w;
  }
  return weight > 0 ? total / weight : Number.NaN;
}

/** One equal-width probability bin of a reliability diagram. */
export interface ReliabilityBin {
  readonly lower: number;
  readonly upper: number;
  /** Rows in the bin (sum of their weights when weighted). */
  readonly count: number;
  /** Mean predicted probability; null for an empty bin. */
  readonly meanPredicted: number | null;
  /** Share of positives; null for an empty bin. */
  readonly observedRate: number | null;
}

/**
 * The reliability table behind a calibration curve: per equal-width bin of predicted probability, how
 * many rows fell in it, what they predicted on average and how often they were positive. Bin `b` holds
 * [b/B, (b+1)/B), the last one also 1. Empty when any row is unusable (see module doc).
 *
 * @example
 * reliabilityTable([0, 1, 1], [0.05, 0.15, 0.95], { bins: 2 })
 * // [{ lower: 0, upper: 0.5, count: 2, meanPredicted: 0.1, observedRate: 0.5 }, { lower: 0.5, upper: 1, count: 1, ... }]
 */
export function reliabilityTable(labels: ArrayLike<number>, probabilities: ArrayLike<number>, options: CalibrationOptions = {}): ReliabilityBin[] {
  const n = checkSameLength('reliabilityTable', { labels, probabilities, weights: options.weights });
  const bins = options.bins ?? 10;
  checkInteger('reliabilityTable', 'bins', bins, 1);
  if (!isClean(labels, probabilities, options.weights)) return [];
  const counts = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const positives = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const p = probabilities[i] as number;
    if (!isProbability(p)) return [];
    const b = Math.min(bins - 1, Math.floor(p * bins));
    const w = weightAt(options.weights, i);
    counts[b] = (counts[b] as number) + w;
    predicted[b] = (predicted[b] as number) + w * p;
    positives[b] = (positives[b] as number) + w * (labels[i] as number);
  }
  return Array.from(counts, (count, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count,
    meanPredicted: count > 0 ? (predicted[b] as number) / count : null,
    observedRate: count > 0 ? (positives[b] as number) / count : null,
  }));
}

/**
 * Expected calibration error: Σ_b (n_b / n) · |observed rate_b − mean prediction_b| over equal-width bins.
 *
 * @example
 * expectedCalibrationError([0, 1, 1], [0.05, 0.15, 0.95], { bins: 2 }) // (2·|0.5 − 0.1| + 1·|1 − 0.95|) / 3 = 0.2833…
 */
export function expectedCalibrationError(labels: ArrayLike<number>, probabilities: ArrayLike<number>, options: CalibrationOptions = {}): number {
  checkSameLength('expectedCalibrationError', { labels, probabilities, weights: options.weights });
  const table = reliabilityTable(labels, probabilities, options);
  let total = 0;
  let error = 0;
  for (const bin of table) {
    if (bin.count === 0) continue;
    total += bin.count;
    error += bin.count * Math.abs((bin.observedRate as number) - (bin.meanPredicted as number));
  }
  return total > 0 ? error / total : Number.NaN;
}

/** What the top-scored share of rows holds. */
export interface LiftPoint {
  /** The share of rows taken, highest scores first. */
  readonly fraction: number;
  /** Rows taken (weight when weighted). */
  readonly count: number;
  /** Positives among them; ties at the cut are taken pro rata (the average over random tie-breaks). */
  readonly positives: number;
  /** positives / count. */
  readonly rate: number;
  /** Positive rate over all rows. */
  readonly baseRate: number;
  /** rate / baseRate: how many times better than picking at random. */
  readonly lift: number;
  /** Share of all positives captured (cumulative gain). */
  readonly gain: number;
}

/**
 * Lift and cumulative gain in the top `fraction` of rows by score. NaN fields when there are no positives.
 *
 * @example
 * liftAtTop([1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0], 0.2)
 * // { fraction: 0.2, count: 2, positives: 1, rate: 0.5, baseRate: 0.2, lift: 2.5, gain: 0.5 }
 */
export function liftAtTop(labels: ArrayLike<number>, scores: ArrayLike<number>, fraction: number, options: MetricOptions = {}): LiftPoint {
  return gainsTable(labels, scores, { ...options, fractions: [fraction] })[0] as LiftPoint;
}

/**
 * The cumulative gains table: {@link liftAtTop} at each fraction (deciles by default), from one sort.
 * Empty when any row is unusable.
 *
 * @example
 * gainsTable(labels, scores).map((point) => point.gain) // cumulative gain curve at 10%, 20%, … 100%
 */
export function gainsTable(labels: ArrayLike<number>, scores: ArrayLike<number>, options: MetricOptions & { readonly fractions?: readonly number[] } = {}): LiftPoint[] {
  const n = checkSameLength('gainsTable', { labels, scores, weights: options.weights });
  const fractions = options.fractions ?? [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
  for (const fraction of fractions) {
    if (!(fraction > 0 && fraction <= 1)) throw new TailorError('invalid_options', `gainsTable: each fraction must be in (0, 1], got ${fraction}`);
  }
  if (!isClean(labels, scores, options.weights)) return [];
  const order = sortedIndexes(scores, 'descending');
  // Tie groups in score order, with their weight and positive weight.
  const groupWeight: number[] = [];
  const groupPositives: number[] = [];
  for (let start = 0; start < n; ) {
    const score = scores[order[start] as number];
    let weight = 0;
    let positives = 0;
    let end = start;
    for (; end < n && scores[order[end] as number] === score; end++) {
      const i = order[end] as number;
      const w = weightAt(options.weights, i);
      weight += w;
      positives += w * (labels[i] as number);
    }
    groupWeight.push(weight);
    groupPositives.push(positives);
    start = end;
  }
  const totalWeight = groupWeight.reduce((a, b) => a + b, 0);
  const totalPositives = groupPositives.reduce((a, b) => a + b, 0);
  const baseRate = totalPositives / totalWeight;
  return fractions.map((fraction) => {
    const target = fraction * totalWeight;
    let count = 0;
    let positives = 0;
    for (let g = 0; g < groupWeight.length && count < target; g++) {
      const weight = groupWeight[g] as number;
      const share = Math.min(1, (target - count) / weight);
      count += share * weight;
      positives += share * (groupPositives[g] as number);
    }
    const rate = positives / count;
    return { fraction, count, positives, rate, baseRate, lift: rate / baseRate, gain: positives / totalPositives };
  });
}

/** Everything `tailor train` reports about a classifier on one data set. */
export interface ClassifierEvaluation {
  readonly count: number;
  readonly positives: number;
  readonly baseRate: number;
  readonly auc: number;
  readonly logLoss: number;
  readonly brier: number;
  readonly ece: number;
  readonly reliability: ReliabilityBin[];
  readonly gains: LiftPoint[];
}

/**
 * All the metrics above for one set of predictions, ready to store with a model or compare with a
 * baseline (an RFM heuristic) scored on the same rows.
 *
 * @example
 * const model = evaluateClassifier(labels, predictions);
 * const rfm = evaluateClassifier(labels, rfmScores);
 * model.auc - rfm.auc;
 */
export function evaluateClassifier(labels: ArrayLike<number>, probabilities: ArrayLike<number>, options: CalibrationOptions & { readonly fractions?: readonly number[] } = {}): ClassifierEvaluation {
  const n = checkSameLength('evaluateClassifier', { labels, probabilities, weights: options.weights });
  let count = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const w = weightAt(options.weights, i);
    count += w;
    positives += w * (labels[i] as number);
  }
  return {
    count,
    positives,
    baseRate: count > 0 ? positives / count : Number.NaN,
    auc: auc(labels, probabilities, options),
    logLoss: logLoss(labels, probabilities, options),
    brier: brierScore(labels, probabilities, options),
    ece: expectedCalibrationError(labels, probabilities, options),
    reliability: reliabilityTable(labels, probabilities, options),
    gains: gainsTable(labels, probabilities, options),
  };
}

/** Row indexes sorted by score (ties in row order). */
function sortedIndexes(scores: ArrayLike<number>, direction: 'ascending' | 'descending'): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const sign = direction === 'ascending' ? 1 : -1;
  order.sort((a, b) => sign * ((scores[a] as number) - (scores[b] as number)) || a - b);
  return order;
}
