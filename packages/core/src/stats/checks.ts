import { TailorError } from '../errors';

/**
 * Argument checks shared by the stats functions. Mismatched arrays and out-of-range options are mistakes
 * in the calling code, so they throw; problems in the data itself (one class only, NaN scores) are
 * reported in the result instead.
 */

/** Throws unless every named array has as many entries as the first. */
export function checkSameLength(caller: string, arrays: Readonly<Record<string, ArrayLike<number> | undefined>>): number {
  let expected: number | undefined;
  let first = '';
  for (const [name, values] of Object.entries(arrays)) {
    if (values === undefined) continue;
    if (expected === undefined) {
      expected = values.length;
      first = name;
    } else if (values.length !== expected) {
      throw new TailorError('invalid_options', `${caller}: "${name}" has ${values.length} values but "${first}" has ${expected}; pass one per row`);
    }
  }
  return expected ?? 0;
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(caller: string, name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TailorError('invalid_options', `${caller}: "${name}" must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got ${value}`);
  }
}

/** Throws unless `value` lies in the open interval (min, max). */
export function checkOpenRange(caller: string, name: string, value: number, min: number, max: number): void {
  if (!(value > min && value < max)) {
    throw new TailorError('invalid_options', `${caller}: "${name}" must be between ${min} and ${max} (exclusive), got ${value}`);
  }
}

/** Weight of row `i`: 1 when unweighted. */
export function weightAt(weights: ArrayLike<number> | undefined, i: number): number {
  return weights === undefined ? 1 : (weights[i] as number);
}

/** One problem with a serialized stats object (a calibrator, reference bins), as data. */
export interface StatsIssue {
  /** Dot path into the input, with `[n]` for array items. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
}
