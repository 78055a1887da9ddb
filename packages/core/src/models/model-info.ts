import type { ModelInfo } from '../decision/types';
import { ONNX_FLOAT, type OnnxModel, type OnnxValueInfo } from './onnx-model';

/** Metadata keys Tailor reads from an ONNX file's metadata_props. */
export const METADATA_MODEL_ID = 'tailor.model_id';
export const METADATA_MODEL_VERSION = 'tailor.model_version';
export const METADATA_FEATURE_NAMES = 'tailor.feature_names';
/** Optional: `classifier` or `regressor`, when the graph alone does not say (a plain MatMul + Add, say). */
export const METADATA_TASK = 'tailor.task';

export type ModelInfoResult = { readonly ok: true; readonly info: ModelInfo } | { readonly ok: false; readonly error: string };

/** The graph's data input: the one input that is not an initializer (IR < 4 lists initializers as inputs too). */
export function findDataInputs(model: OnnxModel): OnnxValueInfo[] {
  return model.graph.inputs.filter((input) => !model.graph.initializers.has(input.name));
}

/**
 * Builds {@link ModelInfo} from metadata_props: `tailor.model_id` (else the graph name), `tailor.model_version`
 * (else the ONNX model_version) and `tailor.feature_names` (a JSON array; else `f0…fn` from the input width,
 * or from what the operator reads when the width is symbolic). `reads` is the number of features the
 * operator uses: exactly (a linear model's coefficients) or at least (the highest feature a tree tests).
 */
export function resolveModelInfo(model: OnnxModel, task: ModelInfo['task'], reads?: { count: number; exact: boolean }): ModelInfoResult {
  const metadata = model.metadata;
  const inputs = findDataInputs(model);
  const input = inputs[0];
  const width = input?.dims.length === 2 && typeof input.dims[1] === 'number' ? input.dims[1] : undefined;
  let featureNames: string[] | undefined;
  const namesText = metadata[METADATA_FEATURE_NAMES];
  if (namesText !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(namesText);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((name) => typeof name === 'string')) {
      return { ok: false, error: `metadata "${METADATA_FEATURE_NAMES}" must be a JSON array of strings, got ${JSON.stringify(namesText.slice(0, 80))}` };
    }
    featureNames = parsed as string[];
  }
  const count = featureNames?.length ?? width ?? reads?.count;
  if (count === undefined || count < 1) {
    return { ok: false, error: `cannot tell how many features the model takes: give the input a fixed width or set metadata "${METADATA_FEATURE_NAMES}"` };
  }
  if (width !== undefined && width !== count) {
    return { ok: false, error: `metadata "${METADATA_FEATURE_NAMES}" names ${count} features but input "${input?.name}" is ${width} wide` };
  }
  if (reads !== undefined && (reads.exact ? reads.count !== count : reads.count > count)) {
    return { ok: false, error: `the model's operator reads ${reads.exact ? '' : 'at least '}${reads.count} features but the model declares ${count}` };
  }
  const declaredTask = metadata[METADATA_TASK];
  return {
    ok: true,
    info: {
      id: metadata[METADATA_MODEL_ID] || model.graph.name || 'model',
      version: metadata[METADATA_MODEL_VERSION] || String(model.modelVersion),
      featureNames: featureNames ?? Array.from({ length: count }, (_, i) => `f${i}`),
      task: declaredTask === 'classifier' || declaredTask === 'regressor' ? declaredTask : task,
      metadata,
    },
  };
}

/** True for a float tensor input of rank 2 (or of unknown shape): rows of features, what Tailor feeds. */
export function isFloatRowsInput(input: OnnxValueInfo): boolean {
  return input.kind === 'tensor' && input.elemType === ONNX_FLOAT && (input.dims.length === 2 || input.dims.length === 0);
}
