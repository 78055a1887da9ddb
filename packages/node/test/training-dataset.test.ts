import { DEFAULT_RETAIL_FEATURE_SPEC, foldFeatures, listFeatureNames } from '@tailor/core';
import { describe, expect, it } from 'vitest';
import { buildTrainingSet, parseLabel, type DatasetRows, type TrainingSet } from '../src/training/dataset';
import { groupEventsByPerson, type PersonHistory } from '../src/training/people';
import { generateShopLog } from './fixtures/training/synthetic-log';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const names = listFeatureNames(DEFAULT_RETAIL_FEATURE_SPEC);

function build(people: readonly PersonHistory[], label: string, extra: Partial<Parameters<typeof buildTrainingSet>[1]> = {}): TrainingSet {
  const result = buildTrainingSet(people, { label: parseLabel(label)!, ...extra });
  if (!result.ok) throw new Error(result.reason);
  return result.set;
}

function rowOf(rows: DatasetRows, i: number): Record<string, number> {
  const d = rows.featureNames.length;
  return Object.fromEntries(rows.featureNames.map((name, j) => [name, rows.x[i * d + j] as number]));
}

/** Rows of both splits as { person, at, label, features }. */
function allRows(set: TrainingSet) {
  return [set.train, set.validation].flatMap((rows) => Array.from({ length: rows.n }, (_, i) => ({ person: rows.people[i] as string, at: rows.at[i] as number, label: rows.y[i] as number, features: rowOf(rows, i) })));
}

describe('people from the event log', () => {
  it('joins anonymous browsing, an identify and later orders into one person', () => {
    const { people, stats } = groupEventsByPerson([
      { type: 'track', event: 'Product Viewed', anonymousId: 'a1', timestamp: iso(T0), properties: { product_id: 'p1', price: 10 } },
      { type: 'track', event: 'Order Completed', userId: 'u2', timestamp: iso(T0 + DAY), properties: { order_id: 'o0', revenue: 5 } },
      { type: 'identify', anonymousId: 'a1', userId: 'u1', timestamp: iso(T0 + 2 * DAY), traits: { email: 'ann@example.com' } },
      { type: 'track', event: 'Order Completed', userId: 'u1', timestamp: iso(T0 + 3 * DAY), properties: { order_id: 'o1', revenue: 40 } },
      { type: 'track', event: 'Order Completed', timestamp: iso(T0 + 3 * DAY), properties: { order_id: 'o2' } },
      { type: 'track', event: 'Product Viewed', anonymousId: 'a9', properties: {} },
    ]);
    expect(stats).toEqual({ events: 6, unresolved: 1, untimed: 1, afterWindow: 0 });
    expect(people.map((person) => person.events.map((event) => event.event ?? event.type))).toEqual(
      expect.arrayContaining([['Product Viewed', 'identify', 'Order Completed'], ['Order Completed']]),
    );
    expect(people).toHaveLength(2);
    expect(people.every((person) => /^p-[0-9a-f]{16}$/.test(person.personId))).toBe(true);
  });
});

