import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineTrackingPlan } from './tracking-plan';
import { checkBatchLimits, createEventValidator } from './validate';

const track = (properties: Record<string, unknown>, event = 'Gift Card Purchased') => ({
  type: 'track',
  event,
  messageId: 'm-1',
  userId: 'u-1',
  properties,
});

const giftCards = { 'Gift Card Purchased': z.object({ amount: z.number().positive(), currency: z.string().length(3) }) };

describe('createEventValidator', () => {
  it('reports issues as data naming the index, messageId, event, path and problem', () => {
    const validator = createEventValidator({ plan: defineTrackingPlan({ name: 'acme', events: giftCards }) });
    const result = validator.validate(track({ amount: -5, currency: 'EUR' }), 7);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      {
        index: 7,
        messageId: 'm-1',
        event: 'Gift Card Purchased',
        path: 'properties.amount',
        code: 'too_small',
        message: expect.stringMatching(/^properties\.amount: .*>0/),
        severity: 'error',
      },
    ]);
  });

  it('in warn mode keeps the event and reports warnings', () => {
    const validator = createEventValidator({ plan: defineTrackingPlan({ name: 'acme', events: giftCards, mode: 'warn' }) });
    const result = validator.validate(track({ amount: 'ten' }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => [w.path, w.severity])).toEqual([
      ['properties.amount', 'warning'],
      ['properties.currency', 'warning'],
    ]);
  });

  it('in off mode checks the envelope only', () => {
    const validator = createEventValidator({ plan: defineTrackingPlan({ name: 'acme', events: giftCards, mode: 'off' }) });
    expect(validator.validate(track({ amount: 'ten' }))).toMatchObject({ ok: true, warnings: [] });
    expect(validator.validate({ ...track({}), userId: undefined }).ok).toBe(false);
  });

  it('applies the unplanned-event policy', () => {
    const event = track({}, 'Mystery Event');
    const make = (unplannedEvents: 'allow' | 'warn' | 'reject') => createEventValidator({ plan: defineTrackingPlan({ name: 'acme', unplannedEvents }) });
    expect(make('allow').validate(event)).toMatchObject({ ok: true, warnings: [] });
    expect(make('warn').validate(event)).toMatchObject({ ok: true, warnings: [{ code: 'unplanned_event', path: 'event', severity: 'warning' }] });
    expect(make('reject').validate(event)).toMatchObject({ ok: false, issues: [{ code: 'unplanned_event', message: expect.stringContaining('"Mystery Event" is not in tracking plan "acme"') }] });
  });

  it('validates identify traits against the plan’s traits schema', () => {
    const plan = defineTrackingPlan({ name: 'acme', traits: z.looseObject({ email: z.email().optional() }) });
    const validator = createEventValidator({ plan });
    expect(validator.validate({ type: 'identify', messageId: 'm', userId: 'u', traits: { email: 'nope' } })).toMatchObject({
      ok: false,
      issues: [{ path: 'traits.email', code: 'invalid_format' }],
    });
    expect(validator.validate({ type: 'identify', messageId: 'm', userId: 'u', traits: { email: 'a@b.co' } }).ok).toBe(true);
  });

  it('rejects an event over the size limit before parsing it', () => {
    const validator = createEventValidator({ limits: { maxEventBytes: 100 } });
    expect(validator.validate(track({ note: 'x'.repeat(200) }, 'Note'))).toMatchObject({ ok: false, issues: [{ code: 'too_large', path: '' }] });
    expect(validator.validate(track({ note: 'x' }, 'Note'), 0, 10_000)).toMatchObject({ ok: false, issues: [{ code: 'too_large' }] });
  });

  it('rejects an event nested deeper than maxEventDepth, naming the limit', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(createEventValidator().validate(track({ deep }, 'Deep'))).toMatchObject({ ok: false, issues: [{ code: 'too_deep', message: expect.stringContaining('more than 32 levels') }] });
    expect(createEventValidator({ limits: { maxEventDepth: 64 } }).validate(track({ deep }, 'Deep')).ok).toBe(true);
  });

  it('never throws, whatever it is given', () => {
    const validator = createEventValidator();
    const cyclic: Record<string, unknown> = { type: 'track' };
    cyclic.self = cyclic;
    for (const input of [undefined, null, 0, 'x', [], cyclic, { type: 'track', messageId: 1n }, Object.create(null)]) {
      const result = validator.validate(input);
      expect(result.ok).toBe(false);
    }
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withDate: true }), (input) => {
        expect(() => validator.validate(input)).not.toThrow();
        expect(() => validator.validate({ type: 'track', event: 'E', messageId: 'm', userId: 'u', properties: input })).not.toThrow();
      }),
      { numRuns: 1_000 },
    );
  });

  it('keeps valid events of a batch and drops only the bad ones', () => {
    const validator = createEventValidator();
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 40 }), (goodness) => {
        const batch = goodness.map((good, i) => (good ? track({}, `E${i}`) : { type: 'track', event: `E${i}`, messageId: `m${i}` }));
        const result = validator.validateBatch(batch);
        const expected = goodness.flatMap((good, i) => (good ? [i] : []));
        expect(result.indexes).toEqual(expected);
        expect(result.events.map((e) => (e as { event: string }).event)).toEqual(expected.map((i) => `E${i}`));
        expect(result.rejected).toBe(goodness.length - expected.length);
        expect(new Set(result.issues.map((issue) => issue.index))).toEqual(new Set(goodness.flatMap((good, i) => (good ? [] : [i]))));
      }),
    );
  });
});

describe('checkBatchLimits', () => {
  it('names the limit that was passed', () => {
    expect(checkBatchLimits(2_500, 500 * 1024)).toBeUndefined();
    expect(checkBatchLimits(2_501, 10)).toBe('the batch has 2501 events; the limit is 2500 per batch');
    expect(checkBatchLimits(1, 500 * 1024 + 1)).toBe('the batch is 512001 bytes; the limit is 512000 bytes per batch');
  });
});
