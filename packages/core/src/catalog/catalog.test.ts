import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import {
  CHANNELS,
  channelSchema,
  currencySchema,
  DECISION_EVENTS,
  ECOMMERCE_EVENTS,
  isRetailEventName,
  moneySchema,
  POS_LOYALTY_EVENTS,
  productSchema,
  productsSchema,
  RETAIL_EVENTS,
  signedMoneySchema,
  type Product,
  type RetailEventName,
  type RetailEvents,
} from './index';

/** Segment-style path, as the envelope validator reports it: `properties.products[0].price`. */
function toPath(path: readonly PropertyKey[]): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').slice(1);
}

function issuesOf(schema: z.ZodType, input: unknown, prefix: PropertyKey[] = []): Array<{ path: string; code: string }> {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: toPath([...prefix, ...i.path]), code: i.code }));
}

const monopoly = { product_id: '507f1f77bcf86cd799439011', sku: 'G-32', name: 'Monopoly', price: 18.99, quantity: 1 };
const uno = { sku: '46493-32', name: 'Uno', price: 3, quantity: 2, position: 2 };

// Typed as RetailEvents, so a missing event or a property type that drifts from its schema fails tsc.
const SAMPLES: RetailEvents = {
  'Products Searched': { query: 'blue roses' },
  'Product List Viewed': { list_id: 'hot_deals_1', category: 'Deals', products: [monopoly, uno] },
  'Product List Filtered': { filters: [{ type: 'size', value: 42 }], sorts: [{ type: 'price', value: 'desc' }] },
  'Promotion Viewed': { promotion_id: 'promo_1', creative: 'top_banner_2', position: 'home_banner_top' },
  'Promotion Clicked': { name: '75% store-wide shoe sale', position: 1 },
  'Product Clicked': { ...monopoly, position: 3, url: '/p/monopoly', image_url: 'https://cdn.example.com/m.jpg' },
  'Product Viewed': { ...monopoly, currency: 'USD', value: 18.99 },
  'Product Added': { cart_id: 'cart-1', sku: 'G-32', quantity: 2 },
  'Product Removed': { cart_id: 'cart-1', product_id: 'p-1' },
  'Cart Viewed': { cart_id: 'cart-1', products: [monopoly, uno] },
  'Checkout Started': { value: 30, revenue: 25, currency: 'USD', products: [monopoly] },
  'Checkout Step Viewed': { checkout_id: 'c-1', step: 1, shipping_method: 'Fedex' },
  'Checkout Step Completed': { checkout_id: 'c-1', step: 2, payment_method: 'Visa' },
  'Payment Info Entered': { checkout_id: 'c-1', order_id: 'o-1' },
  'Order Completed': {
    checkout_id: 'c-1',
    order_id: 'o-1',
    affiliation: 'Google Store',
    subtotal: 22.5,
    total: 27.5,
    revenue: 25,
    shipping: 3,
    tax: 2,
    discount: 2.5,
    coupon: 'hasbros',
    currency: 'USD',
    products: [monopoly, uno],
  },
  'Order Updated': { order_id: 'o-1', total: 30 },
  'Order Refunded': { order_id: 'o-1', total: -30, currency: 'EUR' },
  'Order Cancelled': { order_id: 'o-1' },
  'Coupon Entered': { cart_id: 'cart-1', coupon_id: 'may_deals' },
  'Coupon Applied': { coupon_id: 'may_deals', coupon_name: 'May Deals', discount: 23.32 },
  'Coupon Denied': { coupon: 'may_deals', reason: 'Coupon expired' },
  'Coupon Removed': { coupon_name: 'May Deals', discount: 23.32 },
  'Product Added to Wishlist': { wishlist_id: 'w-1', wishlist_name: 'Loved Games', ...monopoly },
  'Product Removed from Wishlist': { wishlist_id: 'w-1', sku: 'G-32' },
  'Wishlist Product Added to Cart': { wishlist_id: 'w-1', cart_id: 'cart-1', product_id: 'p-1' },
  'Product Shared': { share_via: 'email', share_message: '', recipient: 'friend@example.com', sku: 'G-32' },
  'Cart Shared': { share_via: 'email', cart_id: 'cart-1', products: [{ product_id: 'p-1' }] },
  'Product Reviewed': { product_id: 'p-1', review_id: 'r-1', review_body: 'I love it', rating: '5' },
  'Store Visited': { store_id: 'store-42' },
  'POS Transaction Completed': {
    transaction_id: 't-1',
    store_id: 'store-42',
    register_id: 'r-3',
    cashier_id: 'c-17',
    subtotal: 41,
    tax: 8.2,
    discount: 5,
    total: 44.2,
    currency: 'EUR',
    payment_method: 'card',
    loyalty_id: 'L-1',
    products: [{ sku: '45790-32', price: 19, quantity: 1 }],
  },
  'POS Return Processed': { transaction_id: 't-2', store_id: 'store-42', original_transaction_id: 't-1', total: -19 },
  'Loyalty Enrolled': { loyalty_id: 'L-1', program: 'Club', tier: 'silver', channel: 'pos' },
  'Loyalty Points Earned': { loyalty_id: 'L-1', points: 44, balance: 1244, order_id: 'o-1' },
  'Loyalty Points Redeemed': { loyalty_id: 'L-1', points: 500, balance: -20, transaction_id: 't-1' },
  'Loyalty Tier Changed': { loyalty_id: 'L-1', tier: 'gold', previous_tier: 'silver' },
  'Loyalty Reward Redeemed': { loyalty_id: 'L-1', reward_id: 'free-coffee', points: 150 },
  'Offer Viewed': { decision_id: 'd-1', offer_id: 'free-shipping', placement_id: 'home-hero', rank: 1 },
  'Offer Clicked': { decision_id: 'd-1', offer_id: 'free-shipping', placement_id: 'home-hero' },
  'Offer Converted': { decision_id: 'd-1', offer_id: 'free-shipping', placement_id: 'home-hero', value: 59.9 },
  'Offer Dismissed': { decision_id: 'd-1', offer_id: 'free-shipping', placement_id: 'home-hero' },
};

