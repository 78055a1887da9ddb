// Vite's dependency scan misses zod (reached through @tailor/core) and optimizes it mid-run, reloading the page
// and breaking the lazy onnxruntime import. Importing it here puts it in the first scan; an
// `optimizeDeps.include` in the browser-real project would make this line unnecessary.
import 'zod';
import { loadModel } from '../../core/src/models/load';
import { describe, expect, it } from 'vitest';
import { buildHiddenLayerModel, buildTreeEnsembleClassifierModel, generateRows } from '../../test-utils/src/onnx-models';
import { createOnnxRuntimeScorer, createScorer } from '../src/onnx';

// Real Chromium, real onnxruntime-web (wasm), imported lazily by @tailor/browser/onnx itself.
describe('@tailor/browser/onnx in Chromium', () => {
  it('falls back to onnxruntime-web for a hidden-layer graph and agrees with the TS evaluator on trees', async () => {
    const hidden = buildHiddenLayerModel({ seed: 51 });
    const fallbacks: string[] = [];
    const scorer = await createScorer(hidden.bytes, { numThreads: 1, onFallback: (op) => fallbacks.push(op) });
    expect(fallbacks).toEqual(['Relu']);
    const scores = await scorer.score(generateRows(hidden, 100, 3), 100);
    expect(scores.every((p) => Number.isNaN(p) || (p >= 0 && p <= 1))).toBe(true);
    expect(new Set(scores).size).toBeGreaterThan(10);

    const trees = buildTreeEnsembleClassifierModel({ seed: 52, trees: 10, depth: 4 });
    const loaded = loadModel(trees.bytes);
    if (!loaded.ok) throw new Error(loaded.error);
    const rows = generateRows(trees, 1000, 4);
    const ours = loaded.scorer.score(rows, 1000);
    const web = await (await createOnnxRuntimeScorer(trees.bytes, { numThreads: 1 })).score(rows, 1000);
    let worst = 0;
    for (let i = 0; i < 1000; i++) worst = Math.max(worst, Math.abs((ours[i] as number) - (web[i] as number)));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