describe('training sets', () => {
  const log = generateShopLog({ shoppers: 120, days: 120, seed: 11 });
  const { people } = groupEventsByPerson(log.events.map((entry) => entry.event));

  it('computes each row as foldFeatures over the events up to its snapshot', () => {
    const set = build(people, 'purchase-7d', { untilMs: log.endMs });
    const byPerson = new Map(people.map((person) => [person.personId, person.events]));
    const rows = allRows(set);
    expect(rows.length).toBeGreaterThan(500);
    for (const row of rows.filter((_, i) => i % 37 === 0)) {
      const expected = foldFeatures(byPerson.get(row.person) ?? [], DEFAULT_RETAIL_FEATURE_SPEC, row.at);
      for (const name of names) expect(row.features[name]).toBeCloseTo(Math.fround(expected[name] as number), 4);
    }
  });

  it('labels a row 1 exactly when the person orders within the horizon after the snapshot', () => {
    const set = build(people, 'purchase-7d', { untilMs: log.endMs });
    const byPerson = new Map(people.map((person) => [person.personId, person.events]));
    const orders = new Set(DEFAULT_RETAIL_FEATURE_SPEC.events.order);
    let positives = 0;
    for (const row of allRows(set)) {
      const bought = (byPerson.get(row.person) ?? []).some((event) => orders.has(event.event ?? '') && event.timestamp > row.at && event.timestamp <= row.at + 7 * DAY);
      expect(row.label).toBe(bought ? 1 : 0);
      positives += row.label;
    }
    expect(positives).toBeGreaterThan(20);
  });

  it('never lets an event after the snapshot change a row (no leakage)', () => {
    const set = build(people, 'purchase-7d', { untilMs: log.endMs });
    const cutoff = set.trainCutoffs[Math.floor(set.trainCutoffs.length / 2)] as number;
    // Every person gets a large order and a burst of browsing one minute after the snapshot.
    const future = people.map((person) => ({
      personId: person.personId,
      events: [...person.events, { type: 'track', event: 'Order Completed', timestamp: cutoff + 60_000, properties: { order_id: `f-${person.personId}`, revenue: 9_999 } }, { type: 'track', event: 'Product Viewed', timestamp: cutoff + 90_000, context: { channel: 'pos' }, properties: { price: 500 } }].sort((a, b) => a.timestamp - b.timestamp),
    }));
    const changed = build(future, 'purchase-7d', { untilMs: log.endMs });
    const before = allRows(set).filter((row) => row.at <= cutoff);
    const after = allRows(changed).filter((row) => row.at <= cutoff);
    expect(after.map((row) => [row.person, row.at, row.features])).toEqual(before.map((row) => [row.person, row.at, row.features]));
    // The labels at that snapshot do see the order: it is what they predict.
    expect(allRows(changed).filter((row) => row.at === cutoff).every((row) => row.label === 1)).toBe(true);
  });

  it('splits by time: validation snapshots come after every training label period', () => {
    const set = build(people, 'purchase-14d', { untilMs: log.endMs, stepDays: 7, validationShare: 0.3 });
    const lastTrain = Math.max(...set.trainCutoffs);
    const firstValidation = Math.min(...set.validationCutoffs);
    expect(lastTrain + 14 * DAY).toBeLessThanOrEqual(firstValidation);
    expect(Math.max(...set.validationCutoffs) + 14 * DAY).toBeLessThanOrEqual(log.endMs);
    expect(Math.max(...set.train.at)).toBe(lastTrain);
    expect(Math.min(...set.validation.at)).toBe(firstValidation);
    expect(set.validationCutoffs.length).toBeGreaterThanOrEqual(Math.ceil(0.3 * (set.trainCutoffs.length + set.validationCutoffs.length)) - 1);
  });

  it('builds offer-accept rows from Offer Viewed → Offer Converted with the same decision id', () => {
    const viewer = (person: string, day: number, decision: string, converted: boolean) => [
      { type: 'track', event: 'Product Viewed', userId: person, timestamp: iso(T0 + day * DAY - 600_000), properties: { price: 10 } },
      { type: 'track', event: 'Offer Viewed', userId: person, timestamp: iso(T0 + day * DAY), properties: { decision_id: decision, offer_id: 'o', placement_id: 'home' } },
      { type: 'track', event: 'Offer Viewed', userId: person, timestamp: iso(T0 + day * DAY + 60_000), properties: { decision_id: decision, offer_id: 'o', placement_id: 'home' } },
      ...(converted ? [{ type: 'track', event: 'Offer Converted', userId: person, timestamp: iso(T0 + day * DAY + 2 * DAY), properties: { decision_id: decision, offer_id: 'o', placement_id: 'home' } }] : []),
    ];
    const events = [
      ...viewer('u1', 1, 'd1', true),
      ...viewer('u2', 2, 'd2', false),
      ...viewer('u1', 20, 'd3', false),
      ...viewer('u2', 21, 'd4', true),
      // A conversion of another decision does not count.
      ...viewer('u3', 22, 'd5', false),
      { type: 'track', event: 'Offer Converted', userId: 'u3', timestamp: iso(T0 + 23 * DAY), properties: { decision_id: 'other', offer_id: 'o', placement_id: 'home' } },
    ];
    const { people: viewers } = groupEventsByPerson(events);
    const set = build(viewers, 'offer-accept-7d', { fromMs: T0, untilMs: T0 + 40 * DAY, validationShare: 0.4 });
    const rows = allRows(set).sort((a, b) => a.at - b.at);
    // One row per decision (the repeated view is not a new row), features from before the view.
    expect(rows.map((row) => [iso(row.at), row.label])).toEqual([
      [iso(T0 + DAY), 1],
      [iso(T0 + 2 * DAY), 0],
      [iso(T0 + 20 * DAY), 0],
      [iso(T0 + 21 * DAY), 1],
      [iso(T0 + 22 * DAY), 0],
    ]);
    expect(set.train.n).toBe(2);
    expect(set.validation.n).toBe(3);
    expect(rows[0]?.features['session.active']).toBe(1);
    expect(rows[0]?.features['session.events']).toBe(1);
  });

  it('says why when the window holds no complete training snapshot', () => {
    const result = buildTrainingSet(people, { label: parseLabel('purchase-30d')!, fromMs: log.endMs - 40 * DAY, untilMs: log.endMs });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/holds 2 snapshot\(s\) with a complete 30-day label/);
  });

  it('parses labels', () => {
    expect(parseLabel('purchase-7d')).toEqual({ kind: 'purchase', days: 7 });
    expect(parseLabel('offer-accept-14d')).toEqual({ kind: 'offer-accept', days: 14 });
    for (const bad of ['purchase', 'purchase-0d', 'purchase-7', 'buy-7d', 'purchase-07d']) expect(parseLabel(bad)).toBeUndefined();
  });
});
