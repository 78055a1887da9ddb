import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SegmentEvent } from '@tailor/core';
import { partitionKey, partitionOf } from './partition';

const track = (fields: Record<string, unknown>) => ({ type: 'track', event: 'Product Viewed', messageId: 'm1', ...fields }) as unknown as SegmentEvent;

describe('identity partitions', () => {
  it('keys a device by its anonymousId, a backend event by its userId, and anything else by its messageId', () => {
    expect(partitionKey(track({ anonymousId: 'a1', userId: 'u1' }))).toBe('a:a1');
    expect(partitionKey(track({ userId: 'u1' }))).toBe('u:u1');
    expect(partitionKey(track({}))).toBe('m:m1');
  });

  it('places every event of a device in one partition, whatever else the event carries', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), fc.integer({ min: 1, max: 1024 }), (anonymousId, userId, messageId, partitions) => {
        const a = partitionOf('shop', track({ anonymousId, messageId }), partitions);
        const b = partitionOf('shop', track({ anonymousId, userId, messageId: `${messageId}x` }), partitions);
        expect(a).toBe(b);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThan(partitions);
      }),
    );
  });

  it('spreads shoppers evenly over partitions (χ² well under the 0.1% critical value)', () => {
    const partitions = 16;
    const counts = new Array<number>(partitions).fill(0);
    const n = 32_000;
    for (let i = 0; i < n; i++) counts[partitionOf('shop', track({ anonymousId: `anon-${i}` }), partitions)]! += 1;
    const expected = n / partitions;
    const chi2 = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 15 degrees of freedom: p = 0.001 at 37.7.
    expect(chi2).toBeLessThan(37.7);
  });
});
