import { readFile } from 'node:fs/promises';
import { TailorError, createSessionScorer, type OnnxRuntime, type SessionScorer, type SessionScorerOptions } from '@tailor/core';

export interface OnnxNodeOptions extends SessionScorerOptions {
  /** The onnxruntime module, or a loader for it, instead of `import('onnxruntime-node')`. */
  readonly runtime?: OnnxRuntime | (() => Promise<OnnxRuntime>);
}

/**
 * onnxruntime-node, imported on first use: it is an optional peer dependency (~288 MB with its native
 * binaries), needed only for graphs Tailor's own evaluators do not run.
 */
export async function loadOnnxRuntimeNode(options: Pick<OnnxNodeOptions, 'runtime'> = {}): Promise<OnnxRuntime> {
  const given = options.runtime;
  if (given !== undefined) return typeof given === 'function' ? given() : given;
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    throw new TailorError(
      'invalid_options',
      'onnxruntime-node is not installed: `npm install onnxruntime-node@~1.30` (an optional peer dependency of @tailor/node; set onnxruntime-node-install=skip in .npmrc to skip its CUDA download), or pass options.runtime',
      { cause: error },
    );
  }
}

/** The bytes of a model given as bytes or as a file path. */
export async function readModelBytes(model: Uint8Array | string): Promise<Uint8Array> {
  if (typeof model !== 'string') return model;
  try {
    return await readFile(model);
  } catch (error) {
    throw new TailorError('invalid_options', `cannot read the model file "${model}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Scores any ONNX graph with onnxruntime-node (asynchronous, `sync: false`), reading tensor outputs only:
 * a classifier's probabilities are fetched even when the file wraps them in a ZipMap.
 *
 * @example
 * import { createOnnxRuntimeScorer } from '@tailor/node';
 * const scorer = await createOnnxRuntimeScorer('models/ranker.onnx');
 * const scores = await scorer.score(features, rows);
 * await scorer.close();
 */
export async function createOnnxRuntimeScorer(model: Uint8Array | string, options: OnnxNodeOptions = {}): Promise<SessionScorer> {
  const bytes = await readModelBytes(model);
  return createSessionScorer(await loadOnnxRuntimeNode(options), bytes, options);
}
