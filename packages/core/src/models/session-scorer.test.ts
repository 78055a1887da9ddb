import { describe, expect, it, vi } from 'vitest';
import { buildHiddenLayerModel, buildLinearClassifierModel, buildTreeEnsembleRegressorModel, tailorMetadata } from '../../../test-utils/src/onnx-models';
import { readOnnxModel } from './onnx-model';
import { planRuntimeRun } from './runtime-plan';
import { createFallbackScorer, createSessionScorer, type OnnxRuntime, type OnnxRuntimeTensor } from './session-scorer';

function plan(bytes: Uint8Array, outputName?: string) {
  const read = readOnnxModel(bytes);
  if (!read.ok) throw new Error(read.error);
  const planned = planRuntimeRun(read.model, bytes, outputName);
  if (!planned.ok) throw new Error(planned.error);
  return planned.plan;
}

/** A runtime whose session answers each row with `[rowSum, rowSum + 1]`, recording every run. */
function fakeRuntime(options: { fail?: boolean; outputs?: string[] } = {}) {
  const runs: Array<{ feeds: Record<string, OnnxRuntimeTensor>; fetches: readonly string[] }> = [];
  const loaded: Uint8Array[] = [];
  let inFlight = 0;
  let overlapped = false;
  const runtime: OnnxRuntime = {
    InferenceSession: {
      async create(model) {
        loaded.push(model);
        return {
          outputNames: options.outputs ?? ['label', 'probabilities'],
          async run(feeds, fetches) {
            inFlight++;
            overlapped ||= inFlight > 1;
            runs.push({ feeds: { ...feeds }, fetches });
            await new Promise((resolve) => setImmediate(resolve));
            inFlight--;
            if (options.fail) throw new Error('session exploded');
            const input = Object.values(feeds)[0] as OnnxRuntimeTensor;
            const [rows, width] = input.dims as [number, number];
            const data = input.data as Float32Array;
            const out = new Float32Array(rows * 2);
            for (let r = 0; r < rows; r++) {
              const sum = data.subarray(r * width, (r + 1) * width).reduce((a, b) => a + b, 0);
              out.set([sum, sum + 1], r * 2);
            }
            return { [fetches[0] as string]: { data: out, dims: [rows, 2] } };
          },
          release: async () => undefined,
        };
      },
    },
    Tensor: class {
      constructor(readonly type: string, readonly data: Float32Array | Float64Array, readonly dims: readonly number[]) {}
    },
  };
  return { runtime, runs, loaded, overlapped: () => overlapped };
}

describe('planRuntimeRun', () => {
  it("reads a classifier's probabilities tensor, and the regression output otherwise", () => {
    expect(plan(buildLinearClassifierModel({ seed: 1 }).bytes)).toMatchObject({ inputName: 'features', inputType: 'float32', outputName: 'probabilities' });
    expect(plan(buildTreeEnsembleRegressorModel({ seed: 1 }).bytes)).toMatchObject({ outputName: 'variable', info: { task: 'regressor' } });
    expect(plan(buildHiddenLayerModel({ seed: 1 }).bytes)).toMatchObject({ outputName: 'score', info: { task: 'classifier', featureNames: expect.any(Array) } });
  });

  it('exposes the probabilities behind a ZipMap as a tensor output of a rewritten copy', () => {
    const model = buildLinearClassifierModel({ seed: 1, zipMap: true, labels: 'strings' });
    const planned = plan(model.bytes);
    expect(planned.outputName).toBe('probabilities');
    expect(planned.bytes).not.toBe(model.bytes);
    const reread = readOnnxModel(planned.bytes);
    if (!reread.ok) throw new Error(reread.error);
    expect(reread.model.graph.outputs.map((output) => output.name)).toEqual(['label', 'output_probability', 'probabilities']);
    expect(reread.model.graph.nodes.map((node) => node.opType)).toEqual(['LinearClassifier', 'ZipMap']);
    expect(reread.model.metadata).toEqual(tailorMetadata('linear-classifier-1row-LOGISTIC', 6));
  });
});

describe('createSessionScorer', () => {
  const model = buildLinearClassifierModel({ seed: 1, features: 2 });

  it('feeds [rows, features] float32 and returns the positive-class column', async () => {
    const fake = fakeRuntime();
    const scorer = await createSessionScorer(fake.runtime, model.bytes);
    expect(scorer.sync).toBe(false);
    expect(scorer.model.featureNames).toEqual(['feature_0', 'feature_1']);
    expect(Array.from(await scorer.score(Float32Array.of(1, 2, 3, 4), 2))).toEqual([4, 8]);
    expect(fake.runs[0]?.fetches).toEqual(['probabilities']);
    expect(fake.runs[0]?.feeds.features?.dims).toEqual([2, 2]);
  });

  it('serializes runs and copies the input, so a reused buffer cannot change queued work', async () => {
    const fake = fakeRuntime();
    const scorer = await createSessionScorer(fake.runtime, model.bytes, { outputColumn: 0 });
    const buffer = Float32Array.of(1, 1);
    const first = scorer.score(buffer, 1);
    buffer.set([5, 5]);
    const second = scorer.score(buffer, 1);
    expect([Array.from(await first), Array.from(await second)]).toEqual([[2], [10]]);
    expect(fake.overlapped()).toBe(false);
  });

  it('resolves NaN scores and reports the error when a run fails', async () => {
    const onError = vi.fn();
    const scorer = await createSessionScorer(fakeRuntime({ fail: true }).runtime, model.bytes, { onError });
    expect(Array.from(await scorer.score(Float32Array.of(1, 2), 1))).toEqual([Number.NaN]);
    expect(onError).toHaveBeenCalledWith(new Error('session exploded'));
  });

  it('rejects with a TailorError for a file that is not ONNX or lacks the output', async () => {
    await expect(createSessionScorer(fakeRuntime().runtime, Uint8Array.of(1, 2, 3))).rejects.toMatchObject({ name: 'TailorError', code: 'invalid_config' });
    await expect(createSessionScorer(fakeRuntime({ outputs: ['label'] }).runtime, model.bytes)).rejects.toThrow(/has no output "probabilities"/);
  });
});

describe('createFallbackScorer', () => {
  it('uses the TS evaluator when it can, and loads the runtime only for other graphs', async () => {
    const fake = fakeRuntime({ outputs: ['score'] });
    const loadRuntime = vi.fn(async () => fake.runtime);
    const onFallback = vi.fn();
    const own = await createFallbackScorer(buildLinearClassifierModel({ seed: 1 }).bytes, loadRuntime, { onFallback });
    expect(own.sync).toBe(true);
    expect(loadRuntime).not.toHaveBeenCalled();
    const fallback = await createFallbackScorer(buildHiddenLayerModel({ seed: 1 }).bytes, loadRuntime, { onFallback });
    expect(fallback.sync).toBe(false);
    expect(loadRuntime).toHaveBeenCalledTimes(1);
    expect(onFallback).toHaveBeenCalledWith('Relu', expect.stringContaining('Relu'));
    await expect(createFallbackScorer(Uint8Array.of(9), loadRuntime)).rejects.toMatchObject({ code: 'invalid_config' });
  });
});
