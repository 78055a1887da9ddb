import { TailorError } from '../errors';
import { checkInteger } from './checks';
import { kolmogorovSf } from './distributions';

/**
 * Drift monitoring: how far a feature's (or a score's) current distribution has moved from the one the
 * model was trained on. The training distribution is kept as {@link ReferenceBins} (plain JSON, stored in
 * the ONNX metadata), so a device or the collector can count live values into the same bins and compute
 * the Population Stability Index without the training data.
 */

/**
 * Fixed bins of a reference sample. With k = edges.length, bin 0 is (−∞, edges[0]), bin i is
 * [edges[i−1], edges[i]) and bin k is [edges[k−1], +∞): the infinite ends are implied, so the object
 * stays JSON. Missing values (NaN) have their own share.
 */
export interface ReferenceBins {
  /** Finite cut points, strictly ascending. */
  readonly edges: readonly number[];
  /** Share of the reference sample in each bin (edges.length + 1 entries). */
  readonly proportions: readonly number[];
  /** Share of the reference sample that was missing (NaN); with `proportions` it sums to 1. */
  readonly missing: number;
  /** Size of the reference sample, missing values included. */
  readonly count: number;
}

/** Alarm levels for PSI. Defaults: warn 0.1, alert 0.25 (conventions, not laws). */
export interface DriftThresholds {
  readonly warn: number;
  readonly alert: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = Object.freeze({ warn: 0.1, alert: 0.25 });

/** Smoothing for empty bins: a share below ε counts as ε, so ln(cur/ref) stays finite. */
export const DEFAULT_PSI_EPSILON = 1e-4;

/** The next double above x (x finite). */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const buffer = new Float64Array([x]);
  const bits = new BigInt64Array(buffer.buffer);
  bits[0] = (bits[0] as bigint) + (x > 0 ? 1n : -1n);
  return buffer[0] as number;
}

/**
 * Quantile bins of a reference sample (about `bins` bins of equal mass). Ties are handled so a value
 * carrying a whole quantile's mass (a spike at 0, a constant feature) gets a bin of its own; a feature
 * with at most `bins` distinct values gets one bin per value, plus empty bins below and above them so a
 * value never seen in training shows up as drift. NaN counts as missing.
 *
 * @example
 * const reference = createReferenceBins(trainingRows.map((row) => row.recency_days));
 * JSON.stringify(reference); // → ONNX metadata
 */
export function createReferenceBins(sample: ArrayLike<number>, options: { readonly bins?: number } = {}): ReferenceBins {
  const bins = options.bins ?? 10;
  checkInteger('createReferenceBins', 'bins', bins, 2, 1000);
  const finite: number[] = [];
  for (let i = 0; i < sample.length; i++) if (Number.isFinite(sample[i])) finite.push(sample[i] as number);
  finite.sort((a, b) => a - b);
  const distinct: number[] = [];
  for (const value of finite) if (distinct[distinct.length - 1] !== value) distinct.push(value);

  let edges: number[];
  if (distinct.length === 0) {
    edges = [];
  } else if (distinct.length <= bins) {
    edges = [...distinct, nextUp(distinct[distinct.length - 1] as number)];
  } else {
    const cuts = new Set<number>();
    let previous: number | undefined;
    for (let i = 1; i < bins; i++) {
      const value = finite[Math.ceil((i * finite.length) / bins)] as number;
      // The same cut twice means this value alone fills a quantile: close its bin right above it.
      if (value === previous) cuts.add(nextUp(value));
      cuts.add(value);
      previous = value;
    }
    edges = [...cuts].sort((a, b) => a - b);
  }
  const counts = countBins({ edges }, sample);
  const total = sample.length;
  return {
    edges,
    proportions: counts.slice(0, edges.length + 1).map((count) => (total > 0 ? count / total : 0)),
    missing: total > 0 ? (counts[edges.length + 1] as number) / total : 0,
    count: total,
  };
}

/**
 * The bin a value falls in; NaN goes to the missing slot, index `edges.length + 1`.
 * @example getBinIndex({ edges: [1, 2] }, 1.5) // 1
 */
export function getBinIndex(bins: Pick<ReferenceBins, 'edges'>, value: number): number {
  if (Number.isNaN(value)) return bins.edges.length + 1;
  let lo = 0;
  let hi = bins.edges.length;
  // The number of edges ≤ value.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bins.edges[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts values into the reference bins: `edges.length + 2` counts, the last one for missing values.
 * Counts can be kept and added up over time, then passed to {@link psiFromCounts}.
 *
 * @example
 * const counts = countBins(reference, todaysValues);
 */
export function countBins(bins: Pick<ReferenceBins, 'edges'>, values: ArrayLike<number>): number[] {
  const counts = new Array<number>(bins.edges.length + 2).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = getBinIndex(bins, values[i] as number);
    counts[b] = (counts[b] as number) + 1;
  }
  return counts;
}

/**
 * PSI = Σ (cur − ref) · ln(cur / ref) over matching shares, each share floored at ε.
 *
 * @example
 * psiFromProportions([0.5, 0.5], [0.6, 0.4]) // 0.1 · ln 1.2 − 0.1 · ln 0.8 ≈ 0.0405
 */
