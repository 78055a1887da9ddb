import {
  createFallbackScorer,
  createSessionScorer,
  type FallbackScorerOptions,
  type OnnxRuntime,
  type Scorer,
  type SessionScorer,
  type SessionScorerOptions,
} from '@tailor/core';

/**
 * onnxruntime-web for graphs Tailor's own evaluators do not run. On its own subpath (`@tailor/browser/onnx`)
 * and imported on first use, because its wasm is ~14 MB (3.7 MB gzipped): a storefront that only scores
 * linear and tree models never downloads it.
 */
export interface OnnxWebOptions extends SessionScorerOptions {
  /**
   * Where the `.wasm` files are served from (`env.wasm.wasmPaths`): a URL prefix or a map of file names
   * to URLs. Self-host them: esbuild does not copy them into a build (Vite does).
   */
  readonly wasmPaths?: string | Readonly<Record<string, string>>;
  /** wasm threads (`env.wasm.numThreads`); more than 1 needs cross-origin isolation (COOP/COEP). */
  readonly numThreads?: number;
  /** The onnxruntime module, or a loader for it, instead of `import('onnxruntime-web/wasm')` (tests, or an app that already loads it). */
  readonly runtime?: OnnxRuntime | (() => Promise<OnnxRuntime>);
}

export interface CreateScorerOptions extends OnnxWebOptions, FallbackScorerOptions {}

/** The runtime's `env.wasm`, which Tailor configures when the module has one. */
interface WasmEnvironment {
  readonly env?: { readonly wasm?: { wasmPaths?: unknown; numThreads?: number } };
}

async function resolveRuntime(options: OnnxWebOptions): Promise<OnnxRuntime> {
  const given = options.runtime;
  const runtime: OnnxRuntime & WasmEnvironment =
    given === undefined ? await import('onnxruntime-web/wasm') : typeof given === 'function' ? await given() : given;
  const wasm = runtime.env?.wasm;
  if (wasm !== undefined) {
    if (options.wasmPaths !== undefined) wasm.wasmPaths = options.wasmPaths;
    if (options.numThreads !== undefined) wasm.numThreads = options.numThreads;
  }
  return runtime;
}

const asBytes = (model: Uint8Array | ArrayBuffer): Uint8Array => (model instanceof Uint8Array ? model : new Uint8Array(model));

/**
 * Scores any ONNX graph with onnxruntime-web's wasm backend, loaded on the first call. Scores are
 * asynchronous (`sync: false`) and read from tensor outputs only (a ZipMap output is bypassed).
 *
 * @example
 * import { createOnnxRuntimeScorer } from '@tailor/browser/onnx';
 * const scorer = await createOnnxRuntimeScorer(await (await fetch('/models/ranker.onnx')).arrayBuffer(), { wasmPaths: '/ort/' });
 * const [p] = await scorer.score(Float32Array.of(0.2, 3, 1), 1);
 */
export async function createOnnxRuntimeScorer(model: Uint8Array | ArrayBuffer, options: OnnxWebOptions = {}): Promise<SessionScorer> {
  return createSessionScorer(await resolveRuntime(options), asBytes(model), options);
}

/**
 * The scorer for a model file: Tailor's own synchronous evaluator when the graph is linear or a tree
 * ensemble (microseconds, no wasm download), else onnxruntime-web, imported only then. Both give the same
 * scores (|Δ| ≤ 1e-5). Rejects with a `TailorError` for a file that is not a valid ONNX model.
 *
 * @example
 * import { createScorer } from '@tailor/browser/onnx';
 * const scorer = await createScorer(bytes, { wasmPaths: '/ort/', onFallback: (op) => console.info(`onnxruntime for ${op}`) });
 * const scores = await scorer.score(features, rows);
 */
export function createScorer(model: Uint8Array | ArrayBuffer, options: CreateScorerOptions = {}): Promise<Scorer> {
  return createFallbackScorer(asBytes(model), () => resolveRuntime(options), options);
}
