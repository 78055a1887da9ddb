/**
 * The arithmetic of onnxruntime's classical-ML kernels, which compute in float32: each helper rounds
 * where the C++ code stores a float, so Tailor's evaluators land within a float ulp or two of it.
 */

const f = Math.fround;

/** Post transforms of the ai.onnx.ml operators that Tailor evaluates (PROBIT is left to onnxruntime). */
export type PostTransform = 'NONE' | 'LOGISTIC' | 'SOFTMAX' | 'SOFTMAX_ZERO';

export function parsePostTransform(value: string | undefined): PostTransform | undefined {
  const name = value ?? 'NONE';
  return isPostTransform(name) ? name : undefined;
}

export const isPostTransform = (name: unknown): name is PostTransform => name === 'NONE' || name === 'LOGISTIC' || name === 'SOFTMAX' || name === 'SOFTMAX_ZERO';

/** 1 / (1 + e^−|x|), mirrored for negative x, in float32 (never overflows). */
export function logistic(x: number): number {
  const v = f(1 / f(1 + f(Math.exp(-Math.abs(x)))));
  return x < 0 ? f(1 - v) : v;
}

/** Softmax over `values[from..from+count)` in place, shifted by the max as onnxruntime does. */
export function softmaxInPlace(values: Float64Array, from: number, count: number): void {
  let max = -3.4028234663852886e38;
  for (let i = from; i < from + count; i++) if ((values[i] as number) > max) max = values[i] as number;
  let sum = 0;
  for (let i = from; i < from + count; i++) {
    const e = f(Math.exp(f((values[i] as number) - max)));
    values[i] = e;
    sum = f(sum + e);
  }
  for (let i = from; i < from + count; i++) values[i] = f((values[i] as number) / sum);
}

/** Softmax that leaves (near-)zero scores out of the sum, as onnxruntime's SOFTMAX_ZERO does. */
export function softmaxZeroInPlace(values: Float64Array, from: number, count: number): void {
  let max = -3.4028234663852886e38;
  for (let i = from; i < from + count; i++) if ((values[i] as number) > max) max = values[i] as number;
  const expNegMax = f(Math.exp(-max));
  let sum = 0;
  for (let i = from; i < from + count; i++) {
    const value = values[i] as number;
    if (value > 1e-7 || value < -1e-7) {
      const e = f(Math.exp(f(value - max)));
      values[i] = e;
      sum = f(sum + e);
    } else values[i] = f(value * expNegMax);
  }
  for (let i = from; i < from + count; i++) values[i] = f((values[i] as number) / sum);
}

/** Applies a post transform to `count` scores in place (for two or more scores per row). */
export function transformScores(transform: PostTransform, values: Float64Array, from: number, count: number): void {
  switch (transform) {
    case 'LOGISTIC':
      for (let i = from; i < from + count; i++) values[i] = logistic(values[i] as number);
      return;
    case 'SOFTMAX':
      softmaxInPlace(values, from, count);
      return;
    case 'SOFTMAX_ZERO':
      softmaxZeroInPlace(values, from, count);
      return;
    case 'NONE':
      return;
  }
}
