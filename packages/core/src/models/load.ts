import type { SyncScorer } from '../decision/types';
import { TailorError } from '../errors';
import { COMPACT_MODEL_FORMAT, compileCompactSpec, type CompactModel, type CompactPreprocessor } from './compact-model';
import { compileRowTransform, createRowScorer, floatsOf, stringOf, type CompileFailure, type Conversion, type RowEvaluator, type RowTransform } from './evaluator';
import { toCompactLinearClassifier, toCompactLinearGraph, toCompactLinearRegressor } from './linear';
import { findDataInputs, isFloatRowsInput, resolveModelInfo } from './model-info';
import { readOnnxModel, type OnnxNode } from './onnx-model';
import { toCompactTreeClassifier, toCompactTreeRegressor } from './tree-ensemble';

export const ML_DOMAIN = 'ai.onnx.ml';

export interface LoadModelOptions {
  /**
   * The output column to score: defaults to 1 (the positive class) for classifiers with two or more
   * probability columns, else 0. Set it to pick a class of a multiclass model.
   */
  readonly outputColumn?: number;
}

export type LoadModelResult =
  | {
      readonly ok: true;
      readonly scorer: SyncScorer;
      /** The operators evaluated, e.g. `Scaler → LinearClassifier`. */
      readonly evaluator: string;
    }
  | { readonly ok: false; readonly reason: 'invalid'; readonly error: string }
  | {
      readonly ok: false;
      readonly reason: 'unsupported';
      /** The operator (or input kind) Tailor's evaluators do not run: score this model with onnxruntime. */
      readonly op: string;
      readonly error: string;
    };

export type ToCompactModelResult = { readonly ok: true; readonly model: CompactModel } | LoadFailure;

type ModelSpec = CompactModel['model'];

const MODEL_OPS: Readonly<Record<string, (node: OnnxNode) => Conversion<ModelSpec>>> = {
  LinearClassifier: toCompactLinearClassifier,
  LinearRegressor: toCompactLinearRegressor,
  TreeEnsembleClassifier: toCompactTreeClassifier,
  TreeEnsembleRegressor: toCompactTreeRegressor,
};
const PREPROCESSORS = new Set(['Scaler', 'Normalizer']);

/**
 * Reads an ONNX file and compiles it into Tailor's own evaluator when the graph is a linear or tree-ensemble
 * model: ai.onnx.ml LinearClassifier, LinearRegressor, TreeEnsembleClassifier or TreeEnsembleRegressor, or
 * `MatMul` (+ `Add`) / `Gemm` (+ `Sigmoid`), each optionally after ai.onnx.ml Scaler/Normalizer and before a
 * ZipMap. It scores in microseconds, synchronously, with the arithmetic of onnxruntime 1.30 (|Δ| ≤ 1e-5).
 *
 * Never throws on bytes: a malformed file gives `reason: 'invalid'`, a graph outside that list gives
 * `reason: 'unsupported'` with the operator, so the caller can fall back to onnxruntime.
 *
 * @example
 * const loaded = loadModel(bytes);
 * if (loaded.ok) loaded.scorer.score(Float32Array.of(0.2, 3, 1), 1); // → Float32Array [p]
 * else if (loaded.reason === 'unsupported') console.log(`needs onnxruntime: ${loaded.op}`);
 */
export function loadModel(bytes: Uint8Array, options: LoadModelOptions = {}): LoadModelResult {
  const converted = convert(bytes, options);
  if (!converted.ok) return converted;
  const { model, evaluator, transforms } = converted;
  return { ok: true, scorer: createRowScorer(model.info, evaluator, model.column, transforms), evaluator: model.evaluator };
}

/**
 * Converts an ONNX file into the {@link CompactModel} that `loadCompactModel` runs without the ONNX reader:
 * what the collector serves devices. Takes the models {@link loadModel} takes (the two share this
 * conversion, so their scores are the same bit for bit), except those holding numbers JSON cannot carry
 * (NaN, ±Infinity), which give `reason: 'unsupported'`.
 *
 * @example
 * const converted = toCompactModel(readFileSync('propensity.onnx'));
 * if (converted.ok) response.end(JSON.stringify(converted.model));
 */
export function toCompactModel(bytes: Uint8Array, options: LoadModelOptions = {}): ToCompactModelResult {
  const converted = convert(bytes, options);
  if (!converted.ok) return converted;
  if (!isJsonSafe(converted.model)) return notRun('non-finite number', 'the model holds NaN or ±Infinity, which JSON cannot carry: load the ONNX file');
  return { ok: true, model: converted.model };
}

type Converted = { readonly ok: true; readonly model: CompactModel; readonly evaluator: RowEvaluator; readonly transforms: readonly RowTransform[] };

