import { describe, expect, expectTypeOf, it } from 'vitest';
import { CHANNELS } from '../catalog/index';
import type { SegmentEvent } from '../envelope';
import { applyEvent, createFeatureState } from './apply-event';
import { DEFAULT_RETAIL_FEATURE_SPEC } from './default-spec';
import { normalizeFeatureKey } from './event-fields';
import { parseFeatureSpec } from './feature-spec';
import { foldFeatures, listFeatureNames, readFeatures } from './read-features';
import type { FeatureEvent, FeatureSpec, FeatureState } from './types';

const T0 = Date.parse('2025-03-01T12:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const SPEC = DEFAULT_RETAIL_FEATURE_SPEC;

function track(event: string, at: number, properties: Record<string, unknown> = {}, channel?: string): FeatureEvent {
  return { type: 'track', event, timestamp: new Date(at).toISOString(), properties, ...(channel === undefined ? {} : { context: { channel } }) };
}

function specWith(overrides: Record<string, unknown>): FeatureSpec {
  const parsed = parseFeatureSpec(overrides);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.spec;
}

function stateOf(events: readonly FeatureEvent[], spec: FeatureSpec = SPEC): FeatureState {
  const state = createFeatureState(spec);
  for (const event of events) applyEvent(state, event, spec);
  return state;
}

function featuresAt(events: readonly FeatureEvent[], now: number, spec: FeatureSpec = SPEC) {
  return readFeatures(stateOf(events, spec), spec, now);
}

describe('rfm', () => {
  it('reads a person with no orders as "long ago" and zero', () => {
    const f = featuresAt([], T0);
    expect(f['rfm.days_since_last_order']).toBe(730);
    expect(f['rfm.days_since_first_order']).toBe(730);
    expect(f['rfm.orders_total']).toBe(0);
    expect(f['rfm.avg_order_value']).toBe(0);
    expect(f['rfm.orders_30d']).toBe(0);
    expect(f['rfm.revenue_decayed']).toBe(0);
  });

  it('counts recency, frequency and monetary value over lifetime, windows and decay', () => {
    const f = featuresAt(
      [
        track('Order Completed', T0 - 100 * DAY, { revenue: 50 }),
        track('Order Completed', T0 - 40 * DAY, { revenue: 30 }),
        track('Order Completed', T0 - 10 * DAY, { revenue: 20 }),
      ],
      T0,
    );
    expect(f['rfm.days_since_last_order']).toBe(10);
    expect(f['rfm.days_since_first_order']).toBe(100);
    expect(f['rfm.orders_total']).toBe(3);
    expect(f['rfm.revenue_total']).toBe(100);
    expect(f['rfm.avg_order_value']).toBeCloseTo(100 / 3, 12);
    expect([f['rfm.orders_30d'], f['rfm.revenue_30d']]).toEqual([1, 20]);
    expect([f['rfm.orders_90d'], f['rfm.revenue_90d']]).toEqual([2, 50]);
    expect([f['rfm.orders_365d'], f['rfm.revenue_365d']]).toEqual([3, 100]);
    const decay = (days: number) => 2 ** (-days / 90);
    expect(f['rfm.orders_decayed']).toBeCloseTo(decay(100) + decay(40) + decay(10), 12);
    expect(f['rfm.revenue_decayed']).toBeCloseTo(50 * decay(100) + 30 * decay(40) + 20 * decay(10), 10);
  });

  it('takes revenue, else subtotal, else total, else the product lines', () => {
    const f = featuresAt(
      [
        track('Order Completed', T0, { revenue: 10, subtotal: 99, total: 99 }),
        track('Order Completed', T0, { subtotal: 20, total: 99 }),
        track('POS Transaction Completed', T0, { total: 30 }),
        track('Order Completed', T0, { products: [{ price: 5, quantity: 4 }, { price: 20 }, { price: -3 }, 'junk'] }),
      ],
      T0,
    );
    expect(f['rfm.revenue_total']).toBe(10 + 20 + 30 + 40);
  });

  it('caps recency, and counts a window up to the orders it keeps', () => {
    const spec = specWith({ rfm: { maxRecentOrders: 2 } });
    const f = featuresAt(
      [
        track('Order Completed', T0 - 1000 * DAY, { revenue: 1 }),
        track('Order Completed', T0 - 3 * DAY, { revenue: 1 }),
        track('Order Completed', T0 - 2 * DAY, { revenue: 1 }),
        track('Order Completed', T0 - 1 * DAY, { revenue: 1 }),
      ],
      T0,
      spec,
    );
    expect(f['rfm.days_since_first_order']).toBe(730);
    expect(f['rfm.orders_total']).toBe(4);
    expect(f['rfm.orders_30d']).toBe(2);
  });

  it('excludes orders later than the read time from windows', () => {
    const state = stateOf([track('Order Completed', T0 - DAY, { revenue: 5 }), track('Order Completed', T0 + DAY, { revenue: 7 })]);
    expect(readFeatures(state, SPEC, T0)['rfm.revenue_30d']).toBe(5);
  });
});

describe('affinity', () => {
  it('weights views, adds and purchases, as shares of the decayed total', () => {
    const f = featuresAt(
      [
        track('Product Viewed', T0, { product_id: 'p1', category: 'Shoes', brand: 'Acme' }),
        track('Product Added', T0, { product_id: 'p1', category: 'Shoes', brand: 'Acme' }),
        track('Order Completed', T0, { products: [{ product_id: 'p2', category: 'Hats', brand: 'Acme', price: 10 }] }),
      ],
      T0,
    );
    expect(f['affinity.category.shoes']).toBeCloseTo(4 / 9, 12);
    expect(f['affinity.category.hats']).toBeCloseTo(5 / 9, 12);
    expect(f['affinity.brand.acme']).toBeCloseTo(1, 12);
  });

  it('decays with the half-life: a view 30 days ago counts half', () => {
    const f = featuresAt(
      [track('Product Viewed', T0 - 30 * DAY, { category: 'shoes' }), track('Product Viewed', T0, { category: 'hats' })],
      T0,
    );
    expect(f['affinity.category.shoes']).toBeCloseTo(1 / 3, 12);
    expect(f['affinity.category.hats']).toBeCloseTo(2 / 3, 12);
  });

  it('keeps at most maxKeys values, dropping the weakest, while the total counts everything', () => {
    const spec = specWith({ affinity: { maxKeys: 2, dimensions: ['category'] } });
    const f = featuresAt(
      [
        track('Product Added', T0, { category: 'a' }),
        track('Product Viewed', T0, { category: 'b' }),
        track('Product Added', T0, { category: 'c' }),
        track('Product Viewed', T0, { category: 'd' }),
      ],
      T0,
      spec,
    );
    expect(Object.keys(f).filter((name) => name.startsWith('affinity.'))).toEqual(['affinity.category.a', 'affinity.category.c']);
    expect(f['affinity.category.c']).toBeCloseTo(3 / 8, 12);
  });

  it('normalizes values into feature-name segments', () => {
    expect(normalizeFeatureKey("Men's Shoes")).toBe('men_s_shoes');
    expect(normalizeFeatureKey('  Électronique > Télé ')).toBe('électronique_télé');
    expect(normalizeFeatureKey('__proto__')).toBe('proto');
    expect(normalizeFeatureKey(42)).toBe('42');
    expect(normalizeFeatureKey('***')).toBe('');
    expect(normalizeFeatureKey({})).toBe('');
    expect(normalizeFeatureKey('x'.repeat(63) + '_y')).toBe('x'.repeat(63));
  });
});

describe('session', () => {
  const events = [
    track('Product Viewed', T0, { category: 'shoes', price: 80 }),
    track('Products Searched', T0 + 5 * MINUTE, { query: 'boots' }),
    track('Product Viewed', T0 + 10 * MINUTE, { category: 'shoes', price: 90 }),
    track('Product Added', T0 + 12 * MINUTE, { price: 20, quantity: 2 }),
  ];

  it('counts intent in the current session', () => {
    const f = featuresAt(events, T0 + 20 * MINUTE);
    expect(f['session.active']).toBe(1);
    expect(f['session.events']).toBe(4);
    expect(f['session.product_views']).toBe(2);
    expect(f['session.searches']).toBe(1);
    expect(f['session.add_to_carts']).toBe(1);
    expect(f['session.cart_value']).toBe(40);
    expect(f['session.duration_minutes']).toBe(12);
  });

  it('reads zero once the session has timed out', () => {
    const f = featuresAt(events, T0 + 43 * MINUTE);
    expect(f['session.active']).toBe(0);
    expect(f['session.product_views']).toBe(0);
    expect(f['session.cart_value']).toBe(0);
  });

  it('starts a new session after 30 minutes of inactivity', () => {
    const f = featuresAt([...events, track('Product Viewed', T0 + 50 * MINUTE, { price: 10 })], T0 + 51 * MINUTE);
    expect([f['session.events'], f['session.product_views'], f['session.cart_value']]).toEqual([1, 1, 0]);
  });

  it('takes the cart from a Cart Viewed snapshot, adds later changes, and empties it on an order', () => {
    const cart = [
      track('Product Added', T0, { price: 5 }),
      track('Cart Viewed', T0 + MINUTE, { products: [{ price: 10, quantity: 3 }] }),
      track('Product Added', T0 + 2 * MINUTE, { price: 7 }),
      track('Product Removed', T0 + 3 * MINUTE, { price: 10 }),
      // Arrives late, but happened before the snapshot, which already includes it.
      track('Product Added', T0 + 30_000, { price: 100 }),
    ];
    expect(featuresAt(cart, T0 + 4 * MINUTE)['session.cart_value']).toBe(27);
    const ordered = [...cart, track('Order Completed', T0 + 5 * MINUTE, { revenue: 27 })];
    expect(featuresAt(ordered, T0 + 6 * MINUTE)['session.cart_value']).toBe(0);
  });

  it('leaves a late event from an earlier session out of the current one, but counts it elsewhere', () => {
    const f = featuresAt([...events, track('Product Viewed', T0 - 3 * 60 * MINUTE, { category: 'hats', price: 5 }, 'web')], T0 + 20 * MINUTE);
    expect(f['session.product_views']).toBe(2);
    expect(f['session.events']).toBe(4);
    expect(f['affinity.category.hats']).toBeGreaterThan(0);
    expect(f['channel.event_share.web']).toBeCloseTo(1 / 5, 12);
  });
});

describe('price sensitivity', () => {
  it('is neutral without data', () => {
    const f = featuresAt([], T0);
    expect([f['price.discount_share'], f['price.avg_paid_price'], f['price.avg_viewed_price'], f['price.paid_to_viewed_ratio']]).toEqual([0, 0, 0, 1]);
  });

  it('counts discounted orders and compares prices paid with prices viewed', () => {
    const f = featuresAt(
      [
        track('Product Viewed', T0, { price: 100 }),
        track('Product Viewed', T0, { price: 50 }),
        track('Order Completed', T0, { coupon: 'SPRING', products: [{ price: 60, quantity: 1 }] }),
        track('Order Completed', T0, { products: [{ price: 30, quantity: 2 }] }),
        track('Order Completed', T0, { discount: 5, revenue: 10 }),
        track('Order Completed', T0, { products: [{ price: 1, coupon: 'LINE' }] }),
        track('Order Completed', T0, { discount: 0, coupon: '  ' }),
      ],
      T0,
    );
    expect(f['price.discount_share']).toBeCloseTo(3 / 5, 12);
    expect(f['price.avg_viewed_price']).toBe(75);
    expect(f['price.avg_paid_price']).toBeCloseTo((60 + 60 + 1) / 4, 12);
    expect(f['price.paid_to_viewed_ratio']).toBeCloseTo((121 / 4) / 75, 12);
  });
});

describe('channel mix', () => {
  it('shares events and orders per channel; unknown channels count only in the totals', () => {
    const f = featuresAt(
      [
        track('Product Viewed', T0, {}, 'web'),
        track('Product Viewed', T0, {}, 'web'),
        track('Product Viewed', T0, {}, 'smart-fridge'),
        track('POS Transaction Completed', T0, { total: 10 }, 'pos'),
      ],
      T0,
    );
    expect(f['channel.event_share.web']).toBe(0.5);
    expect(f['channel.event_share.pos']).toBe(0.25);
    expect(f['channel.event_share.app']).toBe(0);
    expect(f['channel.order_share.pos']).toBe(1);
  });
});

describe('state handling', () => {
  it('skips identify/alias/group calls and counts events without a usable time', () => {
    const state = stateOf([
      { type: 'identify', timestamp: T0 } as FeatureEvent,
      { type: 'track', event: 'Order Completed', properties: { revenue: 5 } },
      { type: 'track', event: 'Order Completed', timestamp: 'not a date', properties: { revenue: 5 } },
      { type: 'track', event: 'Order Completed', originalTimestamp: T0, properties: { revenue: 5 } },
    ]);
    expect(state.ignored).toBe(2);
    expect(state.rfm.orders).toBe(1);
    expect(state.lastEventAt).toBe(T0);
  });

  it('applyEvent mutates and returns the same state; readFeatures changes nothing', () => {
    const state = createFeatureState(SPEC);
    expect(applyEvent(state, track('Order Completed', T0, { revenue: 5 }), SPEC)).toBe(state);
    const before = structuredClone(state);
    readFeatures(state, SPEC, T0 + 10 * DAY);
    expect(state).toEqual(before);
  });

  it('reads the same at t whatever reads happened in between (decay is lazy)', () => {
    const events = [
      track('Order Completed', T0, { revenue: 10, products: [{ category: 'shoes', price: 10 }] }),
      track('Product Viewed', T0 + 20 * DAY, { category: 'hats' }),
      track('Order Completed', T0 + 40 * DAY, { revenue: 30 }),
    ];
    const quiet = stateOf(events);
    const busy = createFeatureState(SPEC);
    for (const event of events) {
      applyEvent(busy, event, SPEC);
      for (let d = 0; d < 60; d += 7) readFeatures(busy, SPEC, T0 + d * DAY);
    }
    expect(readFeatures(busy, SPEC, T0 + 90 * DAY)).toEqual(readFeatures(quiet, SPEC, T0 + 90 * DAY));
  });

  it('survives a JSON round trip and stays bounded in size', () => {
    const spec = SPEC;
    const state = createFeatureState(spec);
    for (let i = 0; i < 20_000; i++) {
      const at = T0 + i * 7 * MINUTE;
      const name = ['Product Viewed', 'Product Added', 'Order Completed', 'Products Searched'][i % 4]!;
      const product = { category: `category-${i % 97}`, brand: `brand-${(i * 7) % 89}`, price: (i % 50) + 1, quantity: 1 };
      applyEvent(state, track(name, at, name === 'Order Completed' ? { revenue: 20, products: [product] } : product, CHANNELS[i % CHANNELS.length]), spec);
    }
    const json = JSON.stringify(state);
    expect(Object.keys(state.affinity.category!.keys)).toHaveLength(20);
    expect(state.rfm.recent).toHaveLength(100);
    // 2 × 20 affinities, 100 recent orders and fixed counters: a few kilobytes whatever the history.
    expect(json.length).toBeLessThan(8_000);
    const now = T0 + 20_000 * 7 * MINUTE;
    expect(readFeatures(JSON.parse(json) as FeatureState, spec, now)).toEqual(readFeatures(state, spec, now));
  });

  it('always returns every listed feature name', () => {
    const names = listFeatureNames(SPEC);
    expect(names).toContain('rfm.orders_90d');
    expect(names).toContain('channel.order_share.callcenter');
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(featuresAt([], T0)).sort()).toEqual([...names].sort());
  });

  it('takes validated Segment events as they are', () => {
    expectTypeOf<SegmentEvent>().toExtend<FeatureEvent>();
  });

  it('the default spec lists the catalog channels', () => {
    expect(SPEC.channel.channels).toEqual([...CHANNELS]);
  });
});

describe('foldFeatures', () => {
  it('ignores events after the point in time', () => {
    const events = [track('Order Completed', T0, { revenue: 10 }), track('Order Completed', T0 + DAY, { revenue: 99 })];
    const f = foldFeatures(events, SPEC, T0 + DAY / 2);
    expect(f['rfm.revenue_total']).toBe(10);
    expect(f).toEqual(featuresAt(events.slice(0, 1), T0 + DAY / 2));
  });

  it('applies events in time order, whatever the input order', () => {
    const events = [
      track('Product Viewed', T0 + 40 * MINUTE, { price: 3 }),
      track('Product Viewed', T0, { price: 1 }),
      track('Product Viewed', T0 + 20 * MINUTE, { price: 2 }),
    ];
    // Sorted, the three views chain into one session (gaps of 20 minutes); applied as given, they would not.
    expect(foldFeatures(events, SPEC, T0 + 41 * MINUTE)['session.product_views']).toBe(3);
  });
});
