import { isTailorError, type SegmentEvent } from '@tailor/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestedEvent, StoredEvent } from '../../node/src/collector/types';
import type { AsyncEventStore } from '../../node/src/storage/async-store';

/** Options the suite asks a store for; an implementation must honour both. */
export interface EventStoreContractOptions {
  readonly dedupWindowMs?: number;
  readonly clock?: { now(): number };
}

export interface EventStoreHarness {
  readonly store: AsyncEventStore;
  /** Opens the same data again, with the same options. The suite closes the previous store first. */
  readonly reopen?: () => Promise<AsyncEventStore>;
  /** Removes what the store left behind (files, tables). Runs after the suite closed every store it opened. */
  readonly cleanup: () => Promise<void>;
}

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** A track event; `extra` overrides any field. */
export function trackEvent(messageId: string, extra: Record<string, unknown> = {}): IngestedEvent {
  return ingest({ type: 'track', messageId, anonymousId: 'anon-1', event: 'Product Viewed', timestamp: iso(T0), ...extra });
}

function ingest(event: Record<string, unknown>): IngestedEvent {
  return { messageId: event.messageId as string, event: event as unknown as SegmentEvent };
}


async function collect(events: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const stored of events) out.push(stored);
  return out;
}

async function messageIds(events: AsyncIterable<StoredEvent>): Promise<string[]> {
  return (await collect(events)).map((stored) => stored.event.messageId);
}