function convert(bytes: Uint8Array, options: LoadModelOptions): Converted | LoadFailure {
  const requested = options.outputColumn;
  if (requested !== undefined && !(Number.isInteger(requested) && requested >= 0)) {
    throw new TailorError('invalid_options', `loadModel: "outputColumn" must be a non-negative integer, got ${String(requested)}`);
  }
  const read = readOnnxModel(bytes);
  if (!read.ok) return { ok: false, reason: 'invalid', error: read.error };
  const model = read.model;
  const inputs = findDataInputs(model);
  const input = inputs[0];
  if (inputs.length !== 1 || input === undefined) return notRun(`${inputs.length} inputs`, `the graph has ${inputs.length} inputs; Tailor's evaluators take one [rows, features] float tensor`);
  if (!isFloatRowsInput(input)) return notRun(`input "${input.name}"`, `input "${input.name}" is not a [rows, features] float tensor`);

  const nodes = model.graph.nodes;
  let cursor = input.name;
  let at = 0;
  const preprocessors: OnnxNode[] = [];
  while (at < nodes.length && isMlOp(nodes[at], PREPROCESSORS) && nodes[at]?.inputs[0] === cursor) {
    const node = nodes[at++] as OnnxNode;
    preprocessors.push(node);
    cursor = node.outputs[0] ?? '';
  }
  const main = nodes[at];
  if (main === undefined) return notRun('no model operator', 'the graph has no model operator after its preprocessing');
  if (main.inputs[0] !== cursor) return notRun(main.opType, `${main.opType} does not read the model input "${cursor}"`);
  let converted: Conversion<ModelSpec>;
  let scores: string;
  const chain: OnnxNode[] = [main];
  const compileOp = main.domain === ML_DOMAIN ? MODEL_OPS[main.opType] : undefined;
  if (compileOp !== undefined) {
    converted = compileOp(main);
    scores = (main.opType.endsWith('Classifier') ? main.outputs[1] : main.outputs[0]) ?? '';
    at++;
  } else if (main.domain === '' && (main.opType === 'MatMul' || main.opType === 'Gemm')) {
    scores = main.outputs[0] ?? '';
    for (at++; at < nodes.length; at++) {
      const node = nodes[at] as OnnxNode;
      if (node.domain !== '' || !(node.opType === 'Add' || node.opType === 'Sigmoid') || !node.inputs.includes(scores)) break;
      chain.push(node);
      scores = node.outputs[0] ?? '';
    }
    converted = toCompactLinearGraph(chain, model.graph.initializers);
  } else return notRun(opName(main), `${opName(main)} is not one of the operators Tailor evaluates`);

  let zipMapped = false;
  for (; at < nodes.length; at++) {
    const node = nodes[at] as OnnxNode;
    // ZipMap only repackages the probabilities as maps; Tailor reads the tensor it consumes.
    if (isMlOp(node, ZIP_MAP) && node.inputs[0] === scores && model.graph.outputs.some((output) => output.name === node.outputs[0])) zipMapped = true;
    else return notRun(opName(node), `${opName(node)} follows the model operator; Tailor evaluates only linear and tree-ensemble graphs`);
  }
  if (!converted.ok) return failed(converted, main.opType);
  // The row width is known only once the metadata is read: resolveModelInfo checks what the operator reads.
  const compiled = compileCompactSpec(converted.spec, Number.POSITIVE_INFINITY);
  if (!compiled.ok) return failed(compiled, main.opType);
  if (!zipMapped && !model.graph.outputs.some((output) => output.name === scores)) return { ok: false, reason: 'invalid', error: `the scores ("${scores}") are not a graph output` };

  const resolved = resolveModelInfo(model, converted.task, compiled.reads);
  if (!resolved.ok) return { ok: false, reason: 'invalid', error: resolved.error };
  const info = resolved.info;
  const preprocess: CompactPreprocessor[] = preprocessors.map((node) =>
    node.opType === 'Scaler' ? { op: 'scaler', scale: Array.from(floatsOf(node, 'scale')), offset: Array.from(floatsOf(node, 'offset')) } : { op: 'normalizer', norm: (stringOf(node, 'norm') ?? 'MAX') as 'MAX' },
  );
  const transforms: RowTransform[] = [];
  for (const spec of preprocess) {
    const transform = compileRowTransform(spec, info.featureNames.length);
    if (typeof transform !== 'function') return { ok: false, reason: 'invalid', error: transform.error };
    transforms.push(transform);
  }
  const column = requested ?? (info.task === 'classifier' && compiled.columns >= 2 ? 1 : 0);
  if (column >= compiled.columns) return { ok: false, reason: 'invalid', error: `outputColumn ${column} asked for, but the model writes ${compiled.columns} column(s)` };
  const evaluator = [...preprocessors, ...chain].map((node) => node.opType).join(' → ');
  return { ok: true, model: { format: COMPACT_MODEL_FORMAT, info, evaluator, column, preprocess, model: converted.spec }, evaluator: compiled, transforms };
}

const ZIP_MAP = new Set(['ZipMap']);
const isMlOp = (node: OnnxNode | undefined, ops: ReadonlySet<string>): boolean => node !== undefined && node.domain === ML_DOMAIN && ops.has(node.opType);
const opName = (node: OnnxNode): string => (node.domain === '' ? node.opType : `${node.domain}.${node.opType}`);
type LoadFailure = Exclude<LoadModelResult, { ok: true }>;
const notRun = (op: string, error: string): LoadFailure => ({ ok: false, reason: 'unsupported', op, error });
const failed = (failure: CompileFailure, op: string): LoadFailure =>
  failure.reason === 'invalid' ? { ok: false, reason: 'invalid', error: failure.error } : notRun(op, failure.error);

/** True when every number in the value survives JSON (JSON.stringify writes NaN and ±Infinity as null). */
function isJsonSafe(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonSafe);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isJsonSafe);
  return true;
}
