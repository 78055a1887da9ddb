/**
 * The evaluation `tailor train` needs, with the argument order and meaning of core's stats module
 * (`auc(labels, scores)`, …), kept here until that module is exported from `@tailor/core`; then these
 * become re-exports. Undefined metrics (one class only, no rows) are NaN, never an exception.
 */

/** The share of rows with label 1. */
function baseRateOf(labels: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  return labels.length === 0 ? Number.NaN : positives / labels.length;
}

/** Indexes sorted by score, stable for ties. */
function orderBy(scores: ArrayLike<number>, direction: 1 | -1): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => direction * ((scores[a] as number) - (scores[b] as number)) || a - b);
}

/** Area under the ROC curve (Mann–Whitney U / n₊n₋, ties counted one half). */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  const order = orderBy(scores, 1);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end < n && scores[order[end] as number] === scores[order[start] as number]) end++;
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (labels[order[k] as number] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i] as number));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

export function brierScore(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += ((probabilities[i] as number) - (labels[i] as number)) ** 2;
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

export interface ReliabilityBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly meanPredicted: number | null;
  readonly observedRate: number | null;
}

/** Per equal-width bin of predicted probability (the last bin includes 1): count, mean prediction, observed rate. */
export function reliabilityTable(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  const counts = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const positives = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i] as number;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    counts[b] = (counts[b] as number) + 1;
    predicted[b] = (predicted[b] as number) + p;
    positives[b] = (positives[b] as number) + (labels[i] as number);
  }
  return Array.from(counts, (count, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count,
    meanPredicted: count > 0 ? (predicted[b] as number) / count : null,
    observedRate: count > 0 ? (positives[b] as number) / count : null,
  }));
}

/** Expected calibration error: Σ (n_b / n) · |observed rate_b − mean prediction_b| over equal-width bins. */
export function expectedCalibrationError(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): number {
  let error = 0;
  for (const bin of reliabilityTable(labels, probabilities, bins)) {
    if (bin.count > 0) error += bin.count * Math.abs((bin.observedRate as number) - (bin.meanPredicted as number));
  }
  return labels.length === 0 ? Number.NaN : error / labels.length;
}

export interface LiftPoint {
  readonly fraction: number;
  readonly rate: number;
  readonly baseRate: number;
  /** rate / baseRate. */
  readonly lift: number;
  /** Share of all positives in the top fraction. */
  readonly gain: number;
}

/** Lift in the top `fraction` of rows by score; rows tied at the cut count pro rata. */
export function liftAtTop(labels: ArrayLike<number>, scores: ArrayLike<number>, fraction: number): LiftPoint {
  const n = labels.length;
  const order = orderBy(scores, -1);
  const target = fraction * n;
  let taken = 0;
  let positives = 0;
  let totalPositives = 0;
  for (let i = 0; i < n; i++) totalPositives += labels[i] === 1 ? 1 : 0;
  for (let start = 0; start < n && taken < target; ) {
    let end = start;
    let groupPositives = 0;
    while (end < n && scores[order[end] as number] === scores[order[start] as number]) {
      groupPositives += labels[order[end] as number] === 1 ? 1 : 0;
      end++;
    }
    const share = Math.min(1, (target - taken) / (end - start));
    taken += share * (end - start);
    positives += share * groupPositives;
    start = end;
  }
  const baseRate = baseRateOf(labels);
  const rate = positives / taken;
  return { fraction, rate, baseRate, lift: rate / baseRate, gain: positives / totalPositives };
}

/**
 * Platt scaling on margins: `p = σ(a · margin + c)` by Newton's method with Platt's smoothed targets
 * (n₊ + 1)/(n₊ + 2) and 1/(n₋ + 2), which keep the fit finite on separable data.
 */
export function fitPlattOnMargins(labels: ArrayLike<number>, margins: ArrayLike<number>): { a: number; c: number } {
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] === 1 ? 1 : 0;
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (n - positives + 2);
  const target = (i: number) => (labels[i] === 1 ? high : low);
  const loss = (a: number, c: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = a * (margins[i] as number) + c;
      const t = target(i);
      // −[t log σ(z) + (1 − t) log(1 − σ(z))] = softplus(z) − t·z
      sum += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t * z;
    }
    return sum;
  };
  let a = 1;
  let c = 0;
  let current = loss(a, c);
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0;
    let gc = 0;
    let haa = 1e-12;
    let hac = 0;
    let hcc = 1e-12;
    for (let i = 0; i < n; i++) {
      const m = margins[i] as number;
      const z = a * m + c;
      const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      const r = p - target(i);
      const w = p * (1 - p);
      ga += r * m;
      gc += r;
      haa += w * m * m;
      hac += w * m;
      hcc += w;
    }
    const det = haa * hcc - hac * hac;
    if (!(Math.abs(det) > 0)) break;
    const da = (hcc * ga - hac * gc) / det;
    const dc = (haa * gc - hac * ga) / det;
    let step = 1;
    let next = loss(a - da, c - dc);
    while (next > current && step > 1e-8) {
      step /= 2;
      next = loss(a - step * da, c - step * dc);
    }
    if (next > current) break;
    a -= step * da;
    c -= step * dc;
    const moved = Math.max(Math.abs(step * da), Math.abs(step * dc));
    current = next;
    if (moved < 1e-10) break;
  }
  return { a, c };
}

/**
 * Fixed bins of a reference sample, in the shape core's drift monitor reads from `tailor.reference_bins`:
 * with k = edges.length, bin 0 is (−∞, edges[0]), bin i is [edges[i−1], edges[i]), bin k is [edges[k−1], +∞);
 * `proportions` are shares of the whole sample, `missing` the share of NaN, `count` the sample size.
 */
export interface ReferenceBins {
  readonly edges: number[];
  readonly proportions: number[];
  readonly missing: number;
  readonly count: number;
}

/**
 * Up to `bins` quantile bins of a sample (one bin per distinct value when there are few), for PSI.
 *
 * @example JSON.stringify({ 'rfm.orders_total': createReferenceBins(column) }) // → ONNX metadata
 */
export function createReferenceBins(sample: ArrayLike<number>, options: { readonly bins?: number } = {}): ReferenceBins {
  const bins = options.bins ?? 10;
  const finite = Float64Array.from(sample).filter(Number.isFinite).sort();
  const distinct: number[] = [];
  for (const value of finite) if (distinct[distinct.length - 1] !== value) distinct.push(value);
  let edges: number[];
  if (distinct.length <= bins) edges = distinct.slice(1);
  else {
    edges = [];
    for (let k = 1; k < bins; k++) {
      const cut = finite[Math.min(finite.length - 1, Math.ceil((k * finite.length) / bins))] as number;
      if (cut > (distinct[0] as number) && (edges.length === 0 || cut > (edges[edges.length - 1] as number))) edges.push(cut);
    }
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const value of finite) {
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((edges[mid] as number) <= value) lo = mid + 1;
      else hi = mid;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  const total = sample.length;
  return {
    edges,
    proportions: counts.map((count) => (total > 0 ? count / total : 0)),
    missing: total > 0 ? (total - finite.length) / total : 0,
    count: total,
  };
}
