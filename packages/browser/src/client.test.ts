import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventValidator } from '@tailor/core';
import { createFakePlatform, type FakePlatform } from '@tailor/test-utils';
import { createTailor } from './client';

function sentBatches(platform: FakePlatform) {
  return platform.requests.map((request) => JSON.parse(request.body as string) as { batch: Array<Record<string, unknown>>; writeKey: string; sentAt: string });
}

describe('createTailor', () => {
  let platform: FakePlatform;
  beforeEach(() => {
    vi.useFakeTimers();
    platform = createFakePlatform();
  });
  afterEach(() => vi.useRealTimers());

  it('explains a missing writeKey', () => {
    expect(() => createTailor({ writeKey: '' })).toThrow('[tailor] createTailor: "writeKey" is required');
  });

  it('batches calls into one Segment batch that the contract accepts', async () => {
    const tailor = createTailor({ writeKey: 'wk', endpoint: 'https://t.shop.example/', platform, flushAt: 3 });
    tailor.page('Home');
    tailor.track('Product Viewed', { product_id: 'p-1', price: 12.5, currency: 'EUR' });
    tailor.identify('u-1', { email: 'ada@example.com' });
    await vi.waitFor(() => expect(platform.requests).toHaveLength(1));
    const [request] = platform.requests;
    expect(request).toMatchObject({ url: 'https://t.shop.example/v1/batch', method: 'POST', headers: { 'content-type': 'application/json' } });
    const [body] = sentBatches(platform);
    expect(body?.writeKey).toBe('wk');
    expect(body?.batch.map((e) => e.type)).toEqual(['page', 'track', 'identify']);
    const anonymousId = tailor.getAnonymousId();
    expect(body?.batch.every((e) => e.anonymousId === anonymousId)).toBe(true);
    expect(body?.batch[2]?.userId).toBe('u-1');
    const result = createEventValidator().validateBatch(body?.batch ?? []);
    expect(result.issues).toEqual([]);
  });

  it('sends after flushInterval when fewer than flushAt events are queued', async () => {
    const tailor = createTailor({ writeKey: 'wk', platform, flushInterval: 500 });
    tailor.track('Cart Viewed', {});
    await tailor.ready();
    await vi.advanceTimersByTimeAsync(499);
    expect(platform.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(platform.requests).toHaveLength(1));
  });

  it('keeps events after a network error or a 5xx and sends them on the next flush', async () => {
    const tailor = createTailor({ writeKey: 'wk', platform });
    platform.respondWith(new Error('offline'));
    tailor.track('Cart Viewed', {});
    await tailor.flush();
    platform.respondWith(503);
    await tailor.flush();
    platform.respondWith(200);
    await tailor.flush();
    const batches = sentBatches(platform);
    expect(batches).toHaveLength(3);
    expect(new Set(batches.map((b) => b.batch[0]?.messageId)).size).toBe(1);
    await tailor.flush();
    expect(platform.requests).toHaveLength(3);
  });

  it('keeps the anonymous id across instances through storage, and reset() starts a new one', async () => {
    const first = createTailor({ writeKey: 'wk', platform });
    await first.ready();
    const second = createTailor({ writeKey: 'wk', platform });
    await second.ready();
    expect(second.getAnonymousId()).toBe(first.getAnonymousId());
    second.identify('u-9');
    second.reset();
    await second.flush();
    expect(second.getUserId()).toBeUndefined();
    expect(second.getAnonymousId()).not.toBe(first.getAnonymousId());
    expect(await platform.storage.get('tailor.userId')).toBeUndefined();
  });

  it('alias sends the new userId and the previous id', async () => {
    const tailor = createTailor({ writeKey: 'wk', platform });
    await tailor.ready();
    tailor.alias('u-2');
    await vi.waitFor(async () => {
      await tailor.flush();
      expect(platform.requests).toHaveLength(1);
    });
    const event = sentBatches(platform)[0]?.batch[0];
    expect(event).toMatchObject({ type: 'alias', userId: 'u-2', previousId: tailor.getAnonymousId() });
  });
});
