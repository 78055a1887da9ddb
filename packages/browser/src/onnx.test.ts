import type { OnnxRuntime } from '@tailor/core';
import { describe, expect, it, vi } from 'vitest';
import { buildHiddenLayerModel, buildTreeEnsembleClassifierModel, generateRows } from '../../test-utils/src/onnx-models';
import { createOnnxRuntimeScorer, createScorer } from './onnx';

/** A stand-in runtime with onnxruntime-web's `env.wasm`, answering 0.25 for every row. */
function fakeWebRuntime() {
  const env = { wasm: { wasmPaths: undefined as unknown, numThreads: 0 } };
  const runtime: OnnxRuntime & { env: typeof env } = {
    env,
    InferenceSession: {
      create: async () => ({
        outputNames: ['score'],
        run: async (feeds) => {
          const rows = Object.values(feeds)[0]?.dims[0] ?? 0;
          return { score: { data: new Float32Array(rows).fill(0.25), dims: [rows, 1] } };
        },
        release: async () => undefined,
      }),
    },
    Tensor: class {
      constructor(readonly type: string, readonly data: Float32Array | Float64Array, readonly dims: readonly number[]) {}
    },
  };
  return runtime;
}

describe('@tailor/browser/onnx', () => {
  it('scores linear and tree models with the TS evaluator, never loading onnxruntime', async () => {
    const loader = vi.fn(async () => fakeWebRuntime());
    const model = buildTreeEnsembleClassifierModel({ seed: 3 });
    const scorer = await createScorer(model.bytes.slice().buffer, { runtime: loader });
    expect(scorer.sync).toBe(true);
    const scores = scorer.score(generateRows(model, 5, 1), 5) as Float32Array;
    expect(scores).toHaveLength(5);
    expect(scores.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(loader).not.toHaveBeenCalled();
  });

  it('falls back to the runtime for other graphs and configures its wasm env', async () => {
    const runtime = fakeWebRuntime();
    const onFallback = vi.fn();
    const scorer = await createScorer(buildHiddenLayerModel({ seed: 1 }).bytes, { runtime: async () => runtime, wasmPaths: '/ort/', numThreads: 1, onFallback });
    expect(onFallback).toHaveBeenCalledWith('Relu', expect.any(String));
    expect(scorer.sync).toBe(false);
    expect(Array.from(await scorer.score(new Float32Array(12), 2))).toEqual([0.25, 0.25]);
    expect(runtime.env.wasm).toEqual({ wasmPaths: '/ort/', numThreads: 1 });
  });

  it('takes the runtime module itself as well as a loader', async () => {
    const scorer = await createOnnxRuntimeScorer(buildHiddenLayerModel({ seed: 2 }).bytes, { runtime: fakeWebRuntime() });
    expect(scorer.model.featureNames).toHaveLength(6);
    expect(Array.from(await scorer.score(new Float32Array(6), 1))).toEqual([0.25]);
  });

  it('rejects a file that is not an ONNX model', async () => {
    await expect(createScorer(Uint8Array.of(1, 2, 3), { runtime: fakeWebRuntime() })).rejects.toMatchObject({ name: 'TailorError', code: 'invalid_config' });
  });
});
