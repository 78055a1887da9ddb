import type { ModelInfo, Scorer } from '../decision/types';
import { TailorError } from '../errors';
import { loadModel } from './load';
import { readOnnxModel } from './onnx-model';
import { planRuntimeRun } from './runtime-plan';

/**
 * The few members of onnxruntime (`onnxruntime-web/wasm` or `onnxruntime-node`) Tailor uses, described
 * structurally so core never imports either. Pass the module itself: `createSessionScorer(ort, bytes)`.
 */
export interface OnnxRuntime {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: Readonly<Record<string, unknown>>): Promise<OnnxRuntimeSession>;
  };
  readonly Tensor: new (type: 'float32' | 'float64', data: Float32Array | Float64Array, dims: readonly number[]) => OnnxRuntimeTensor;
}

export interface OnnxRuntimeSession {
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, OnnxRuntimeTensor>>, fetches: readonly string[]): Promise<Readonly<Record<string, OnnxRuntimeTensor>>>;
  release(): Promise<void>;
}

export interface OnnxRuntimeTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export interface SessionScorerOptions {
  /** The output to read scores from; by default a classifier's probabilities, else the first float tensor output. */
  readonly outputName?: string;
  /** The column of that output: by default 1 (positive class) for classifiers with two or more columns, else 0. */
  readonly outputColumn?: number;
  /** Passed to `InferenceSession.create` (execution providers, threads, graph optimization…). */
  readonly sessionOptions?: Readonly<Record<string, unknown>>;
  /** Told about a failed run; that call's scores are NaN, as scoring never throws. */
  readonly onError?: (error: unknown) => void;
}

/** A scorer backed by an onnxruntime session; `close()` releases the session. */
export interface SessionScorer extends Scorer {
  readonly sync: false;
  score(input: Float32Array, rows: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Scores any ONNX graph with an injected onnxruntime module. Runs are serialized (onnxruntime-web rejects
 * concurrent runs on one session); a failed run resolves NaN scores and calls `onError`.
 * Rejects with a {@link TailorError} when the model cannot be read or loaded.
 *
 * @example
 * const ort = await import('onnxruntime-node');
 * const scorer = await createSessionScorer(ort, bytes);
 * const scores = await scorer.score(Float32Array.of(0.2, 3, 1), 1);
 */
export async function createSessionScorer(runtime: OnnxRuntime, bytes: Uint8Array, options: SessionScorerOptions = {}): Promise<SessionScorer> {
  const column = options.outputColumn;
  if (column !== undefined && !(Number.isInteger(column) && column >= 0)) {
    throw new TailorError('invalid_options', `createSessionScorer: "outputColumn" must be a non-negative integer, got ${String(column)}`);
  }
  const read = readOnnxModel(bytes);
  if (!read.ok) throw new TailorError('invalid_config', `createSessionScorer: ${read.error}`);
  const planned = planRuntimeRun(read.model, bytes, options.outputName);
  if (!planned.ok) throw new TailorError('invalid_config', `createSessionScorer: ${planned.error}`);
  const plan = planned.plan;
  let session: OnnxRuntimeSession;
  try {
    session = await runtime.InferenceSession.create(plan.bytes, options.sessionOptions);
  } catch (error) {
    throw new TailorError('invalid_config', `createSessionScorer: onnxruntime could not load the model: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!session.outputNames.includes(plan.outputName)) {
    await session.release();
    throw new TailorError('invalid_config', `createSessionScorer: the session has no output "${plan.outputName}" (outputs: ${session.outputNames.join(', ')})`);
  }
  const info: ModelInfo = plan.info;
  const width = info.featureNames.length;
  let queue: Promise<unknown> = Promise.resolve();

  const run = async (rows: Float32Array | Float64Array, complete: number, count: number): Promise<Float32Array> => {
    const scores = new Float32Array(count).fill(Number.NaN);
    if (complete === 0) return scores;
    try {
      const feeds = { [plan.inputName]: new runtime.Tensor(plan.inputType, rows, [complete, width]) };
      const output = (await session.run(feeds, [plan.outputName]))[plan.outputName];
      const values = output?.data;
      if (!(values instanceof Float32Array || values instanceof Float64Array)) throw new Error(`output "${plan.outputName}" is not a float tensor`);
      const columns = output?.dims.length === 2 ? (output.dims[1] as number) : 1;
      const pick = column ?? (info.task === 'classifier' && columns >= 2 ? 1 : 0);
      if (pick >= columns) throw new Error(`outputColumn ${pick} asked for, but output "${plan.outputName}" has ${columns} column(s)`);
      for (let row = 0; row < complete; row++) scores[row] = values[row * columns + pick] as number;
      return scores;
    } catch (error) {
      options.onError?.(error);
      return scores.fill(Number.NaN);
    }
  };

  return {
    model: info,
    sync: false,
    score(input: Float32Array, rows: number): Promise<Float32Array> {
      const count = Number.isFinite(rows) && rows > 0 ? Math.floor(rows) : 0;
      const complete = Math.min(count, Math.floor(input.length / width));
      // Copied now: the caller may reuse its buffer before a queued run starts.
      const copy = plan.inputType === 'float64' ? Float64Array.from(input.subarray(0, complete * width)) : input.slice(0, complete * width);
      const result = queue.then(() => run(copy, complete, count));
      queue = result;
      return result;
    },
    close: () => session.release(),
  };
}

export interface FallbackScorerOptions extends SessionScorerOptions {
  /** Told when the model needs onnxruntime, with the operator Tailor's evaluators do not run. */
  readonly onFallback?: (op: string, reason: string) => void;
}

/**
 * Tailor's own synchronous evaluator when {@link loadModel} supports the graph, else a session scorer on the
 * runtime that `loadRuntime` provides (called only then, so a heavy runtime loads only when needed).
 * `outputName` applies to the onnxruntime path; `outputColumn` to both. Rejects with a {@link TailorError}
 * for a file that is not a valid ONNX model.
 */
export async function createFallbackScorer(bytes: Uint8Array, loadRuntime: () => Promise<OnnxRuntime>, options: FallbackScorerOptions = {}): Promise<Scorer> {
  const loaded = loadModel(bytes, { outputColumn: options.outputColumn });
  if (loaded.ok) return loaded.scorer;
  if (loaded.reason === 'invalid') throw new TailorError('invalid_config', `createScorer: ${loaded.error}`);
  options.onFallback?.(loaded.op, loaded.error);
  return createSessionScorer(await loadRuntime(), bytes, options);
}
