import { describe, expect, it } from 'vitest';
import type { OutgoingEvent } from '@tailor/core';
import { openIdbQueue } from './idb-queue';

const event = (i: number, size = 10) =>
  ({ type: 'track', event: 'E', messageId: `m-${i}`, timestamp: '2026-11-24T10:00:00.000Z', anonymousId: 'a', context: {}, properties: { pad: 'x'.repeat(size) } }) as unknown as OutgoingEvent;

describe('openIdbQueue', () => {
  it('keeps events in order across reopen, shared by every opener', async () => {
    const a = await openIdbQueue('q');
    await a?.push([event(1), event(2)]);
    const b = await openIdbQueue('q');
    await b?.push([event(3)]);
    expect((await a?.peek(10, 1e9))?.map((i) => i.event.messageId)).toEqual(['m-1', 'm-2', 'm-3']);
    a?.close();
    const c = await openIdbQueue('q');
    const items = (await c?.peek(2, 1e9)) ?? [];
    expect(items.map((i) => i.event.messageId)).toEqual(['m-1', 'm-2']);
    await c?.remove(items);
    expect(await c?.count()).toBe(1);
  });

  it('bounds the queue by count and bytes, dropping the oldest and counting them once', async () => {
    const queue = await openIdbQueue('bounded', { maxEvents: 5, maxBytes: 1_000 });
    await queue?.push(Array.from({ length: 8 }, (_, i) => event(i)));
    expect(await queue?.count()).toBe(5);
    await queue?.push([event(100, 900)]); // over the byte bound: older ones go until it fits
    const left = (await queue?.peek(100, 1e9))?.map((i) => i.event.messageId) ?? [];
    expect(left[left.length - 1]).toBe('m-100');
    expect(left.length).toBeLessThan(5);
    const drops = await queue?.takeDrops();
    expect(drops?.overflow).toBe(3 + (6 - left.length));
    expect(await queue?.takeDrops()).toEqual({});
  });

  it('on a quota error evicts the oldest tenth, stores the new events and counts the drop', async () => {
    const queue = await openIdbQueue('quota');
    await queue?.push(Array.from({ length: 20 }, (_, i) => event(i)));
    const add = IDBObjectStore.prototype.add;
    let thrown = false;
    IDBObjectStore.prototype.add = function (...args: Parameters<IDBObjectStore['add']>) {
      if (!thrown) {
        thrown = true;
        throw new DOMException('full', 'QuotaExceededError');
      }
      return add.apply(this, args);
    };
    try {
      await queue?.push([event(99)]);
    } finally {
      IDBObjectStore.prototype.add = add;
    }
    const ids = (await queue?.peek(100, 1e9))?.map((i) => i.event.messageId) ?? [];
    expect(ids[0]).toBe('m-2');
    expect(ids[ids.length - 1]).toBe('m-99');
    expect(await queue?.takeDrops()).toEqual({ quota: 2 });
  });

  it('answers undefined when IndexedDB cannot be opened', async () => {
    const open = indexedDB.open;
    indexedDB.open = () => {
      throw new DOMException('blocked', 'SecurityError');
    };
    try {
      expect(await openIdbQueue('blocked')).toBeUndefined();
    } finally {
      indexedDB.open = open;
    }
  });
});
