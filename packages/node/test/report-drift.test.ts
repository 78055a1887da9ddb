import { DEFAULT_RETAIL_FEATURE_SPEC, createReferenceBins, createSeededRandom, foldFeatures, type SyncScorer } from '@tailor/core';
import { describe, expect, it } from 'vitest';
import { formatDriftReport, modelDrift } from '../src/reports/drift';
import type { PersonHistory, TimedEvent } from '../src/training/people';

const DAY = 86_400_000;
const AT = Date.parse('2026-06-01T00:00:00Z');
const FEATURES = ['rfm.orders_total', 'features.rfm.revenue_total'];

/** People with a seeded number of orders in the 60 days before AT, each of `amount`. */
function population(seed: string, n: number, meanOrders: number, amount: number): PersonHistory[] {
  const random = createSeededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const orders = Math.floor(random.random() * 2 * meanOrders) + 1;
    const events: TimedEvent[] = Array.from({ length: orders }, (_, k) => ({
      type: 'track',
      event: 'Order Completed',
      timestamp: AT - Math.floor(random.random() * 60 * DAY) - k,
      properties: { order_id: `${seed}-${i}-${k}`, total: amount },
    }));
    events.sort((a, b) => a.timestamp - b.timestamp);
    return { personId: `${seed}-${i}`, events };
  });
}

const weights = [0.3, 0.01];
function score(row: readonly number[]): number {
  return 1 / (1 + Math.exp(-(-2 + (weights[0] as number) * (row[0] as number) + (weights[1] as number) * (row[1] as number))));
}

/** A scorer whose reference bins come from a training population folded the same way. */
function trainedOn(people: readonly PersonHistory[]): SyncScorer {
  const rows = people.map((person) => {
    const features = foldFeatures(person.events, DEFAULT_RETAIL_FEATURE_SPEC, AT);
    return [features['rfm.orders_total'] as number, features['rfm.revenue_total'] as number];
  });
  const referenceBins = {
    'rfm.orders_total': createReferenceBins(rows.map((row) => row[0] as number)),
    'features.rfm.revenue_total': createReferenceBins(rows.map((row) => row[1] as number)),
    // Scorers answer in float32: with few distinct scores, double-precision edges would split them.
    score: createReferenceBins(rows.map((row) => Math.fround(score(row)))),
  };
  return {
    sync: true,
    model: { id: 'propensity', version: '3', featureNames: FEATURES, task: 'classifier', metadata: { 'tailor.reference_bins': JSON.stringify(referenceBins) } },
    score: (input, n) => Float32Array.from({ length: n }, (_, r) => score([input[r * 2] as number, input[r * 2 + 1] as number])),
  };
}

describe('modelDrift', () => {
  const scorer = trainedOn(population('train', 2_000, 4, 30));

  it('finds no drift in people like the training population', () => {
    const result = modelDrift(scorer, population('live', 2_000, 4, 30), { atMs: AT, sinceMs: AT - 90 * DAY });
    if (!result.ok) throw new Error(result.reason);
    expect(result.people).toBe(2_000);
    expect(result.report.status).toBe('ok');
    for (const feature of result.report.features) expect(feature.psi).toBeLessThan(0.05);
  });

  it('alerts on every input and on the score when people order twice as often for more money', () => {
    const result = modelDrift(scorer, population('shifted', 2_000, 8, 45), { atMs: AT, sinceMs: AT - 90 * DAY });
    if (!result.ok) throw new Error(result.reason);
    expect(result.report.status).toBe('alert');
    expect(result.report.features.map((f) => [f.feature, f.status])).toEqual([
      ['rfm.orders_total', 'alert'],
      ['features.rfm.revenue_total', 'alert'],
      ['score', 'alert'],
    ]);
    expect(formatDriftReport('propensity', '3', result)).toMatch(/drift of model propensity v3: ALERT \(2000 active people/);
  });

  it('counts only people active since `sinceMs`, and explains a model without reference bins', () => {
    const result = modelDrift(scorer, population('live', 500, 4, 30), { atMs: AT + 200 * DAY, sinceMs: AT + 100 * DAY });
    expect(result.ok && result.people).toBe(0);
    const bare: SyncScorer = { ...scorer, model: { ...scorer.model, metadata: {} } };
    expect(modelDrift(bare, [], { atMs: AT, sinceMs: 0 })).toEqual({ ok: false, reason: expect.stringMatching(/no tailor.reference_bins .*tailor train/) });
  });
});
