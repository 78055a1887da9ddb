import { createSeededRandom, loadModel } from '@tailor/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createOnnxRuntimeScorer } from '../src/models/onnxruntime-scorer';
import { trainGbt } from '../src/training/gbt';
import { trainLogistic, type TrainingMatrix } from '../src/training/logistic';
import { foldPlatt, predictMargins, predictProbabilities, sigmoid, type TrainedModel } from '../src/training/model';
import { exportOnnx } from '../src/training/onnx-export';
import { ProtoWriter } from '../src/training/protobuf-writer';
import { auc, fitPlattOnMargins } from '../src/training/metrics';

const FEATURES = ['recency_days', 'orders', 'revenue', 'share_app', 'views_30d', 'constant'];

/** Rows like profile features (days, counts, money, shares, one constant column) and labels from a known logistic. */
function syntheticMatrix(n: number, seed: number): TrainingMatrix {
  const random = createSeededRandom(`matrix:${seed}`);
  const d = FEATURES.length;
  const x = new Float32Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const recency = Math.floor(random.random() * 365);
    const orders = Math.floor(-Math.log(1 - random.random()) * 4);
    const revenue = orders * (20 + random.random() * 180);
    const app = random.random();
    const views = Math.floor(random.random() * 30);
    const row = [recency, orders, revenue, app, views, 1];
    for (let j = 0; j < d; j++) x[i * d + j] = row[j] as number;
    const margin = -1.2 - recency / 120 + 0.35 * orders + 0.0008 * revenue + 0.8 * app + 0.04 * views + (views > 20 && app > 0.5 ? 1 : 0);
    y[i] = random.random() < sigmoid(margin) ? 1 : 0;
  }
  return { featureNames: FEATURES, x, y, n };
}

/** Largest |Δ| between two score arrays. */
function maxDelta(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

async function expectSameScores(model: TrainedModel, rows: TrainingMatrix): Promise<void> {
  const bytes = exportOnnx(model, { modelId: 'purchase-7d', modelVersion: '4', metadata: { 'tailor.metrics': '{"auc":0.8}' } });
  const own = predictProbabilities(model, rows.x, rows.n);
  const loaded = loadModel(bytes);
  if (!loaded.ok) throw new Error(loaded.error);
  expect(loaded.scorer.model).toMatchObject({ id: 'purchase-7d', version: '4', featureNames: FEATURES, task: 'classifier' });
  expect(loaded.scorer.model.metadata?.['tailor.metrics']).toBe('{"auc":0.8}');
  const tailor = loaded.scorer.score(rows.x, rows.n);
  const session = await createOnnxRuntimeScorer(bytes, { runtime: ort });
  try {
    const runtime = await session.score(rows.x, rows.n);
    expect(maxDelta(tailor, own)).toBeLessThanOrEqual(1e-5);
    expect(maxDelta(runtime, own)).toBeLessThanOrEqual(1e-5);
    // Real predictions, not a constant both sides could agree on.
    expect(new Set(own).size).toBeGreaterThan(rows.n / 10);
  } finally {
    await session.close();
  }
}

describe('protobuf writer', () => {
  it('writes varints, negative int64 as ten bytes, fixed32 floats and packed runs', () => {
    const bytes = new ProtoWriter().varint(1, 300).varint(2, -1).float(3, 1.5).packedVarints(4, [1, 128]).string(5, 'é').finish();
    expect(Array.from(bytes)).toEqual([
      0x08, 0xac, 0x02,
      0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
      0x1d, 0x00, 0x00, 0xc0, 0x3f,
      0x22, 0x03, 0x01, 0x80, 0x01,
      0x2a, 0x02, 0xc3, 0xa9,
    ]);
  });
});

describe('ONNX export of trained models', () => {
  const train = syntheticMatrix(4000, 1);
  const test = syntheticMatrix(1000, 2);

  it('logistic regression: core loadModel and onnxruntime-node reproduce its predictions on 1,000 rows', async () => {
    const { model, converged } = trainLogistic(train, { l2: 1 });
    expect(converged).toBe(true);
    expect(auc(test.y, predictProbabilities(model, test.x, test.n))).toBeGreaterThan(0.75);
    await expectSameScores(model, test);
  });

  it('gradient-boosted trees: core loadModel and onnxruntime-node reproduce its predictions on 1,000 rows', async () => {
    const { model } = trainGbt(train, { trees: 60, maxDepth: 4, seed: 3 });
    expect(auc(test.y, predictProbabilities(model, test.x, test.n))).toBeGreaterThan(0.75);
    await expectSameScores(model, test);
  });

  it('Platt scaling folds into both models, so the file gives the calibrated probabilities', async () => {
    for (const trained of [trainLogistic(train).model, trainGbt(train, { trees: 30, seed: 5 }).model]) {
      const platt = fitPlattOnMargins(test.y, predictMargins(trained, test.x, test.n));
      const calibrated = foldPlatt(trained, platt);
      const margins = predictMargins(trained, test.x, test.n);
      const expected = Array.from(margins, (m) => sigmoid(platt.a * m + platt.c));
      expect(maxDelta(predictProbabilities(calibrated, test.x, test.n), expected)).toBeLessThanOrEqual(1e-12);
      await expectSameScores(calibrated, test);
    }
  });
});
