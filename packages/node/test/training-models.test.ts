import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRandom } from '@tailor/core';
import { afterAll, describe, expect, it } from 'vitest';
// Core's stats module, not yet exported from @tailor/core: the local metrics must agree with it.
import * as coreStats from '../../core/src/stats/index';
import { trainGbt } from '../src/training/gbt';
import { trainLogistic, type TrainingMatrix } from '../src/training/logistic';
import * as local from '../src/training/metrics';
import { predictMargins, predictProbabilities, sigmoid } from '../src/training/model';
import { exportOnnx } from '../src/training/onnx-export';
import { createModelRegistry } from '../src/training/registry';

function matrix(n: number, seed: number): TrainingMatrix {
  const random = createSeededRandom(`models:${seed}`);
  const names = ['a', 'b', 'c', 'flag'];
  const x = new Float32Array(n * names.length);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = [random.random() * 10, random.random() * 1000, Math.floor(random.random() * 5), random.random() < 0.3 ? 1 : 0];
    x.set(row, i * names.length);
    y[i] = random.random() < sigmoid(-2 + 0.3 * (row[0] as number) - 0.002 * (row[1] as number) + 1.5 * (row[3] as number)) ? 1 : 0;
  }
  return { featureNames: names, x, y, n };
}

const dir = mkdtempSync(join(tmpdir(), 'tailor-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local metrics agree with core stats', () => {
  const random = createSeededRandom('metrics');
  const n = 2000;
  const labels = Uint8Array.from({ length: n }, () => (random.random() < 0.2 ? 1 : 0));
  // Rounded scores: many ties, which AUC and lift must handle like core does.
  const scores = Float64Array.from(labels, (y) => Math.round(Math.min(0.99, Math.max(0.01, 0.15 + 0.3 * y + (random.random() - 0.5) * 0.5)) * 50) / 50);

  it('AUC, log loss, Brier, ECE, lift and the reliability table', () => {
    expect(local.auc(labels, scores)).toBeCloseTo(coreStats.auc(labels, scores), 12);
    expect(local.logLoss(labels, scores)).toBeCloseTo(coreStats.logLoss(labels, scores), 12);
    expect(local.brierScore(labels, scores)).toBeCloseTo(coreStats.brierScore(labels, scores), 12);
    expect(local.expectedCalibrationError(labels, scores)).toBeCloseTo(coreStats.expectedCalibrationError(labels, scores), 12);
    for (const fraction of [0.05, 0.1, 0.3]) {
      const ours = local.liftAtTop(labels, scores, fraction);
      const theirs = coreStats.liftAtTop(labels, scores, fraction);
      expect([ours.lift, ours.gain, ours.rate]).toEqual([theirs.lift, theirs.gain, theirs.rate].map((value) => expect.closeTo(value, 10)));
    }
    expect(local.reliabilityTable(labels, scores)).toEqual(coreStats.reliabilityTable(labels, scores).map((bin) => ({ ...bin, meanPredicted: bin.meanPredicted === null ? null : expect.closeTo(bin.meanPredicted, 12) })));
  });

  it('Platt scaling on margins equals core fitPlatt on the probabilities', () => {
    const margins = Float64Array.from(scores, (p) => Math.log(p / (1 - p)) * 1.7 - 0.4);
    const ours = local.fitPlattOnMargins(labels, margins);
    const theirs = coreStats.fitPlatt(labels, Float64Array.from(margins, sigmoid));
    expect(ours.a).toBeCloseTo(theirs.params.a, 6);
    expect(ours.c).toBeCloseTo(theirs.params.b, 6);
  });

  it('reference bins are what core drift monitoring reads, and a sample has no drift against itself', () => {
    const sample = Float64Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? 0 : random.random() * 100));
    const few = Float64Array.from({ length: 300 }, (_, i) => i % 3);
    const bins = { x: local.createReferenceBins(sample), few: local.createReferenceBins(few), empty: local.createReferenceBins([]) };
    const parsed = coreStats.parseDriftReference(JSON.parse(JSON.stringify(bins)));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(coreStats.psi(parsed.reference.x as coreStats.ReferenceBins, sample)).toBeLessThan(1e-9);
    expect(coreStats.psi(parsed.reference.few as coreStats.ReferenceBins, few)).toBeLessThan(1e-9);
    // Few distinct values: one bin per value (core adds empty bins either side, so an unseen value shows as drift).
    expect(bins.few.proportions.filter((share) => share > 0)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(bins.few).toMatchObject({ missing: 0, count: 300 });
    expect(coreStats.psi(parsed.reference.x as coreStats.ReferenceBins, Float64Array.from(sample, (v) => v * 1.5))).toBeGreaterThan(0.1);
  });
});