// [event, properties, expected issues]
const INVALID: Array<[RetailEventName, unknown, Array<{ path: string; code: string }>]> = [
  ['Products Searched', {}, [{ path: 'query', code: 'invalid_union' }]],
  ['Products Searched', { query: 42 }, [{ path: 'query', code: 'invalid_union' }]],
  ['Order Completed', { total: 10 }, [{ path: 'order_id', code: 'invalid_type' }]],
  ['Order Completed', { order_id: 'o-1', currency: 'US$' }, [{ path: 'currency', code: 'invalid_format' }]],
  ['Order Completed', { order_id: 'o-1', currency: 'US' }, [{ path: 'currency', code: 'invalid_format' }]],
  ['Order Completed', { order_id: 'o-1', total: -1 }, [{ path: 'total', code: 'too_small' }]],
  ['Order Completed', { order_id: 'o-1', products: [monopoly, { ...uno, price: '3' }] }, [{ path: 'products[1].price', code: 'invalid_type' }]],
  ['Order Completed', { order_id: 'o-1', products: [{ name: 'Uno' }] }, [{ path: 'products[0].product_id', code: 'custom' }]],
  ['Order Updated', { order_id: '' }, [{ path: 'order_id', code: 'too_small' }]],
  ['Order Refunded', { order_id: 123 }, [{ path: 'order_id', code: 'invalid_type' }]],
  ['Order Cancelled', { order_id: 'o-1', tax: Number.POSITIVE_INFINITY }, [{ path: 'tax', code: 'invalid_type' }]],
  ['Product Viewed', { name: 'Monopoly' }, [{ path: 'product_id', code: 'custom' }]],
  ['Product Added', { sku: 'G-32', price: -0.01 }, [{ path: 'price', code: 'too_small' }]],
  ['Product Added', { sku: 'G-32', quantity: 1.5 }, [{ path: 'quantity', code: 'invalid_type' }]],
  ['Product Clicked', { sku: 'G-32', position: 0 }, [{ path: 'position', code: 'too_small' }]],
  ['Product Clicked', { sku: 'x'.repeat(1025) }, [{ path: 'sku', code: 'too_big' }]],
  ['Cart Viewed', { products: { product_id: 'p-1' } }, [{ path: 'products', code: 'invalid_type' }]],
  ['Checkout Step Viewed', { checkout_id: 'c-1' }, [{ path: 'step', code: 'invalid_type' }]],
  ['Checkout Step Completed', { step: '2' }, [{ path: 'step', code: 'invalid_type' }]],
  ['Product List Filtered', { filters: [{ type: 'size' }] }, [{ path: 'filters[0].value', code: 'invalid_union' }]],
  ['Promotion Viewed', { creative: 'banner' }, [{ path: 'promotion_id', code: 'custom' }]],
  ['Coupon Denied', { reason: 'expired' }, [{ path: 'coupon_id', code: 'custom' }]],
  ['Product Reviewed', { product_id: 'p-1', rating: 'five stars' }, [{ path: 'rating', code: 'invalid_format' }]],
  ['Store Visited', {}, [{ path: 'store_id', code: 'invalid_type' }]],
  [
    'POS Transaction Completed',
    {},
    [
      { path: 'transaction_id', code: 'invalid_type' },
      { path: 'store_id', code: 'invalid_type' },
    ],
  ],
  ['POS Return Processed', { transaction_id: 't-2', store_id: 's', currency: 'euros' }, [{ path: 'currency', code: 'invalid_format' }]],
  ['Loyalty Enrolled', { loyalty_id: 'L-1', channel: 'store' }, [{ path: 'channel', code: 'invalid_value' }]],
  ['Loyalty Points Earned', { loyalty_id: 'L-1', points: 0 }, [{ path: 'points', code: 'too_small' }]],
  ['Loyalty Points Redeemed', { loyalty_id: 'L-1', points: 2.5 }, [{ path: 'points', code: 'invalid_type' }]],
  ['Loyalty Points Redeemed', { points: 5 }, [{ path: 'loyalty_id', code: 'invalid_type' }]],
  ['Loyalty Tier Changed', { loyalty_id: 'L-1' }, [{ path: 'tier', code: 'invalid_type' }]],
  ['Loyalty Reward Redeemed', { loyalty_id: 'L-1' }, [{ path: 'reward_id', code: 'invalid_type' }]],
];

