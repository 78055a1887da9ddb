import type { ModelInfo, SyncScorer } from '../decision/types';
import { compileCompactLinear } from './compact-linear';
import { compileCompactTrees } from './compact-trees';
import { compileRowTransform, createRowScorer, invalid, type CompileResult, type RowTransform } from './evaluator';
import type { PostTransform } from './float-math';

/** The `format` of a {@link CompactModel}; a device refuses any other (and asks the collector instead). */
export const COMPACT_MODEL_FORMAT = 'tailor.compact-model/1';

/**
 * A model Tailor's evaluators run, as plain JSON: what the collector serves devices at
 * `GET /v1/models/:id/compact`, so a browser scores without parsing ONNX. It is the ONNX evaluator's own
 * compiled form (`loadModel` goes through it), so both give the same scores bit for bit.
 */
export interface CompactModel {
  readonly format: typeof COMPACT_MODEL_FORMAT;
  readonly info: ModelInfo;
  /** The ONNX operators it was converted from, e.g. `Scaler → LinearClassifier`. */
  readonly evaluator: string;
  /** The output column scored (the positive class of a binary classifier). */
  readonly column: number;
  /** Row transforms applied in order before the model. */
  readonly preprocess: readonly CompactPreprocessor[];
  readonly model: CompactLinear | CompactTreeClassifier | CompactTreeRegressor;
}

/** ai.onnx.ml Scaler (`(x − offset) × scale`, one pair or one per feature) or Normalizer. */
export type CompactPreprocessor =
  | { readonly op: 'scaler'; readonly scale: readonly number[]; readonly offset: readonly number[] }
  | { readonly op: 'normalizer'; readonly norm: 'MAX' | 'L1' | 'L2' };

/**
 * Linear scores, one per row of `weights`: `f(alpha·(x·w) + bias)`, or `f(f(x·w) + bias)` with
 * `roundProduct` (MatMul and Add are two kernels), then `transform`. `complement` writes one score p as
 * `[1 − p, p]` (LOGISTIC or NONE only), as onnxruntime does for a binary LinearClassifier.
 */
export interface CompactLinear {
  readonly kind: 'linear';
  readonly width: number;
  readonly weights: readonly number[];
  readonly bias: readonly number[];
  readonly alpha: number;
  readonly roundProduct: boolean;
  readonly transform: PostTransform;
  readonly complement: boolean;
}

/**
 * Trees as parallel arrays in preorder (a node's children come after it, which a device checks, so a walk
 * always ends). Node `i` is a leaf when `feature[i]` is −1; a branch tests `x[feature[i]]` against
 * `threshold[i]` with `mode[i]` (0 ≤, 1 <, 2 ≥, 3 >, 4 =, 5 ≠) and goes to `trueChild[i]` (also for NaN when
 * `missingTrue[i]` is 1) or `falseChild[i]`. A leaf's votes are `leafTarget`/`leafValue` from `leafStart[i]`
 * for `leafCount[i]` entries.
 */
export interface CompactTreeNodes {
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  readonly mode: readonly number[];
  readonly missingTrue: readonly number[];
  readonly trueChild: readonly number[];
  readonly falseChild: readonly number[];
  readonly roots: readonly number[];
  readonly leafStart: readonly number[];
  readonly leafCount: readonly number[];
  readonly leafTarget: readonly number[];
  readonly leafValue: readonly number[];
}

/** ai.onnx.ml TreeEnsembleClassifier; `derived` is how a binary model fills its second column (-1, 1 or 3). */
export interface CompactTreeClassifier extends CompactTreeNodes {
  readonly kind: 'tree-classifier';
  readonly classes: number;
  readonly base: readonly number[];
  readonly transform: PostTransform;
  readonly derived: number;
}

/** ai.onnx.ml TreeEnsembleRegressor with one target. */
export interface CompactTreeRegressor extends CompactTreeNodes {
  readonly kind: 'tree-regressor';
  readonly aggregate: 'SUM' | 'AVERAGE' | 'MIN' | 'MAX';
  readonly origin: number;
}

const refused = (error: string) => ({ ok: false, reason: 'invalid', error }) as const;

export type LoadCompactModelResult =
  | { readonly ok: true; readonly scorer: SyncScorer; readonly evaluator: string }
  | { readonly ok: false; readonly reason: 'invalid'; readonly error: string };

/** Compiles the model part of a compact model into a row evaluator (checked: never throws, never loops). */
export function compileCompactSpec(spec: CompactModel['model'], width: number): CompileResult {
  if (spec.kind === 'linear') return compileCompactLinear(spec);
  if (spec.kind === 'tree-classifier' || spec.kind === 'tree-regressor') return compileCompactTrees(spec, width);
  return invalid(`unknown compact model kind "${String((spec as { kind?: unknown }).kind)}"`);
}

/**
 * Builds a synchronous scorer from a compact model (JSON as the collector serves it, parsed), without the
 * ONNX reader: what `@tailor/browser/decisions` runs on the device. Checks the shape it relies on and never
 * throws: anything else gives `ok: false` and the caller decides elsewhere.
 *
 * @example
 * const loaded = loadCompactModel(await (await fetch(`${endpoint}/v1/models/propensity/compact`)).json());
 * if (loaded.ok) loaded.scorer.score(Float32Array.of(0.2, 3, 1), 1); // → Float32Array [p]
 */
export function loadCompactModel(value: unknown): LoadCompactModelResult {
  try {
    const model = value as CompactModel;
    if (model?.format !== COMPACT_MODEL_FORMAT) return refused(`not a compact model (format ${JSON.stringify(model?.format)}, expected "${COMPACT_MODEL_FORMAT}")`);
    const info = model.info;
    const width = info.featureNames.length;
    if (!(width > 0 && info.featureNames.every((name) => typeof name === 'string'))) return refused('compact model: "info.featureNames" must name one feature or more');
    const compiled = compileCompactSpec(model.model, width);
    if (!compiled.ok) return refused(compiled.error);
    const column = model.column;
    if (!(Number.isInteger(column) && column >= 0 && column < compiled.columns)) return refused(`compact model: column ${column} asked for, but the model writes ${compiled.columns}`);
    const transforms: RowTransform[] = [];
    for (const spec of model.preprocess) {
      const transform = compileRowTransform(spec, width);
      if (typeof transform !== 'function') return refused(transform.error);
      transforms.push(transform);
    }
    return { ok: true, scorer: createRowScorer({ ...info, metadata: info.metadata ?? {} }, compiled, column, transforms), evaluator: String(model.evaluator) };
  } catch (error) {
    return refused(`compact model: ${(error as Error).message}`);
  }
}