describe('logistic regression', () => {
  it('reaches the optimum: the penalized gradient is zero', () => {
    const data = matrix(3000, 1);
    const l2 = 0.5;
    const { model, converged } = trainLogistic(data, { l2 });
    expect(converged).toBe(true);
    const p = predictProbabilities(model, data.x, data.n);
    const d = data.featureNames.length;
    // In standardized units the penalty is l2·β_j = l2·w_j·s_j; the data gradient must cancel it.
    for (let j = 0; j < d; j++) {
      let mean = 0;
      let square = 0;
      for (let i = 0; i < data.n; i++) {
        const x = data.x[i * d + j] as number;
        mean += x;
        square += x * x;
      }
      mean /= data.n;
      const sd = Math.sqrt(square / data.n - mean * mean);
      let centered = 0;
      for (let i = 0; i < data.n; i++) centered += ((p[i] as number) - (data.y[i] as number)) * (((data.x[i * d + j] as number) - mean) / sd);
      expect(Math.abs(centered + l2 * (model.weights[j] as number) * sd)).toBeLessThan(1e-6);
    }
    let residual = 0;
    for (let i = 0; i < data.n; i++) residual += (p[i] as number) - (data.y[i] as number);
    expect(Math.abs(residual)).toBeLessThan(1e-6);
    expect(model.weights[3]).toBeGreaterThan(1);
    expect(model.weights[1]).toBeLessThan(0);
  });
});

describe('gradient-boosted trees', () => {
  const data = matrix(3000, 2);

  it('is deterministic for a seed, different across seeds, and lowers the training loss', () => {
    const bytes = (seed: number) => exportOnnx(trainGbt(data, { trees: 20, seed }).model, { modelId: 'm', modelVersion: '1' });
    expect(bytes(4)).toEqual(bytes(4));
    expect(bytes(4)).not.toEqual(bytes(5));
    const { lossCurve } = trainGbt(data, { trees: 30, subsample: 1 });
    expect(lossCurve.every((loss, i) => i === 0 || loss <= (lossCurve[i - 1] as number) + 1e-12)).toBe(true);
    expect(lossCurve[lossCurve.length - 1]).toBeLessThan((lossCurve[0] as number) - 0.02);
  });

  it('respects depth and minimum leaf size', () => {
    const { model } = trainGbt(data, { trees: 5, maxDepth: 2, minLeaf: 400, subsample: 1 });
    for (const tree of model.trees) {
      const depth = (node: number): number => ((tree.feature[node] as number) < 0 ? 0 : 1 + Math.max(depth(tree.left[node] as number), depth(tree.right[node] as number)));
      expect(depth(0)).toBeLessThanOrEqual(2);
      const margins = predictMargins({ ...model, trees: [tree], base: 0 }, data.x, data.n);
      const perLeaf = new Map<number, number>();
      for (const margin of margins) perLeaf.set(margin, (perLeaf.get(margin) ?? 0) + 1);
      expect(Math.min(...perLeaf.values())).toBeGreaterThanOrEqual(400);
    }
  });

  it('rejects impossible options with an actionable message', () => {
    expect(() => trainGbt(data, { maxBins: 1000 })).toThrow('"maxBins" must be an integer from 2 to 255');
    expect(() => trainGbt({ ...data, n: 0 }, {})).toThrow('no training rows');
  });
});

describe('model registry', () => {
  const model = trainLogistic(matrix(500, 3)).model;
  const build = (version: number) => ({ model: exportOnnx(model, { modelId: 'p7', modelVersion: String(version) }), report: { version } });

  it('hands out increasing versions, never reuses one, and promotes only what exists', async () => {
    const registry = createModelRegistry(join(dir, 'models'));
    const entries = await Promise.all([registry.register('p7', build), registry.register('p7', build), registry.register('p7', build)]);
    expect(entries.map((entry) => entry.version).sort()).toEqual([1, 2, 3]);
    await rm(join(dir, 'models', 'p7', '3'), { recursive: true });
    expect((await registry.register('p7', build)).version).toBe(4);
    expect((await registry.list('p7')).map((entry) => entry.version)).toEqual([1, 2, 4]);
    expect(await registry.getPromoted('p7')).toBeUndefined();
    await registry.promote('p7', 2);
    expect(await registry.getPromoted('p7')).toMatchObject({ version: 2, promoted: true });
    expect((await registry.getLatest('p7'))?.version).toBe(4);
    await expect(registry.promote('p7', 3)).rejects.toThrow('p7 has no version 3');
    await expect(registry.register('../escape', build)).rejects.toThrow('must be 1-64 letters');
    await registry.register('other', build);
    expect((await registry.list()).map((entry) => `${entry.modelId}@${entry.version}`)).toEqual(['other@1', 'p7@1', 'p7@2', 'p7@4']);
  });
});
