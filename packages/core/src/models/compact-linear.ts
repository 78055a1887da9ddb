import type { CompactLinear } from './compact-model';
import { invalid, type CompileResult } from './evaluator';
import { isPostTransform, logistic, transformScores } from './float-math';

const f = Math.fround;

/** Σ x·w over one row, accumulated in double and rounded by the caller (onnxruntime's sgemm is at least as exact). */
function dot(input: Float32Array, offset: number, weights: Float32Array, from: number, width: number): number {
  let sum = 0;
  for (let j = 0; j < width; j++) sum += (input[offset + j] as number) * (weights[from + j] as number);
  return sum;
}

/** The evaluator of every linear form (LinearClassifier, LinearRegressor, MatMul/Gemm + Sigmoid). */
export function compileCompactLinear(spec: CompactLinear): CompileResult {
  const { width, alpha, roundProduct, transform, complement } = spec;
  const weights = Float32Array.from(spec.weights);
  const bias = Float32Array.from(spec.bias);
  const targets = bias.length;
  if (!(Number.isInteger(width) && width > 0 && targets > 0 && weights.length === width * targets)) {
    return invalid(`linear model: ${weights.length} weights for ${targets} score(s) of ${width} features`);
  }
  if (!isPostTransform(transform) || typeof alpha !== 'number' || (complement && (targets !== 1 || (transform !== 'LOGISTIC' && transform !== 'NONE')))) {
    return invalid(`linear model: bad transform "${transform}", alpha or complement`);
  }
  return {
    ok: true,
    task: complement || transform !== 'NONE' ? 'classifier' : 'regressor',
    columns: complement ? 2 : targets,
    reads: { count: width, exact: true },
    evaluate(input, offset, out) {
      for (let k = 0; k < targets; k++) {
        const product = dot(input, offset, weights, k * width, width);
        out[k] = roundProduct ? f(f(product) + (bias[k] as number)) : f(alpha * product + (bias[k] as number));
      }
      if (complement) {
        const p = transform === 'LOGISTIC' ? logistic(out[0] as number) : (out[0] as number);
        out[0] = f(1 - p);
        out[1] = p;
      } else transformScores(transform, out, 0, targets);
    },
  };
}
