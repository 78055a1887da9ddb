import { createReferenceBins, createSeededRandom, type SyncScorer } from '@tailor/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDriftMonitor, driftModelsOf, registerDriftGauges } from '../src/collector/drift-monitor';

/** Normal draws (Box–Muller) from a seeded generator. */
function normals(seed: string, n: number, mean: number, sd: number): number[] {
  const random = createSeededRandom(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - random.random())) * Math.cos(2 * Math.PI * random.random()));
}

const reference = {
  'rfm.orders_total': createReferenceBins(normals('ref-orders', 5_000, 5, 2)),
  score: createReferenceBins(normals('ref-score', 5_000, 0.3, 0.1)),
};

function fakeClock(start = 0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('createDriftMonitor', () => {
  it('reports PSI ≈ 0 and status ok when live values follow the reference distribution', () => {
    const monitor = createDriftMonitor({ models: [{ id: 'm', version: '1', referenceBins: reference }], clock: fakeClock() });
    const orders = normals('live-orders', 5_000, 5, 2);
    const scores = normals('live-score', 5_000, 0.3, 0.1);
    orders.forEach((value, i) => monitor.observe('m', { 'rfm.orders_total': value }, scores[i]));
    const [drift] = monitor.snapshot();
    expect(drift?.features[0]?.count).toBe(5_000);
    expect(drift?.features[0]?.psi).toBeLessThan(0.02);
    expect(drift?.features[0]?.ks).toBeLessThan(0.03);
    expect(drift?.score?.psi).toBeLessThan(0.02);
    expect(drift?.level).toBe(0);
  });

  it('alerts when a feature shifts by one standard deviation, warns on the score at a custom threshold', () => {
    const monitor = createDriftMonitor({ models: [{ id: 'm', version: '1', referenceBins: reference }], thresholds: { warn: 0.05, alert: 0.5 }, clock: fakeClock() });
    const orders = normals('shifted', 4_000, 7, 2);
    const scores = normals('score-shift', 4_000, 0.33, 0.1);
    orders.forEach((value, i) => monitor.observe('m', { 'rfm.orders_total': value }, [scores[i] as number]));
    const [drift] = monitor.snapshot();
    const feature = drift?.features[0];
    // PSI of N(μ+δσ, σ²) against N(μ, σ²) is δ² for normals; binning into deciles takes a little off.
    expect(feature?.psi).toBeGreaterThan(0.7);
    expect(feature?.psi).toBeLessThan(1.1);
    expect(feature?.ks).toBeGreaterThan(0.3);
    expect(feature?.level).toBe(2);
    expect(drift?.score?.psi).toBeGreaterThan(0.05);
    expect(drift?.score?.level).toBe(1);
    expect(drift?.level).toBe(2);
  });

  it('publishes nothing below minCount, counts missing features as missing, and ignores unknown models', () => {
    const monitor = createDriftMonitor({ models: [{ id: 'm', version: '1', referenceBins: reference }], minCount: 10, clock: fakeClock() });
    for (let i = 0; i < 9; i++) monitor.observe('m', {});
    monitor.observe('other', { 'rfm.orders_total': 1 });
    expect(monitor.snapshot()[0]?.features[0]).toEqual({ name: 'rfm.orders_total', count: 9, psi: null, ks: null, level: null });
    monitor.observe('m', {});
    // Every value missing where the reference had none: the missing bin alone makes a large PSI.
    expect(monitor.snapshot()[0]?.features[0]?.psi).toBeGreaterThan(5);
  });

  it('forgets values older than two windows', () => {
    const clock = fakeClock();
    const monitor = createDriftMonitor({ models: [{ id: 'm', version: '1', referenceBins: reference }], windowMs: 1_000, minCount: 1, clock });
    monitor.observe('m', { 'rfm.orders_total': 5 });
    clock.advance(1_000);
    monitor.observe('m', { 'rfm.orders_total': 5 });
    expect(monitor.snapshot()[0]?.features[0]?.count).toBe(2);
    clock.advance(1_000);
    expect(monitor.snapshot()[0]?.features[0]?.count).toBe(1);
    clock.advance(2_000);
    expect(monitor.snapshot()[0]?.features[0]?.count).toBe(0);
  });

  it('rejects thresholds out of order', () => {
    expect(() => createDriftMonitor({ models: [], thresholds: { warn: 0.3, alert: 0.2 } })).toThrow(/warn ≤ alert/);
  });
});

describe('registerDriftGauges', () => {
  it('exposes PSI, KS and status as Prometheus gauges', async () => {
    const monitor = createDriftMonitor({ models: [{ id: 'm', version: '7', referenceBins: reference }], minCount: 100, clock: fakeClock() });
    for (const value of normals('shifted', 1_000, 8, 2)) monitor.observe('m', { 'features.rfm.orders_total': value }, 0.3);
    const registry = new Registry();
    registerDriftGauges(registry, monitor);
    const text = await registry.metrics();
    const psi = /tailor_model_feature_psi\{model="m",version="7",feature="rfm.orders_total"\} ([\d.]+)/.exec(text);
    expect(Number(psi?.[1])).toBeGreaterThan(1);
    expect(text).toMatch(/tailor_model_feature_ks\{model="m",version="7",feature="rfm.orders_total"\} 0\.\d+/);
    expect(text).toMatch(/tailor_model_score_psi\{model="m",version="7"\} \d/);
    expect(text).toContain('tailor_model_drift_status{model="m",version="7"} 2');
  });
});

describe('driftModelsOf', () => {
  const scorer = (metadata: Record<string, string>): SyncScorer => ({
    sync: true,
    model: { id: 'x', version: '2', featureNames: ['rfm.orders_total'], task: 'classifier', metadata },
    score: (_input, rows) => new Float32Array(rows),
  });

  it('reads the reference bins from model metadata and says why a model is skipped', () => {
    const { models, skipped } = driftModelsOf(
      new Map([
        ['good', scorer({ 'tailor.reference_bins': JSON.stringify(reference) })],
        ['none', scorer({})],
        ['broken', scorer({ 'tailor.reference_bins': '{"a":{"edges":[2,1],"proportions":[1],"missing":0,"count":1}}' })],
      ]),
    );
    expect(models).toEqual([{ id: 'good', version: '2', referenceBins: reference }]);
    expect(skipped.map((entry) => entry.model)).toEqual(['none', 'broken']);
    expect(skipped[1]?.reason).toMatch(/edges must be strictly ascending/);
  });
});
