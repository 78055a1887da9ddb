import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent, createFeatureState } from './apply-event';
import { DEFAULT_RETAIL_FEATURE_SPEC } from './default-spec';
import { getEventTime } from './event-fields';
import { foldFeatures, readFeatures } from './read-features';
import type { FeatureEvent, FeatureSpec } from './types';

const SPEC: FeatureSpec = DEFAULT_RETAIL_FEATURE_SPEC;
const T0 = Date.parse('2024-01-01T00:00:00Z');
const HORIZON = 400 * 86_400_000;

const productArb = fc.record({
  product_id: fc.constantFrom('p1', 'p2', 'p3'),
  // Fewer values than maxKeys (20), so no eviction happens and affinities are order-independent too.
  category: fc.constantFrom('Shoes', 'Hats', 'Bags', 'Coats', 'Socks'),
  brand: fc.constantFrom('Acme', 'Globex', 'Initech'),
  price: fc.integer({ min: 1, max: 500 }),
  quantity: fc.integer({ min: 1, max: 4 }),
});

const eventArb: fc.Arbitrary<FeatureEvent> = fc
  .record({
    name: fc.constantFrom('Order Completed', 'POS Transaction Completed', 'Product Viewed', 'Product Added', 'Product Removed', 'Products Searched', 'Cart Viewed', 'Page'),
    offset: fc.integer({ min: 0, max: HORIZON }),
    product: productArb,
    lines: fc.array(productArb, { maxLength: 3 }),
    revenue: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    coupon: fc.option(fc.constantFrom('SPRING', 'VIP'), { nil: undefined }),
    channel: fc.option(fc.constantFrom('web', 'app', 'pos', 'callcenter'), { nil: undefined }),
  })
  .map(({ name, offset, product, lines, revenue, coupon, channel }) => {
    const timestamp = new Date(T0 + offset).toISOString();
    const context = channel === undefined ? {} : { context: { channel } };
    if (name === 'Page') return { type: 'page', timestamp, ...context };
    const isOrder = name === 'Order Completed' || name === 'POS Transaction Completed';
    const properties = isOrder || name === 'Cart Viewed' ? { products: lines, revenue, coupon } : { ...product, query: 'q' };
    return { type: 'track', event: name, timestamp, properties, ...context };
  });

/** Families that do not depend on arrival order (sessions do: see applyEvent). */
function orderIndependent(values: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([name]) => !name.startsWith('session.')));
}

function expectClose(actual: Record<string, number>, expected: Record<string, number>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    // Decayed sums are added in a different order: equal up to float rounding.
    const tolerance = 1e-9 * Math.max(1, Math.abs(value));
    if (Math.abs(actual[name]! - value) > tolerance) expect.fail(`${name}: ${actual[name]} ≠ ${value}`);
  }
}

function byTime(events: readonly FeatureEvent[]): FeatureEvent[] {
  return events
    .map((event, index) => ({ event, index, at: getEventTime(event)! }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ event }) => event);
}

describe('feature properties', () => {
  it('arrival order does not change the order-independent families', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (events, seed) => {
        const sorted = byTime(events);
        const shuffled = fc.sample(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), { numRuns: 1, seed })[0]!;
        const now = T0 + HORIZON + 86_400_000;
        const a = createFeatureState(SPEC);
        for (const event of sorted) applyEvent(a, event, SPEC);
        const b = createFeatureState(SPEC);
        for (const event of shuffled) applyEvent(b, event, SPEC);
        expectClose(orderIndependent(readFeatures(b, SPEC, now)), orderIndependent(readFeatures(a, SPEC, now)));
      }),
    );
  });

  it('foldFeatures at t equals applying the events up to t as they happened, then reading at t', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), fc.integer({ min: 0, max: HORIZON }), (events, offset) => {
        const t = T0 + offset;
        const state = createFeatureState(SPEC);
        for (const event of byTime(events)) {
          if (getEventTime(event)! <= t) applyEvent(state, event, SPEC);
        }
        expect(foldFeatures(events, SPEC, t)).toEqual(readFeatures(state, SPEC, t));
      }),
    );
  });

  it('foldFeatures never looks past t: events after it change nothing', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), fc.array(eventArb, { maxLength: 20 }), fc.integer({ min: 0, max: HORIZON }), (past, more, offset) => {
        const t = T0 + offset;
        const future = more.map((event) => ({ ...event, timestamp: new Date(t + 1 + (getEventTime(event)! - T0)).toISOString() }));
        expect(foldFeatures([...past, ...future], SPEC, t)).toEqual(foldFeatures(past, SPEC, t));
      }),
    );
  });
});
