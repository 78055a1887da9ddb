import { createFallbackScorer, type FallbackScorerOptions, type Scorer } from '@tailor/core';
import { loadOnnxRuntimeNode, readModelBytes, type OnnxNodeOptions } from './onnxruntime-scorer';

export interface CreateScorerOptions extends OnnxNodeOptions, FallbackScorerOptions {}

/**
 * The scorer for a model file: Tailor's own synchronous evaluator when the graph is linear or a tree
 * ensemble, else onnxruntime-node (imported only then). Both give the same scores (|Δ| ≤ 1e-5).
 * Rejects with a `TailorError` for a file that is not a valid ONNX model.
 *
 * @example
 * import { createScorer } from '@tailor/node';
 * const scorer = await createScorer('models/propensity.onnx');
 * const scores = await scorer.score(features, rows); // a Float32Array, or a promise of one for onnxruntime
 */
export async function createScorer(model: Uint8Array | string, options: CreateScorerOptions = {}): Promise<Scorer> {
  return createFallbackScorer(await readModelBytes(model), () => loadOnnxRuntimeNode(options), options);
}
