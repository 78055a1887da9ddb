import { TailorError } from '@tailor/core';
import { sigmoid, type LinearModel } from './model';

export interface LogisticOptions {
  /** L2 penalty on the standardized weights (not the intercept): `λ/2 · ‖β‖²` added to the summed log loss. Default 1. */
  readonly l2?: number;
  /** Newton steps at most. Default 50. */
  readonly maxIterations?: number;
  /** Stop when the largest step on a standardized weight is below this. Default 1e-8. */
  readonly tolerance?: number;
}

export interface TrainingMatrix {
  readonly featureNames: readonly string[];
  /** `n` rows of `featureNames.length` float32 features, row after row. */
  readonly x: Float32Array;
  /** 0 or 1 per row. */
  readonly y: Uint8Array;
  readonly n: number;
}

export interface LogisticTrainingResult {
  readonly model: LinearModel;
  readonly iterations: number;
  readonly converged: boolean;
  /** The penalized mean log loss at the end, on the training rows. */
  readonly loss: number;
}

/**
 * L2-regularized logistic regression by Newton's method (IRLS) on standardized features, with step halving
 * when a step would raise the loss (separable data). The standardization is folded into the weights, so the
 * model scores raw features: `w_j = β_j / s_j`, `b = β_0 − Σ β_j μ_j / s_j`. Deterministic: no randomness.
 *
 * @example
 * const { model } = trainLogistic(dataset.train, { l2: 1 });
 * predictProbabilities(model, dataset.validation.x, dataset.validation.n);
 */
export function trainLogistic(data: TrainingMatrix, options: LogisticOptions = {}): LogisticTrainingResult {
  const l2 = options.l2 ?? 1;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-8;
  if (!(l2 >= 0)) throw new TailorError('invalid_options', `trainLogistic: "l2" must be a number >= 0, got ${String(options.l2)}`);
  const d = data.featureNames.length;
  const n = data.n;
  if (n === 0) throw new TailorError('invalid_options', 'trainLogistic: no training rows; widen the window or lower the snapshot step');
  if (data.x.length < n * d || data.y.length < n) throw new TailorError('invalid_options', `trainLogistic: ${n} rows need ${n * d} features and ${n} labels`);

  const { mean, scale } = standardization(data.x, n, d);
  // z = [1, (x − μ)/s]: column 0 is the intercept.
  const p = d + 1;
  const z = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    z[i * p] = 1;
    for (let j = 0; j < d; j++) z[i * p + j + 1] = ((data.x[i * d + j] as number) - (mean[j] as number)) / (scale[j] as number);
  }
  const beta = new Float64Array(p);
  const positives = countPositives(data.y, n);
  // Start at the base rate: the first Newton step is then well scaled even for rare labels.
  beta[0] = Math.log((positives + 0.5) / (n - positives + 0.5));

  let loss = penalizedLoss(z, data.y, n, p, beta, l2);
  let iterations = 0;
  let converged = false;
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  for (; iterations < maxIterations && !converged; iterations++) {
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * p;
      let margin = 0;
      for (let j = 0; j < p; j++) margin += (z[row + j] as number) * (beta[j] as number);
      const prob = sigmoid(margin);
      const residual = prob - (data.y[i] as number);
      const weight = Math.max(prob * (1 - prob), 1e-12);
      for (let j = 0; j < p; j++) {
        const zj = z[row + j] as number;
        if (zj === 0) continue;
        gradient[j] = (gradient[j] as number) + residual * zj;
        const wz = weight * zj;
        // Lower triangle only; mirrored before solving.
        for (let k = 0; k <= j; k++) hessian[j * p + k] = (hessian[j * p + k] as number) + wz * (z[row + k] as number);
      }
    }
    for (let j = 1; j < p; j++) {
      gradient[j] = (gradient[j] as number) + l2 * (beta[j] as number);
      hessian[j * p + j] = (hessian[j * p + j] as number) + l2;
    }
    // A ridge too small to bias the fit keeps the system positive definite for constant columns.
    for (let j = 0; j < p; j++) hessian[j * p + j] = (hessian[j * p + j] as number) + 1e-9;
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) hessian[k * p + j] = hessian[j * p + k] as number;
    const step = solveSymmetric(hessian, gradient, p);
    let factor = 1;
    let next = beta.map((b, j) => b - (step[j] as number));
    let nextLoss = penalizedLoss(z, data.y, n, p, next, l2);
    while (nextLoss > loss + 1e-12 && factor > 1e-6) {
      factor /= 2;
      next = beta.map((b, j) => b - factor * (step[j] as number));
      nextLoss = penalizedLoss(z, data.y, n, p, next, l2);
    }
    let largest = 0;
    for (let j = 0; j < p; j++) largest = Math.max(largest, Math.abs((next[j] as number) - (beta[j] as number)));
    beta.set(next);
    loss = nextLoss;
    converged = largest < tolerance;
  }

  const weights = new Float64Array(d);
  let intercept = beta[0] as number;
  for (let j = 0; j < d; j++) {
    weights[j] = (beta[j + 1] as number) / (scale[j] as number);
    intercept -= (weights[j] as number) * (mean[j] as number);
  }
  return { model: { kind: 'logistic', featureNames: [...data.featureNames], weights, intercept }, iterations, converged, loss: loss / n };
}

/** log(1 + e^m) without overflow. */
function softplus(m: number): number {
  return m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
}

function penalizedLoss(z: Float64Array, y: Uint8Array, n: number, p: number, beta: Float64Array, l2: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let margin = 0;
    for (let j = 0; j < p; j++) margin += (z[i * p + j] as number) * (beta[j] as number);
    sum += softplus(margin) - (y[i] as number) * margin;
  }
  for (let j = 1; j < p; j++) sum += (l2 / 2) * (beta[j] as number) ** 2;
  return sum;
}

function countPositives(y: Uint8Array, n: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) count += y[i] === 1 ? 1 : 0;
  return count;
}

/** Per-feature mean and standard deviation (1 for a constant feature, which then keeps weight 0). */
export function standardization(x: Float32Array, n: number, d: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (x[i * d + j] as number);
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const delta = (x[i * d + j] as number) - (mean[j] as number);
      scale[j] = (scale[j] as number) + delta * delta;
    }
  }
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt((scale[j] as number) / n);
    scale[j] = sd > 1e-12 * Math.max(1, Math.abs(mean[j] as number)) ? sd : 1;
  }
  return { mean, scale };
}

/** Solves `A x = b` for a symmetric positive definite `A` (row-major `n × n`) by Cholesky. */
function solveSymmetric(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / (l[j * n + j] as number);
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * n + k] as number) * (y[k] as number);
    y[i] = sum / (l[i * n + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i] as number;
    for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = sum / (l[i * n + i] as number);
  }
  return x;
}