async function expectClosedError(run: () => unknown): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(isTailorError(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe('storage_unavailable');
}

/**
 * The behaviour every event store promises: durable, deduplicated, per-source appends with monotonic seqs,
 * cursors and retention that never drop an event a sink has not forwarded. It is written against the async
 * interface, which the PostgreSQL store implements; the embedded (synchronous) stores run it through
 * `toAsyncEventStore`, so one suite holds both kinds to the same cases.
 *
 * @example
 * runEventStoreContract('postgres', async (options) => {
 *   const schema = `t_${randomUUID().replaceAll('-', '')}`;
 *   const make = () => createPostgresEventStore({ connectionString, schema, ...options });
 *   return { store: await make(), reopen: make, cleanup: () => dropSchema(schema) };
 * });
 */
export function runEventStoreContract(
  name: string,
  makeStore: (options: EventStoreContractOptions) => Promise<EventStoreHarness>,
): void {
  describe(`AsyncEventStore contract: ${name}`, () => {
    let opened: AsyncEventStore[] = [];
    let cleanups: Array<() => Promise<void>> = [];

    afterEach(async () => {
      for (const store of opened) await store.close().catch(() => undefined);
      for (const cleanup of cleanups) await cleanup();
      opened = [];
      cleanups = [];
    });

    async function setup(options: EventStoreContractOptions = {}) {
      const harness = await makeStore(options);
      opened.push(harness.store);
      cleanups.push(harness.cleanup);
      const reopen = async (current: AsyncEventStore): Promise<AsyncEventStore> => {
        if (harness.reopen === undefined) throw new Error('reopen is not supported by this harness');
        await current.close();
        const next = await harness.reopen();
        opened.push(next);
        return next;
      };
      return { store: harness.store, canReopen: harness.reopen !== undefined, reopen };
    }

    describe('append and read', () => {
      it('gives seqs from 1 in input order and reads back what was stored', async () => {
        const { store } = await setup();
        const result = await store.append('shop', [trackEvent('m1'), trackEvent('m2', { event: 'Order Completed' })], T0);
        expect(result).toEqual({ seqs: [1, 2], stored: 2, duplicates: 0 });
        expect(await store.lastSeq()).toBe(2);
        const read = await store.read(0, 10);
        expect(read.map((e) => [e.seq, e.sourceId, e.receivedAt, e.event.messageId])).toEqual([
          [1, 'shop', T0, 'm1'],
          [2, 'shop', T0, 'm2'],
        ]);
        expect(read[1]?.event).toEqual(trackEvent('m2', { event: 'Order Completed' }).event);
      });

      it('answers an empty append without storing anything', async () => {
        const { store } = await setup();
        expect(await store.append('shop', [], T0)).toEqual({ seqs: [], stored: 0, duplicates: 0 });
        expect(await store.lastSeq()).toBe(0);
      });

      it('reads pages after a seq, up to a limit', async () => {
        const { store } = await setup();
        await store.append('shop', ['a', 'b', 'c', 'd', 'e'].map((id) => trackEvent(id)), T0);
        expect((await store.read(2, 2)).map((e) => e.seq)).toEqual([3, 4]);
        expect((await store.read(4, 10)).map((e) => e.seq)).toEqual([5]);
        expect(await store.read(5, 10)).toEqual([]);
        expect(await store.read(0, 0)).toEqual([]);
      });
    });

    describe('dedup', () => {
      it('skips a messageId repeated within one call', async () => {
        const { store } = await setup();
        const result = await store.append('shop', [trackEvent('m1'), trackEvent('m2'), trackEvent('m1')], T0);
        expect(result).toEqual({ seqs: [1, 2, null], stored: 2, duplicates: 1 });
        expect(await messageIds(store.scan())).toEqual(['m1', 'm2']);
      });

      it('skips a messageId stored by an earlier call', async () => {
        const { store } = await setup();
        await store.append('shop', [trackEvent('m1')], T0);
        const again = await store.append('shop', [trackEvent('m1'), trackEvent('m2')], T0 + 1);
        expect(again).toEqual({ seqs: [null, 2], stored: 1, duplicates: 1 });
        expect(await store.lastSeq()).toBe(2);
      });

      it('stores a messageId once when concurrent calls race with it', async () => {
        const { store } = await setup();
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) => store.append('shop', [trackEvent('same'), trackEvent(`own-${i}`)], T0)),
        );
        const sameSeqs = results.map((r) => r.seqs[0]).filter((seq) => seq !== null);
        expect(sameSeqs).toHaveLength(1);
        expect(results.reduce((n, r) => n + r.stored, 0)).toBe(26);
        const ids = await messageIds(store.scan());
        expect(ids.filter((id) => id === 'same')).toHaveLength(1);
        expect(new Set(ids).size).toBe(ids.length);
        expect((await collect(store.scan())).map((e) => e.seq)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
      });

      it('dedups per source: the same messageId in two sources is two events', async () => {
        const { store } = await setup();
        const [a, b] = await Promise.all([store.append('shop-a', [trackEvent('m1')], T0), store.append('shop-b', [trackEvent('m1')], T0)]);
        expect(a.stored + b.stored).toBe(2);
        expect(await messageIds(store.scan({ sourceId: 'shop-a' }))).toEqual(['m1']);
        expect(await messageIds(store.scan({ sourceId: 'shop-b' }))).toEqual(['m1']);
      });

      it('accepts a messageId again once its dedup entry is older than the window', async () => {
        let now = T0;
        const { store } = await setup({ dedupWindowMs: 1_000, clock: { now: () => now } });
        await store.append('shop', [trackEvent('m1')], now);
        now = T0 + 999;
        expect((await store.append('shop', [trackEvent('m1')], now)).seqs).toEqual([null]);
        now = T0 + 1_000;
        expect((await store.append('shop', [trackEvent('m1')], now)).seqs).toEqual([2]);
        now = T0 + 1_999;
        expect((await store.append('shop', [trackEvent('m1')], now)).seqs).toEqual([null]);
      });

      it('keeps dedup entries across a restart', async (ctx) => {
        const harness = await setup();
        ctx.skip(!harness.canReopen, 'this store has no reopen: nothing survives a restart');
        await harness.store.append('shop', [trackEvent('m1')], T0);
        const store = await harness.reopen(harness.store);
        expect(await store.append('shop', [trackEvent('m1'), trackEvent('m2')], T0)).toEqual({ seqs: [null, 2], stored: 1, duplicates: 1 });
      });
    });

    describe('seqs', () => {
      it('keeps increasing across a restart and never reuses a seq, even after compaction emptied the log', async (ctx) => {
        const harness = await setup();
        ctx.skip(!harness.canReopen, 'this store has no reopen: nothing survives a restart');
        await harness.store.append('shop', [trackEvent('a'), trackEvent('b'), trackEvent('c')], T0);
        let store = await harness.reopen(harness.store);
        expect(await store.lastSeq()).toBe(3);
        expect((await store.append('shop', [trackEvent('d')], T0)).seqs).toEqual([4]);
        expect((await store.compact(T0, { maxEvents: 0 }, [])).removedEvents).toBe(4);
        store = await harness.reopen(store);
        expect(await store.lastSeq()).toBe(4);
        expect((await store.append('shop', [trackEvent('e')], T0)).seqs).toEqual([5]);
      });
    });

    describe('removeEvents', () => {
      it('deletes log entries by seq (erasure) and counts only those that existed', async () => {
        const harness = await setup();
        await harness.store.append('shop', [trackEvent('a'), trackEvent('b'), trackEvent('c')], T0);
        expect(await harness.store.removeEvents([2, 3, 99])).toBe(2);
        expect(await messageIds(harness.store.scan())).toEqual(['a']);
        expect((await harness.store.read(0, 10)).map((stored) => stored.seq)).toEqual([1]);
        // Seqs are never reused, and a removed messageId stays deduplicated within the window.
        expect((await harness.store.append('shop', [trackEvent('b'), trackEvent('d')], T0)).seqs).toEqual([null, 4]);
      });
    });

    describe('scan', () => {
      it('yields events in seq order, filtered by source and receipt time', async () => {
        const { store } = await setup();
        await store.append('shop-a', [trackEvent('a1'), trackEvent('a2')], T0);
        await store.append('shop-b', [trackEvent('b1')], T0 + 100);
        await store.append('shop-a', [trackEvent('a3')], T0 + 200);
        expect((await collect(store.scan())).map((e) => [e.seq, e.event.messageId])).toEqual([
          [1, 'a1'],
          [2, 'a2'],
          [3, 'b1'],
          [4, 'a3'],
        ]);
        expect(await messageIds(store.scan({ sourceId: 'shop-a' }))).toEqual(['a1', 'a2', 'a3']);
        expect(await messageIds(store.scan({ sinceMs: T0 + 100 }))).toEqual(['b1', 'a3']);
        expect(await messageIds(store.scan({ sinceMs: T0 + 100, sourceId: 'shop-a' }))).toEqual(['a3']);
      });

      it('is lazy: stopping early is allowed and later scans still work', async () => {
        const { store } = await setup();
        await store.append('shop', ['a', 'b', 'c'].map((id) => trackEvent(id)), T0);
        const iterator = store.scan()[Symbol.asyncIterator]();
        expect((await iterator.next()).value?.seq).toBe(1);
        await iterator.return?.();
        expect(await messageIds(store.scan())).toEqual(['a', 'b', 'c']);
      });
    });

    describe('cursors', () => {
      it('starts at 0, stores the last forwarded seq and keeps it across a restart', async (ctx) => {
        const harness = await setup();
        expect(await harness.store.getCursor('nats')).toBe(0);
        await harness.store.setCursor('nats', 7);
        await harness.store.setCursor('webhook', 3);
        expect(await harness.store.getCursor('nats')).toBe(7);
        expect(await harness.store.getCursor('webhook')).toBe(3);
        ctx.skip(!harness.canReopen, 'this store has no reopen: nothing survives a restart');
        const store = await harness.reopen(harness.store);
        expect([await store.getCursor('nats'), await store.getCursor('webhook')]).toEqual([7, 3]);
      });
    });

    describe('compact', () => {
      it('expires dedup entries older than the window', async () => {
        let now = T0;
        const { store } = await setup({ dedupWindowMs: 1_000, clock: { now: () => now } });
        await store.append('shop', [trackEvent('old')], T0);
        await store.append('shop', [trackEvent('new')], T0 + 600);
        expect((await store.stats()).dedupEntries).toBe(2);
        now = T0 + 1_200;
        expect(await store.compact(now, {}, [])).toEqual({ removedEvents: 0, removedDedup: 1 });
        expect((await store.stats()).dedupEntries).toBe(1);
        expect((await store.append('shop', [trackEvent('new')], now)).seqs).toEqual([null]);
      });

      it('trims the oldest events beyond maxEvents, but only those every listed sink has forwarded', async () => {
        const { store } = await setup();
        await store.append('shop', ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => trackEvent(id)), T0);
        await store.setCursor('nats', 5);
        await store.setCursor('webhook', 2);
        expect((await store.compact(T0, { maxEvents: 1 }, ['nats', 'webhook'])).removedEvents).toBe(2);
        expect((await store.read(0, 10)).map((e) => e.seq)).toEqual([3, 4, 5, 6]);
        expect((await store.compact(T0, { maxEvents: 1 }, ['nats', 'never-forwarded'])).removedEvents).toBe(0);
        expect((await store.compact(T0, { maxEvents: 1 }, ['nats'])).removedEvents).toBe(3);
        expect((await store.read(0, 10)).map((e) => e.seq)).toEqual([6]);
        expect((await store.stats())).toMatchObject({ events: 1, firstSeq: 6, lastSeq: 6 });
      });

      it('deletes events older than maxAgeMs up to the slowest cursor', async () => {
        const { store } = await setup();
        await store.append('shop', [trackEvent('a'), trackEvent('b')], T0);
        await store.append('shop', [trackEvent('c')], T0 + 5_000);
        await store.append('shop', [trackEvent('d')], T0 + 9_000);
        await store.setCursor('nats', 4);
        await store.setCursor('webhook', 1);
        expect((await store.compact(T0 + 10_000, { maxAgeMs: 3_000 }, ['nats', 'webhook'])).removedEvents).toBe(1);
        await store.setCursor('webhook', 4);
        expect((await store.compact(T0 + 10_000, { maxAgeMs: 3_000 }, ['nats', 'webhook'])).removedEvents).toBe(2);
        expect(await messageIds(store.scan())).toEqual(['d']);
        expect((await store.compact(T0 + 10_000, {}, [])).removedEvents).toBe(0);
      });
    });

    describe('close', () => {
      it('rejects every operation after close with a storage_unavailable TailorError', async () => {
        const { store } = await setup();
        await store.append('shop', [trackEvent('m1')], T0);
        await store.close();
        await expectClosedError(() => store.append('shop', [trackEvent('m2')], T0));
        await expectClosedError(() => store.read(0, 10));
        await expectClosedError(() => store.scan()[Symbol.asyncIterator]().next());
        await expectClosedError(() => store.lastSeq());
        await expectClosedError(() => store.getCursor('nats'));
        await expectClosedError(() => store.setCursor('nats', 1));
        await expectClosedError(() => store.removeEvents([1]));
        await expectClosedError(() => store.stats());
        await expectClosedError(() => store.compact(T0, {}, []));
      });

      it('waits for appends in flight before closing', async (ctx) => {
        const harness = await setup();
        const pending = harness.store.append('shop', [trackEvent('m1'), trackEvent('m2')], T0);
        await harness.store.close();
        expect((await pending).stored).toBe(2);
        ctx.skip(!harness.canReopen, 'this store has no reopen: nothing survives a restart');
        const store = await harness.reopen(harness.store);
        expect(await messageIds(store.scan())).toEqual(['m1', 'm2']);
      });
    });
  });
}