const EVENT_NAMES = Object.keys(RETAIL_EVENTS) as RetailEventName[];

describe('retail catalog', () => {
  it('merges the e-commerce, POS/loyalty and offer-outcome maps without a name clash', () => {
    expect(EVENT_NAMES).toHaveLength(Object.keys(ECOMMERCE_EVENTS).length + Object.keys(POS_LOYALTY_EVENTS).length + Object.keys(DECISION_EVENTS).length);
    expect(EVENT_NAMES).toHaveLength(40);
    expect(Object.isFrozen(RETAIL_EVENTS)).toBe(true);
  });

  it.each(EVENT_NAMES)('accepts a valid %s', (name) => {
    const result = RETAIL_EVENTS[name].safeParse(SAMPLES[name]);
    expect(result.error?.issues).toBeUndefined();
    expect(result.data).toEqual(SAMPLES[name]);
  });

  it.each(INVALID)('rejects a bad %s with the right paths and codes (%j)', (name, properties, expected) => {
    expect(issuesOf(RETAIL_EVENTS[name], properties)).toEqual(expected);
  });

  it('explains a product without product_id or sku', () => {
    const result = productSchema.safeParse({ name: 'Uno', price: 3 });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ code: 'custom', path: ['product_id'], message: 'a product needs product_id or sku' }),
    ]);
  });

  it('names the expectation when a currency is wrong', () => {
    expect(currencySchema.safeParse('euro').error?.issues[0]?.message).toMatch(/ISO 4217.*three letters/);
    expect(currencySchema.safeParse('EUR').success).toBe(true);
    // Segment's own examples send lower case; existing clients must keep working.
    expect(currencySchema.safeParse('usd').success).toBe(true);
  });

  it('keeps unknown keys at the top level and inside products', () => {
    const input = { order_id: 'o-1', store_code: 'FR-42', products: [{ ...monopoly, size: 'M', margin: 0.4 }] };
    expect(RETAIL_EVENTS['Order Completed'].parse(input)).toEqual(input);
    expect(RETAIL_EVENTS['Loyalty Enrolled'].parse({ loyalty_id: 'L-1', referrer: 'friend' })).toEqual({
      loyalty_id: 'L-1',
      referrer: 'friend',
    });
  });

  it('exposes the money and channel helpers', () => {
    expect(moneySchema.safeParse(-1).success).toBe(false);
    expect(signedMoneySchema.safeParse(-1).success).toBe(true);
    expect(signedMoneySchema.safeParse(Number.NaN).success).toBe(false);
    expect(productsSchema.safeParse([{ sku: 'a' }]).success).toBe(true);
    expect(CHANNELS.map((c) => channelSchema.safeParse(c).success)).toEqual(CHANNELS.map(() => true));
  });

  it('tells built-in event names from inherited keys', () => {
    expect(isRetailEventName('Order Completed')).toBe(true);
    expect(isRetailEventName('constructor')).toBe(false);
    expect(isRetailEventName('order completed')).toBe(false);
  });
});

