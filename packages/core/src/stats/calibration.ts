import * as z from 'zod';
import { TailorError } from '../errors';
import { formatIssuePath } from '../issues';
import { checkSameLength, weightAt, type StatsIssue } from './checks';

/**
 * Probability calibration: map a model's scores to probabilities that match observed rates. A calibrator
 * is plain JSON (`{ kind, params }`) so it can ride in a model's metadata and be applied on a device.
 */

/** σ(a · logit(p) + b). */
export interface PlattCalibrator {
  readonly kind: 'platt';
  readonly params: { readonly a: number; readonly b: number };
}

/** A non-decreasing step function through (x[i], y[i]), linear between points, flat outside them. */
export interface IsotonicCalibrator {
  readonly kind: 'isotonic';
  readonly params: { readonly x: readonly number[]; readonly y: readonly number[] };
}

export type Calibrator = PlattCalibrator | IsotonicCalibrator;

export interface FitCalibratorOptions {
  /** Non-negative weight per row. */
  readonly weights?: ArrayLike<number>;
}

// Probabilities are clipped before the logit, so 0 and 1 map to finite scores.
const LOGIT_CLIP = 1e-15;

function logit(p: number): number {
  const clipped = Math.min(1 - LOGIT_CLIP, Math.max(LOGIT_CLIP, p));
  return Math.log(clipped / (1 - clipped));
}

function sigmoid(s: number): number {
  return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
}

/** ln(1 + eˣ) without overflow. */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function checkFitInput(caller: string, labels: ArrayLike<number>, probabilities: ArrayLike<number>, weights: ArrayLike<number> | undefined): void {
  const n = checkSameLength(caller, { labels, probabilities, weights });
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weightAt(weights, i);
    if ((labels[i] !== 0 && labels[i] !== 1) || !((probabilities[i] as number) >= 0 && (probabilities[i] as number) <= 1) || !(w >= 0 && Number.isFinite(w))) {
      throw new TailorError('invalid_options', `${caller}: row ${i} has label ${labels[i]}, probability ${probabilities[i]}, weight ${w}; labels must be 0 or 1, probabilities in [0, 1], weights finite and ≥ 0`);
    }
    total += w;
  }
  if (!(total > 0)) throw new TailorError('invalid_options', `${caller}: no rows (or all weights 0); fit on a non-empty validation set`);
}

/**
 * Fits Platt scaling, p' = σ(a · logit(p) + b), by Newton's method on the log-likelihood (with
 * backtracking, so every step lowers the loss). By default the 0/1 targets are replaced with Platt's
 * (n₊ + 1)/(n₊ + 2) and 1/(n₋ + 2), which keeps the fit finite on separable data. Throws on empty input
 * or values out of range.
 *
 * @example
 * const calibrator = fitPlatt(validationLabels, validationScores);
 * applyCalibrator(calibrator, 0.3);
 */
export function fitPlatt(labels: ArrayLike<number>, probabilities: ArrayLike<number>, options: FitCalibratorOptions & { readonly plattTargets?: boolean } = {}): PlattCalibrator {
  checkFitInput('fitPlatt', labels, probabilities, options.weights);
  const n = labels.length;
  const z = Float64Array.from({ length: n }, (_, i) => logit(probabilities[i] as number));
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) positives += weightAt(options.weights, i);
    else negatives += weightAt(options.weights, i);
  }
  const smooth = options.plattTargets ?? true;
  const high = smooth ? (positives + 1) / (positives + 2) : 1;
  const low = smooth ? 1 / (negatives + 2) : 0;
  const target = (i: number) => (labels[i] === 1 ? high : low);

  const loss = (a: number, b: number): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = a * (z[i] as number) + b;
      const t = target(i);
      total += weightAt(options.weights, i) * (t * softplus(-s) + (1 - t) * softplus(s));
    }
    return total;
  };

  let a = 0;
  let b = Math.log((positives + 1) / (negatives + 1));
  let current = loss(a, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0;
    let gb = 0;
    // A tiny ridge keeps the Hessian invertible when every score is the same.
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const w = weightAt(options.weights, i);
      const zi = z[i] as number;
      const p = sigmoid(a * zi + b);
      const residual = w * (p - target(i));
      const curvature = w * p * (1 - p);
      ga += residual * zi;
      gb += residual;
      haa += curvature * zi * zi;
      hab += curvature * zi;
      hbb += curvature;
    }
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-10) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const improvement = current - next;
    current = next;
    if (Math.abs(step * da) < 1e-12 && Math.abs(step * db) < 1e-12) break;
    if (improvement <= 1e-15 * Math.max(1, current)) break;
  }
  return { kind: 'platt', params: { a, b } };
}