export function psiFromProportions(reference: readonly number[], current: readonly number[], epsilon = DEFAULT_PSI_EPSILON): number {
  if (reference.length !== current.length) {
    throw new TailorError('invalid_options', `psiFromProportions: ${reference.length} reference shares but ${current.length} current ones; compare over the same bins`);
  }
  let value = 0;
  for (let i = 0; i < reference.length; i++) {
    const ref = Math.max(epsilon, reference[i] as number);
    const cur = Math.max(epsilon, current[i] as number);
    value += (cur - ref) * Math.log(cur / ref);
  }
  return value;
}

/** One bin's part of a PSI. `lower`/`upper` are null where the bin is unbounded; both null for missing values. */
export interface PsiBin {
  readonly lower: number | null;
  readonly upper: number | null;
  readonly missing: boolean;
  readonly reference: number;
  readonly current: number;
  readonly contribution: number;
}

/** A PSI and the per-bin contributions behind it (what a report plots). */
export interface PsiBreakdown {
  /** NaN when there are no current values. */
  readonly psi: number;
  readonly count: number;
  readonly bins: PsiBin[];
}

/**
 * PSI of counts made with {@link countBins} against the reference, bin by bin.
 *
 * @example
 * psiFromCounts(reference, countBins(reference, values)).psi
 */
export function psiFromCounts(bins: ReferenceBins, counts: readonly number[], options: { readonly epsilon?: number } = {}): PsiBreakdown {
  const k = bins.edges.length;
  if (counts.length !== k + 2) {
    throw new TailorError('invalid_options', `psiFromCounts: expected ${k + 2} counts (one per bin plus missing) for ${k} edges, got ${counts.length}; count with countBins()`);
  }
  const epsilon = options.epsilon ?? DEFAULT_PSI_EPSILON;
  const total = counts.reduce((a, b) => a + b, 0);
  const reference = [...bins.proportions, bins.missing];
  const out: PsiBin[] = [];
  let psi = 0;
  for (let i = 0; i < k + 2; i++) {
    const ref = reference[i] as number;
    const cur = total > 0 ? (counts[i] as number) / total : Number.NaN;
    const contribution = psiFromProportions([ref], [cur], epsilon);
    psi += contribution;
    const missing = i === k + 1;
    out.push({
      lower: missing || i === 0 ? null : (bins.edges[i - 1] as number),
      upper: missing || i === k ? null : (bins.edges[i] as number),
      missing,
      reference: ref,
      current: cur,
      contribution,
    });
  }
  return { psi: total > 0 ? psi : Number.NaN, count: total, bins: out };
}

/**
 * The Population Stability Index of current values against reference bins.
 *
 * @example
 * psi(reference, todaysValues) // 0.02: stable; ≥ 0.1 warn; ≥ 0.25 alert
 */
export function psi(bins: ReferenceBins, values: ArrayLike<number>, options: { readonly epsilon?: number } = {}): number {
  return psiFromCounts(bins, countBins(bins, values), options).psi;
}

export interface KsResult {
  /** D = sup |F₁(x) − F₂(x)|. */
  readonly statistic: number;
  /**
   * Asymptotic two-sided p-value, Q_KS((√nₑ + 0.12 + 0.11/√nₑ) · D) with nₑ = n·m/(n + m) (Stephens'
   * small-sample correction); good for nₑ ≥ 4 or so.
   */
  readonly pValue: number;
}

/**
 * Two-sample Kolmogorov–Smirnov test. NaN values are ignored; NaN results when either sample is empty.
 *
 * @example
 * ksTest([1, 2, 3, 4], [3, 4, 5, 6]).statistic // 0.5
 */
export function ksTest(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const x = Array.from(a).filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
  const y = Array.from(b).filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return { statistic: Number.NaN, pValue: Number.NaN };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const value = Math.min(x[i] as number, y[j] as number);
    while (i < n && x[i] === value) i++;
    while (j < m && y[j] === value) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const effective = Math.sqrt((n * m) / (n + m));
  return { statistic: d, pValue: kolmogorovSf((effective + 0.12 + 0.11 / effective) * d) };
}

/**
 * The KS statistic evaluated only at the reference bin edges, for when the reference sample itself is
 * gone and only its bins remain. A lower bound of the exact statistic; missing values are left out.
 *
 * @example
 * binnedKsStatistic(reference, countBins(reference, values))
 */
export function binnedKsStatistic(bins: ReferenceBins, counts: readonly number[]): number {
  const k = bins.edges.length;
  const present = 1 - bins.missing;
  let total = 0;
  for (let i = 0; i <= k; i++) total += counts[i] ?? 0;
  if (!(present > 0) || total === 0) return Number.NaN;
  let ref = 0;
  let cur = 0;
  let d = 0;
  for (let i = 0; i < k; i++) {
    ref += (bins.proportions[i] as number) / present;
    cur += (counts[i] ?? 0) / total;
    d = Math.max(d, Math.abs(ref - cur));
  }
  return d;
}
