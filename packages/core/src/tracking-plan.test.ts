import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import { isTailorError } from './errors';
import { trackingPlanToJsonSchema } from './json-schema';
import { defineTrackingPlan, type PlanEvents } from './tracking-plan';

const plan = defineTrackingPlan({
  name: 'acme-web',
  version: '3',
  events: {
    'Gift Card Purchased': z.object({ amount: z.number().positive(), currency: z.string().length(3) }),
    'Order Completed': z.looseObject({ order_id: z.string(), store_credit_used: z.boolean() }),
  },
  traits: z.looseObject({ email: z.email().optional() }),
});

describe('defineTrackingPlan', () => {
  it('merges the retail catalog with the retailer’s events, the retailer winning on a name clash', () => {
    expect(Object.keys(plan.events)).toContain('Product Viewed');
    expect(plan.getEventSchema('Order Completed')?.safeParse({ order_id: 'o-1' }).success).toBe(false);
    expect(plan.getEventSchema('Order Completed')?.safeParse({ order_id: 'o-1', store_credit_used: false }).success).toBe(true);
    expect(plan.getEventSchema('Unknown')).toBeUndefined();
    expect(plan.getEventSchema('toString')).toBeUndefined();
  });

  it('can leave the retail catalog out', () => {
    const bare = defineTrackingPlan({ name: 'bare', retailCatalog: false, events: { Ping: z.object({}) } });
    expect(Object.keys(bare.events)).toEqual(['Ping']);
  });

  it('has defaults a team expects: strict, unplanned events allowed, compiled', () => {
    expect(plan).toMatchObject({ mode: 'strict', unplannedEvents: 'allow', compile: true, version: '3' });
  });

  it('types track() properties from the plan', () => {
    type Events = PlanEvents<typeof plan>;
    expectTypeOf<Events['Gift Card Purchased']>().toEqualTypeOf<{ amount: number; currency: string }>();
    expectTypeOf<Events['Product Viewed']>().toHaveProperty('product_id');
    // @ts-expect-error an event the plan does not name has no properties type
    expectTypeOf<Events['Not Planned']>().toBeNever();
  });

  it('explains a malformed plan', () => {
    const attempts: Array<[unknown, RegExp]> = [
      [{}, /"name" must be/],
      [{ name: 'x', mode: 'loud' }, /"mode" must be "strict", "warn" or "off", got "loud"/],
      [{ name: 'x', unplannedEvents: 'maybe' }, /"unplannedEvents"/],
      [{ name: 'x', events: { Bad: { amount: 'number' } } }, /the schema for event "Bad" is not a zod schema/],
      [{ name: 'x', events: { '': z.object({}) } }, /event names must be 1-256 characters/],
      [{ name: 'x', traits: 'email' }, /"traits" must be a zod schema/],
    ];
    for (const [options, message] of attempts) {
      let thrown: unknown;
      try {
        defineTrackingPlan(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(isTailorError(thrown) && (thrown as { code: string }).code).toBe('invalid_plan');
      expect((thrown as Error).message).toMatch(message);
    }
  });
});

// Ajv compiles the whole retail catalog (40 events) per schema: seconds on a loaded 2-core machine.
describe('trackingPlanToJsonSchema', { timeout: 60_000 }, () => {
  const schema = trackingPlanToJsonSchema(plan);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  const base = { messageId: 'm-1', userId: 'u-1' };

  it('is a draft 2020-12 document with one definition per planned event', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.$defs as object)).toEqual(expect.arrayContaining(['track:Gift Card Purchased', 'track:Product Viewed', 'track:*', 'identify', 'alias']));
  });

  it('accepts what the plan accepts and rejects what it rejects, for a producer in another language', () => {
    const cases: Array<[unknown, boolean]> = [
      [{ ...base, type: 'track', event: 'Gift Card Purchased', properties: { amount: 5, currency: 'EUR' } }, true],
      [{ ...base, type: 'track', event: 'Gift Card Purchased', properties: { amount: -5, currency: 'EUR' } }, false],
      [{ ...base, type: 'track', event: 'Product Viewed', properties: { product_id: 'p-1', price: 3 } }, true],
      [{ ...base, type: 'track', event: 'Product Viewed', properties: { product_id: 'p-1', price: 'free' } }, false],
      [{ ...base, type: 'track', event: 'Anything Else', properties: { x: 1 } }, true],
      [{ type: 'track', event: 'Anything Else', messageId: 'm' }, false],
      [{ ...base, type: 'identify', traits: { email: 'a@b.co' } }, true],
      [{ ...base, type: 'identify', traits: { email: 'nope' } }, false],
      [{ ...base, type: 'alias', previousId: 'a-1' }, true],
      [{ ...base, type: 'alias' }, false],
      [{ ...base, type: 'purchase' }, false],
    ];
    for (const [event, expected] of cases) expect(validate(event), JSON.stringify(event)).toBe(expected);
  });

  it('rejects unplanned events when the plan does', () => {
    const strict = ajv.compile(trackingPlanToJsonSchema(defineTrackingPlan({ name: 'closed', unplannedEvents: 'reject' })));
    expect(strict({ ...base, type: 'track', event: 'Anything Else' })).toBe(false);
    expect(strict({ ...base, type: 'track', event: 'Cart Viewed', properties: {} })).toBe(true);
  });
});