/**
 * Fits isotonic regression by pool-adjacent-violators: the non-decreasing function of the probability
 * closest (weighted least squares) to the outcomes. Equal probabilities are pooled first, so ties get
 * one value. Throws on empty input or values out of range.
 *
 * @example
 * fitIsotonic([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]) // { kind: 'isotonic', params: { x: [0.1, 0.2, 0.3, 0.4], y: [0, 0.5, 0.5, 1] } }
 */
export function fitIsotonic(labels: ArrayLike<number>, probabilities: ArrayLike<number>, options: FitCalibratorOptions = {}): IsotonicCalibrator {
  checkFitInput('fitIsotonic', labels, probabilities, options.weights);
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((i, j) => (probabilities[i] as number) - (probabilities[j] as number));
  // Blocks of the pooled solution: [first x, last x, Σ w·y, Σ w].
  const first: number[] = [];
  const last: number[] = [];
  const sumWY: number[] = [];
  const sumW: number[] = [];
  for (const i of order) {
    const x = probabilities[i] as number;
    const w = weightAt(options.weights, i);
    if (w === 0) continue;
    const top = sumW.length - 1;
    if (top >= 0 && last[top] === x) {
      sumWY[top] = (sumWY[top] as number) + w * (labels[i] as number);
      sumW[top] = (sumW[top] as number) + w;
    } else {
      first.push(x);
      last.push(x);
      sumWY.push(w * (labels[i] as number));
      sumW.push(w);
    }
    // Pool while the last block's mean falls below the one before it.
    for (let k = sumW.length - 1; k > 0 && (sumWY[k - 1] as number) / (sumW[k - 1] as number) > (sumWY[k] as number) / (sumW[k] as number); k--) {
      sumWY[k - 1] = (sumWY[k - 1] as number) + (sumWY[k] as number);
      sumW[k - 1] = (sumW[k - 1] as number) + (sumW[k] as number);
      last[k - 1] = last[k] as number;
      first.pop();
      last.pop();
      sumWY.pop();
      sumW.pop();
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < sumW.length; k++) {
    const value = (sumWY[k] as number) / (sumW[k] as number);
    x.push(first[k] as number);
    y.push(value);
    if (last[k] !== first[k]) {
      x.push(last[k] as number);
      y.push(value);
    }
  }
  return { kind: 'isotonic', params: { x, y } };
}

/**
 * The calibrated probability of `p`. Never throws: NaN stays NaN.
 *
 * @example
 * applyCalibrator({ kind: 'platt', params: { a: 1, b: 0 } }, 0.3) // 0.3
 */
export function applyCalibrator(calibrator: Calibrator, p: number): number {
  if (Number.isNaN(p)) return Number.NaN;
  if (calibrator.kind === 'platt') return sigmoid(calibrator.params.a * logit(p) + calibrator.params.b);
  const { x, y } = calibrator.params;
  const n = x.length;
  if (n === 0) return p;
  if (p <= (x[0] as number)) return y[0] as number;
  if (p >= (x[n - 1] as number)) return y[n - 1] as number;
  // The last point at or below p; p lies strictly inside [x[0], x[n − 1]), so hi stays in range.
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((x[mid] as number) <= p) lo = mid;
    else hi = mid;
  }
  const x0 = x[lo] as number;
  const x1 = x[hi] as number;
  const y0 = y[lo] as number;
  const y1 = y[hi] as number;
  return x1 === x0 ? y1 : y0 + ((p - x0) / (x1 - x0)) * (y1 - y0);
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const probability = z.number().min(0).max(1);

export const calibratorSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('platt'), params: z.object({ a: finite, b: finite }) }),
  z.object({
    kind: z.literal('isotonic'),
    params: z
      .object({ x: z.array(probability).min(1), y: z.array(probability).min(1) })
      .refine((params) => params.x.length === params.y.length, { message: 'x and y must have the same length', path: ['y'] })
      .refine((params) => params.x.every((value, i) => i === 0 || value >= (params.x[i - 1] as number)), { message: 'x must be ascending', path: ['x'] })
      .refine((params) => params.y.every((value, i) => i === 0 || value >= (params.y[i - 1] as number)), { message: 'y must be non-decreasing', path: ['y'] }),
  }),
]);

export type ParseCalibratorResult = { readonly ok: true; readonly calibrator: Calibrator } | { readonly ok: false; readonly issues: StatsIssue[] };

/**
 * Validates a calibrator read from JSON (model metadata, a registry file).
 *
 * @example
 * const parsed = parseCalibrator(JSON.parse(model.metadata['tailor.calibrator'] ?? 'null'));
 * if (parsed.ok) score = applyCalibrator(parsed.calibrator, score);
 */
export function parseCalibrator(input: unknown): ParseCalibratorResult {
  const parsed = calibratorSchema.safeParse(input);
  if (parsed.success) return { ok: true, calibrator: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), code: issue.code, message: issue.message })) };
}
