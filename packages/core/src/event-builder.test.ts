import { describe, expect, it } from 'vitest';
import { createFakePlatform } from '@tailor/test-utils';
import { createEventBuilder } from './event-builder';
import { createEventValidator } from './validate';

describe('createEventBuilder', () => {
  const platform = createFakePlatform({ now: Date.UTC(2026, 10, 24, 9, 30) });
  const build = createEventBuilder({ platform, library: { name: '@tailor/test', version: '1.0.0' } });

  it('builds a Segment envelope that the contract accepts', () => {
    const event = build('track', { event: 'Product Viewed', properties: { product_id: 'p-1', price: 10 } }, { anonymousId: 'a-1' });
    expect(event).toMatchObject({
      type: 'track',
      event: 'Product Viewed',
      anonymousId: 'a-1',
      timestamp: '2026-11-24T09:30:00.000Z',
      context: { library: { name: '@tailor/test', version: '1.0.0' } },
    });
    expect(event.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(createEventValidator().validate(event).ok).toBe(true);
  });

  it('takes the caller’s messageId, timestamp, context and integrations', () => {
    const event = build('identify', { traits: { tier: 'gold' } }, { userId: 'u-1' }, {
      messageId: 'order-7-identify',
      timestamp: new Date(Date.UTC(2026, 0, 1)),
      context: { channel: 'pos', storeId: 's-1' },
      integrations: { All: false },
    });
    expect(event).toMatchObject({ messageId: 'order-7-identify', timestamp: '2026-01-01T00:00:00.000Z', userId: 'u-1', integrations: { All: false } });
    expect(event.context).toEqual({ channel: 'pos', storeId: 's-1', library: { name: '@tailor/test', version: '1.0.0' } });
  });

  it('gives every event its own messageId', () => {
    const ids = new Set(Array.from({ length: 50 }, () => build('page', {}, { anonymousId: 'a' }).messageId));
    expect(ids.size).toBe(50);
  });
});
