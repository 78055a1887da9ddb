import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessionScorer, loadModel, type OnnxRuntime, type SessionScorer } from '@tailor/core';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVALUATOR_CASES, type EvaluatorCase } from '../../../test-utils/src/onnx-cases';
import { buildHiddenLayerModel, buildTreeEnsembleClassifierModel, generateRows } from '../../../test-utils/src/onnx-models';
import { createScorer } from './create-scorer';
import { createOnnxRuntimeScorer } from './onnxruntime-scorer';

/**
 * Tailor's evaluators against real onnxruntime (onnxruntime-node, and onnxruntime-web's wasm backend,
 * which runs in Node) on the same files: 1,000 seeded rows per model, with tree thresholds hit exactly,
 * NaN for missing values and magnitudes up to 1e6. Scores agree within 1e-5 (relative beyond magnitude 1,
 * where float32 itself has no more digits: raw scores and regression outputs).
 */
const ROWS = 1000;
const TOLERANCE = 1e-5;

/** Largest |Δ| over two score arrays (relative beyond magnitude 1); NaN on both sides agrees, on one side does not. */
function maxDelta(ours: Float32Array, theirs: Float32Array): number {
  expect(ours.length).toBe(theirs.length);
  let worst = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i] as number;
    const b = theirs[i] as number;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    const delta = Math.abs(a - b) / Math.max(1, Math.abs(b));
    worst = Number.isNaN(delta) ? Number.POSITIVE_INFINITY : Math.max(worst, delta);
  }
  return worst;
}

let ortWeb: OnnxRuntime;
const sessions: SessionScorer[] = [];

async function session(runtime: OnnxRuntime, { model, outputColumn }: EvaluatorCase): Promise<SessionScorer> {
  const scorer = await createSessionScorer(runtime, model.bytes, { outputColumn, onError: (error) => expect.fail(String(error)) });
  sessions.push(scorer);
  return scorer;
}

beforeAll(async () => {
  const web = await import('onnxruntime-web/wasm');
  web.env.wasm.numThreads = 1; // no worker threads in a test process
  ortWeb = web;
});

afterAll(async () => {
  await Promise.all(sessions.map((scorer) => scorer.close()));
});

describe('Tailor evaluators match onnxruntime 1.30 on the same ONNX files', () => {
  it.each(EVALUATOR_CASES.map((entry) => [entry.model.name, entry] as const))('%s', async (_name, entry) => {
    const loaded = loadModel(entry.model.bytes, { outputColumn: entry.outputColumn });
    if (!loaded.ok) throw new Error(loaded.error);
    const rows = generateRows(entry.model, ROWS, 1234);
    expect(rows.some(Number.isNaN)).toBe(true);
    expect(rows.some((value) => Math.abs(value) >= 1000)).toBe(true);
    const ours = loaded.scorer.score(rows, ROWS);
    const node = await (await session(ortNode, entry)).score(rows, ROWS);
    const web = await (await session(ortWeb, entry)).score(rows, ROWS);
    expect(maxDelta(ours, node)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxDelta(ours, web)).toBeLessThanOrEqual(TOLERANCE);
    // The scores are real ones, not a constant both sides could agree on.
    if (!entry.constant) expect(new Set(ours).size).toBeGreaterThan(2);
  });

  it('agrees row by row too (onnxruntime takes other code paths for one row)', async () => {
    for (const entry of [EVALUATOR_CASES[0], EVALUATOR_CASES[9], EVALUATOR_CASES[15]] as EvaluatorCase[]) {
      const loaded = loadModel(entry.model.bytes);
      if (!loaded.ok) throw new Error(loaded.error);
      const scorer = await session(ortNode, entry);
      const rows = generateRows(entry.model, 40, 99);
      const width = entry.model.featureCount;
      for (let r = 0; r < 40; r++) {
        const row = rows.subarray(r * width, (r + 1) * width);
        expect(maxDelta(loaded.scorer.score(row, 1), await scorer.score(row, 1))).toBeLessThanOrEqual(TOLERANCE);
      }
    }
  });
});

describe('onnxruntime scorers in Node', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tailor-onnx-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('createScorer runs supported graphs in TS and falls back to onnxruntime-node for the rest', async () => {
    const fallbacks: string[] = [];
    const own = await createScorer(EVALUATOR_CASES[5]?.model.bytes as Uint8Array, { onFallback: (op) => fallbacks.push(op) });
    expect(own.sync).toBe(true);
    const hidden = buildHiddenLayerModel({ seed: 41, features: 6, hidden: 8 });
    const path = join(dir, 'hidden.onnx');
    await writeFile(path, hidden.bytes);
    const fallback = await createScorer(path, { onFallback: (op) => fallbacks.push(op) });
    expect(fallback.sync).toBe(false);
    expect(fallbacks).toEqual(['Relu']);
    const rows = generateRows(hidden, ROWS, 7);
    const viaNode = await fallback.score(rows, ROWS);
    const viaWeb = await (await session(ortWeb, { model: hidden })).score(rows, ROWS);
    expect(maxDelta(viaNode, viaWeb)).toBeLessThanOrEqual(TOLERANCE);
    expect(viaNode.every((p) => Number.isNaN(p) || (p >= 0 && p <= 1))).toBe(true);
    expect(new Set(viaNode).size).toBeGreaterThan(100);
    await (fallback as SessionScorer).close();
  });

  it('reads the probabilities tensor of a model whose classifier output is a ZipMap', async () => {
    const model = buildTreeEnsembleClassifierModel({ seed: 42, zipMap: true, labels: 'strings' });
    const scorer = await createOnnxRuntimeScorer(model.bytes);
    sessions.push(scorer);
    const loaded = loadModel(model.bytes);
    if (!loaded.ok) throw new Error(loaded.error);
    const rows = generateRows(model, 200, 8);
    expect(maxDelta(loaded.scorer.score(rows, 200), await scorer.score(rows, 200))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('rejects a missing model file with the path in the message', async () => {
    await expect(createOnnxRuntimeScorer(join(dir, 'nope.onnx'))).rejects.toThrow(/cannot read the model file ".*nope\.onnx"/);
  });
});