describe('JSON Schema export', () => {
  const schemas: Array<[string, z.ZodType]> = [
    ...Object.entries(RETAIL_EVENTS),
    ['productSchema', productSchema],
    ['currencySchema', currencySchema],
    ['channelSchema', channelSchema],
  ];

  it.each(schemas)('converts %s', (_name, schema) => {
    const json = z.toJSONSchema(schema, { io: 'input' });
    expect(json).toHaveProperty('$schema');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('carries required ids and the product_id-or-sku rule for other languages', () => {
    const order = z.toJSONSchema(RETAIL_EVENTS['Order Completed'], { io: 'input' });
    expect(order.required).toEqual(['order_id']);
    expect(order.additionalProperties).toEqual({});
    const viewed = z.toJSONSchema(RETAIL_EVENTS['Product Viewed'], { io: 'input' });
    expect(viewed.anyOf).toEqual([{ required: ['product_id'] }, { required: ['sku'] }]);
    expect(z.toJSONSchema(currencySchema, { io: 'input' })).toMatchObject({ pattern: '^[A-Za-z]{3}$' });
  });
});

describe('z.compile', () => {
  const inputs: Array<[RetailEventName, unknown]> = [
    ...EVENT_NAMES.map((name): [RetailEventName, unknown] => [name, SAMPLES[name]]),
    ...INVALID.map(([name, properties]): [RetailEventName, unknown] => [name, properties]),
  ];

  it('is available in the installed zod', () => {
    expect(typeof z.compile).toBe('function');
  });

  it.each(EVENT_NAMES)('compiles %s without falling back to the runtime parser', (name) => {
    expect(() => z.compile(RETAIL_EVENTS[name], { strict: true })).not.toThrow();
  });

  it.each(inputs)('gives the same result compiled and uncompiled for %s (%j)', (name, properties) => {
    const schema = RETAIL_EVENTS[name];
    const plain = schema.safeParse(properties);
    const compiled = z.compile(schema).safeParse(properties);
    expect(compiled.success).toBe(plain.success);
    expect(compiled.data).toEqual(plain.data);
    expect(compiled.error?.issues).toEqual(plain.error?.issues);
  });
});

interface SpecCase {
  name: string;
  valid: boolean;
  event: { type: string; event: string; messageId: string; timestamp: string; properties: unknown };
  issues?: Array<{ path: string; code: string }>;
}

describe('spec/events/retail-catalog.v1.json', () => {
  const file = new URL('../../../../spec/events/retail-catalog.v1.json', import.meta.url);
  const spec = JSON.parse(readFileSync(file, 'utf8')) as { spec: string; version: number; cases: SpecCase[] };

  it('has the shared case format and a valid case for every event', () => {
    expect(spec).toMatchObject({ spec: 'tailor/events', version: 1 });
    const covered = new Set(spec.cases.filter((c) => c.valid).map((c) => c.event.event));
    expect([...covered].sort()).toEqual([...EVENT_NAMES].sort());
    expect(spec.cases.filter((c) => !c.valid).length).toBeGreaterThanOrEqual(15);
    expect(new Set(spec.cases.map((c) => c.event.messageId)).size).toBe(spec.cases.length);
  });

  it.each(spec.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(c.event.type).toBe('track');
    expect(isRetailEventName(c.event.event)).toBe(true);
    const schema = RETAIL_EVENTS[c.event.event as RetailEventName];
    expect(issuesOf(schema, c.event.properties, ['properties'])).toEqual(c.valid ? [] : c.issues);
  });
});

describe('types', () => {
  it('derives property types per event for `import type` users', () => {
    expectTypeOf<RetailEvents['Order Completed']['order_id']>().toEqualTypeOf<string>();
    expectTypeOf<RetailEvents['Product Added']['quantity']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RetailEvents['Loyalty Enrolled']['channel']>().toEqualTypeOf<
      'web' | 'app' | 'pos' | 'callcenter' | 'email' | 'kiosk' | undefined
    >();
    expectTypeOf<Product['price']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<'Products Searched'>().toExtend<RetailEventName>();
    expectTypeOf<'Product Searched'>().not.toExtend<RetailEventName>();
  });
});
