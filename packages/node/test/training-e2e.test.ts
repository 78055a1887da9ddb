import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadModel, type SegmentEvent } from '@tailor/core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLmdbStore } from '../src/collector/lmdb-store';
import { createOnnxRuntimeScorer } from '../src/models/onnxruntime-scorer';
import { runTrainCommand, type CommandIo } from '../src/training/command';
import { parseLabel } from '../src/training/dataset';
import { predictProbabilities } from '../src/training/model';
import { groupEventsByPerson } from '../src/training/people';
import { createModelRegistry } from '../src/training/registry';
import { trainFromHistories, type TrainingReport } from '../src/training/train';
import { generateShopLog } from './fixtures/training/synthetic-log';

const SOURCE = 'shop';
const NOW = Date.parse('2026-08-01T00:00:00Z');
const log = generateShopLog({ shoppers: 600, days: 182, seed: 7 });
const UNTIL = new Date(log.endMs).toISOString();

const dir = mkdtempSync(join(tmpdir(), 'tailor-train-'));
const dataDir = join(dir, 'data');
const modelsDir = join(dir, 'models');

beforeAll(async () => {
  const store = createLmdbStore({ dataDir });
  for (let i = 0; i < log.events.length; i += 1000) {
    await store.append(SOURCE, log.events.slice(i, i + 1000) as unknown as Array<{ messageId: string; event: SegmentEvent }>, NOW);
  }
  // Another source's events must not reach the model.
  await store.append('other', [{ messageId: 'x1', event: { type: 'track', event: 'Order Completed', userId: 'user-1', timestamp: UNTIL, properties: { order_id: 'x' } } as unknown as SegmentEvent }], NOW);
  await store.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function captureIo(): CommandIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  (stderr as unknown as PassThrough).on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdout, stderr, out: () => out, err: () => err };
}

function maxDelta(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('tailor train on a synthetic shop log', () => {
  const args = (model: string) => ['--data-dir', dataDir, '--source', SOURCE, '--label', 'purchase-7d', '--model', model, '--out', modelsDir, '--until', UNTIL, '--seed', '3'];

  it('trains gradient-boosted trees that beat the RFM heuristic, and registers version 1', async () => {
    const io = captureIo();
    expect(await runTrainCommand([...args('gbt'), '--promote'], io, NOW)).toBe(0);
    const registry = createModelRegistry(modelsDir);
    const entry = await registry.getLatest('purchase-7d');
    expect(entry).toMatchObject({ version: 1, promoted: true });
    const report = JSON.parse(readFileSync(entry?.reportPath as string, 'utf8')) as TrainingReport & { version: number; source: string };
    expect(report).toMatchObject({ version: 1, source: SOURCE, label: 'purchase-7d', algorithm: 'gbt', calibration: { method: 'platt', baked: true } });
    const { validation, rfm } = report.metrics;
    expect(validation.auc).toBeGreaterThan(0.75);
    expect(validation.auc).toBeGreaterThan(rfm.auc + 0.05);
    expect(validation.liftTop10).toBeGreaterThan(rfm.liftTop10);
    expect(validation.ece).toBeLessThan(0.05);
    expect(io.out()).toContain('model purchase-7d v1 (gbt, purchase-7d) — promoted');
    expect(io.err()).toContain('trees');
  });

  it('trains a logistic regression as version 2 and reproduces its predictions from the ONNX file', async () => {
    const io = captureIo();
    expect(await runTrainCommand(args('logistic'), io, NOW)).toBe(0);
    const registry = createModelRegistry(modelsDir);
    expect((await registry.list('purchase-7d')).map((entry) => [entry.version, entry.promoted])).toEqual([[1, true], [2, false]]);
    const entry = await registry.getLatest('purchase-7d');
    const report = JSON.parse(readFileSync(entry?.reportPath as string, 'utf8')) as TrainingReport;
    expect(report.metrics.validation.auc).toBeGreaterThan(report.metrics.rfm.auc + 0.03);

    // The same training in process gives the model the file holds.
    const store = createLmdbStore({ dataDir });
    const grouped = groupEventsByPerson([...store.scan({ sourceId: SOURCE })].map((stored) => stored.event), { untilMs: log.endMs });
    await store.close();
    const result = trainFromHistories(grouped.people, { label: parseLabel('purchase-7d')!, algorithm: 'logistic', untilMs: log.endMs, seed: 3 });
    if (!result.ok) throw new Error(result.reason);
    expect(result.report.metrics.validation.auc).toBe(report.metrics.validation.auc);
    const rows = result.set.validation;
    const count = Math.min(1000, rows.n);
    const x = rows.x.subarray(0, count * rows.featureNames.length);
    const own = predictProbabilities(result.model, x, count);
    const bytes = readFileSync(entry?.modelPath as string);
    const loaded = loadModel(bytes);
    if (!loaded.ok) throw new Error(loaded.error);
    expect(loaded.scorer.model.metadata?.['tailor.training_window']).toBe(JSON.stringify(report.trainingWindow));
    const session = await createOnnxRuntimeScorer(bytes, { runtime: ort });
    try {
      expect(maxDelta(loaded.scorer.score(x, count), own)).toBeLessThanOrEqual(1e-5);
      expect(maxDelta(await session.score(x, count), own)).toBeLessThanOrEqual(1e-5);
    } finally {
      await session.close();
    }
  });

  it('explains what is missing when the window is too short to train', async () => {
    const io = captureIo();
    const code = await runTrainCommand(['--data-dir', dataDir, '--source', SOURCE, '--label', 'purchase-7d', '--out', modelsDir, '--since', '2026-06-20', '--until', '2026-07-01'], io, NOW);
    expect(code).toBe(1);
    expect(io.err()).toMatch(/cannot train: the window .* widen --since\/--until/);
  });

  it('rejects bad flags with exit code 2 and a message', async () => {
    const io = captureIo();
    expect(await runTrainCommand(['--data-dir', dataDir, '--source', SOURCE, '--label', 'buys-soon', '--out', modelsDir], io, NOW)).toBe(2);
    expect(io.err()).toContain('--label takes purchase-<N>d or offer-accept-<N>d');
  });
});
