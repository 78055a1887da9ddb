import type { ModelInfo, SyncScorer } from '../decision/types';
import type { CompactPreprocessor } from './compact-model';
import type { OnnxAttribute, OnnxNode } from './onnx-model';

/**
 * What each evaluator compiles an ONNX node (or chain of nodes) into: a function that scores one row into
 * `out` (one value per output column), plus what the loader needs to check it against the model.
 */
export interface RowEvaluator {
  readonly ok: true;
  readonly task: ModelInfo['task'];
  /** Output columns per row (2 for a binary classifier's probabilities). */
  readonly columns: number;
  /** How many features the operator reads: exactly (linear) or at least (trees). */
  readonly reads: { readonly count: number; readonly exact: boolean };
  /** Scores the row starting at `input[offset]` into `out[0..columns)`. */
  evaluate(input: Float32Array, offset: number, out: Float64Array): void;
}

/** Why a node cannot be compiled: a malformed model (`invalid`) or a valid one outside what Tailor runs. */
export interface CompileFailure {
  readonly ok: false;
  readonly reason: 'invalid' | 'unsupported';
  readonly error: string;
}

export type CompileResult = RowEvaluator | CompileFailure;

/** An ONNX operator converted to its compact form, with the task the operator implies. */
export type Conversion<Spec> = { readonly ok: true; readonly task: ModelInfo['task']; readonly spec: Spec } | CompileFailure;

export const invalid = (error: string): CompileFailure => ({ ok: false, reason: 'invalid', error });
export const unsupported = (error: string): CompileFailure => ({ ok: false, reason: 'unsupported', error });

const NO_NUMBERS: readonly number[] = [];
const attribute = (node: OnnxNode, name: string): OnnxAttribute | undefined => node.attributes.get(name);
export const floatsOf = (node: OnnxNode, name: string): readonly number[] => attribute(node, name)?.floats ?? NO_NUMBERS;
export const intsOf = (node: OnnxNode, name: string): readonly number[] => attribute(node, name)?.ints ?? NO_NUMBERS;
export const stringsOf = (node: OnnxNode, name: string): readonly string[] => attribute(node, name)?.strings ?? [];
export const stringOf = (node: OnnxNode, name: string): string | undefined => attribute(node, name)?.s;
export const intOf = (node: OnnxNode, name: string, fallback: number): number => attribute(node, name)?.i ?? fallback;
export const floatOf = (node: OnnxNode, name: string, fallback: number): number => attribute(node, name)?.f ?? fallback;
export const hasAttribute = (node: OnnxNode, name: string): boolean => node.attributes.has(name);

/** Rewrites a row in place before the model sees it (ai.onnx.ml Scaler, Normalizer). */
export type RowTransform = (row: Float32Array) => void;

/**
 * A row transform from its compact form: ai.onnx.ml Scaler, `(x − offset) × scale` per feature or one
 * pair for all, in float32; or Normalizer, each row divided by its MAX, L1 or L2 norm (left as is when the
 * norm is 0).
 */
export function compileRowTransform(spec: CompactPreprocessor, width: number): RowTransform | CompileFailure {
  const f = Math.fround;
  if (spec.op === 'scaler') {
    const scale = Float32Array.from(spec.scale);
    const offset = Float32Array.from(spec.offset);
    if (scale.length !== offset.length || (scale.length !== 1 && scale.length !== width)) {
      return invalid(`Scaler needs "scale" and "offset" of length 1 or ${width} (the feature count), got ${scale.length} and ${offset.length}`);
    }
    const shared = scale.length === 1;
    return (row) => {
      for (let i = 0; i < row.length; i++) {
        const k = shared ? 0 : i;
        row[i] = f((row[i] as number) - (offset[k] as number)) * (scale[k] as number);
      }
    };
  }
  const norm = spec.op === 'normalizer' ? spec.norm : undefined;
  if (norm === 'MAX') {
    return (row) => {
      let max = -3.4028234663852886e38;
      // std::max(max, x) keeps max when x is NaN, unlike Math.max.
      for (let i = 0; i < row.length; i++) if (max < (row[i] as number)) max = row[i] as number;
      if (max !== 0) for (let i = 0; i < row.length; i++) row[i] = (row[i] as number) / max;
    };
  }
  if (norm === 'L1') {
    return (row) => {
      let sum = 0;
      for (let i = 0; i < row.length; i++) sum = f(sum + Math.abs(row[i] as number));
      if (sum !== 0) for (let i = 0; i < row.length; i++) row[i] = (row[i] as number) / sum;
    };
  }
  if (norm === 'L2') {
    return (row) => {
      let sum = 0;
      for (let i = 0; i < row.length; i++) sum = f(sum + f((row[i] as number) * (row[i] as number)));
      if (sum === 0) return;
      for (let i = 0; i < row.length; i++) {
        const x = row[i] as number;
        const root = Math.sqrt(f(f(x * x) / sum));
        row[i] = x < 0 ? -root : root;
      }
    };
  }
  return invalid(`Normalizer "norm" must be MAX, L1 or L2, got "${String(norm)}"`);
}

/**
 * Wraps a row evaluator as a {@link SyncScorer} that returns column `column` of each row. Preprocessing
 * transforms run on a copy of the row. Rows the input does not hold in full (a short buffer or a bad
 * `rows`) score NaN instead of throwing.
 */
export function createRowScorer(info: ModelInfo, evaluator: RowEvaluator, column: number, transforms: readonly RowTransform[]): SyncScorer {
  const width = info.featureNames.length;
  const out = new Float64Array(evaluator.columns);
  const scratch = new Float32Array(width);
  const evaluate = evaluator.evaluate;
  const scoreRow =
    transforms.length === 0
      ? (input: Float32Array, offset: number) => {
          evaluate(input, offset, out);
          return out[column] as number;
        }
      : (input: Float32Array, offset: number) => {
          scratch.set(input.subarray(offset, offset + width));
          for (const transform of transforms) transform(scratch);
          evaluate(scratch, 0, out);
          return out[column] as number;
        };
  return {
    model: info,
    sync: true,
    score(input: Float32Array, rows: number): Float32Array {
      const count = Number.isFinite(rows) && rows > 0 ? Math.floor(rows) : 0;
      const scores = new Float32Array(count);
      const complete = Math.min(count, Math.floor(input.length / width));
      for (let row = 0; row < complete; row++) scores[row] = scoreRow(input, row * width);
      scores.fill(Number.NaN, complete);
      return scores;
    },
  };
}
