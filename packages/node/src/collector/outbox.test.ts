import type { SegmentEvent } from '@tailor/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryEventStore } from '../../../test-utils/src/memory-event-store';
import { createOutbox, type Outbox, type OutboxOptions } from './outbox';
import type { EventStore, IngestedEvent, Sink, StoredEvent } from './types';

function ingested(from: number, count: number): IngestedEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const messageId = `m-${from + index}`;
    const event = { type: 'track', event: 'Product Viewed', messageId, anonymousId: 'a-1' } as SegmentEvent;
    return { messageId, event };
  });
}

interface FakeSink extends Sink {
  /** Every call's seqs, failed ones included. */
  readonly calls: number[][];
  /** Seqs of calls that resolved, in order. */
  readonly delivered: number[];
  /** Fake-clock time of each call. */
  readonly callTimes: number[];
  failNext(count: number): void;
  setDown(down: boolean): void;
  /** Holds the next send until `release()` is called. */
  hold(): { release(): void };
}

function createFakeSink(name: string): FakeSink {
  const calls: number[][] = [];
  const delivered: number[] = [];
  const callTimes: number[] = [];
  let failures = 0;
  let down = false;
  let gate: Promise<void> | undefined;
  return {
    name,
    calls,
    delivered,
    callTimes,
    failNext: (count) => {
      failures = count;
    },
    setDown: (value) => {
      down = value;
    },
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return { release };
    },
    async send(events: readonly StoredEvent[]) {
      calls.push(events.map((event) => event.seq));
      callTimes.push(Date.now());
      if (gate) {
        const waiting = gate;
        gate = undefined;
        await waiting;
      }
      if (down) throw new Error(`${name} is down`);
      if (failures > 0) {
        failures -= 1;
        throw new Error(`${name} failed on purpose`);
      }
      delivered.push(...events.map((event) => event.seq));
    },
    async close() {},
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** Moves the fake clock in steps until `done()` holds; bounded so a broken outbox fails instead of hanging. */
async function advanceUntil(done: () => boolean, stepMs = 50, maxSteps = 2000): Promise<void> {
  for (let step = 0; step < maxSteps && !done(); step++) await vi.advanceTimersByTimeAsync(stepMs);
  expect(done()).toBe(true);
}

describe('createOutbox', () => {
  let store: EventStore;
  let outbox: Outbox | undefined;
  const make = (options: Omit<OutboxOptions, 'store'>) => {
    outbox = createOutbox({ store, random: { random: () => 0.5 }, ...options });
    return outbox;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    store = createMemoryEventStore();
  });

  afterEach(async () => {
    await outbox?.stop();
    outbox = undefined;
    vi.useRealTimers();
  });

  it('forwards everything in seq order, in batches, and moves the cursor to the end', async () => {
    await store.append('src-1', ingested(1, 1200), 1);
    const sink = createFakeSink('a');
    const box = make({ sinks: [sink], batchSize: 500 });
    box.start();

    expect(await box.drain(1000)).toBe(true);
    expect(sink.calls.map((call) => call.length)).toEqual([500, 500, 200]);
    expect(sink.delivered).toEqual(range(1, 1200));
    expect(store.getCursor('a')).toBe(1200);

    await store.append('src-1', ingested(1201, 3), 2);
    box.notify();
    expect(await box.drain(1000)).toBe(true);
    expect(sink.delivered).toEqual(range(1, 1203));
  });

  it('resumes from the stored cursor', async () => {
    await store.append('src-1', ingested(1, 10), 1);
    await store.setCursor('a', 6);
    const sink = createFakeSink('a');
    const box = make({ sinks: [sink] });
    box.start();
    expect(await box.drain(1000)).toBe(true);
    expect(sink.delivered).toEqual([7, 8, 9, 10]);
  });

  it('sleeps when caught up: notify() wakes it at once, otherwise the safety poll finds new events', async () => {
    const sink = createFakeSink('a');
    const read = vi.spyOn(store, 'read');
    const box = make({ sinks: [sink], pollMs: 1000 });
    box.start();
    await vi.advanceTimersByTimeAsync(10_000);
    // One read at start plus one per poll: no busy loop.
    expect(read.mock.calls.length).toBeLessThanOrEqual(12);

    await store.append('src-1', ingested(1, 2), 1);
    box.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.delivered).toEqual([1, 2]);

    await store.append('src-1', ingested(3, 1), 2);
    await vi.advanceTimersByTimeAsync(999);
    expect(sink.delivered).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.delivered).toEqual([1, 2, 3]);
  });

  it('retries a failing sink with the same events and exponential backoff until it succeeds', async () => {
    await store.append('src-1', ingested(1, 10), 1);
    const sink = createFakeSink('a');
    sink.failNext(3);
    const box = make({ sinks: [sink], retry: { initialMs: 100, maxMs: 1000 } });
    box.start();

    await vi.advanceTimersByTimeAsync(0);
    expect(box.status()).toEqual([{ sink: 'a', cursor: 0, lag: 10, healthy: false, failures: 1, lastError: 'a failed on purpose' }]);
    // notify() must not cut a backoff short, or every append would hammer a sink that is down.
    box.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls).toHaveLength(1);

    await advanceUntil(() => box.lag() === 0, 10);
    expect(sink.calls).toEqual([range(1, 10), range(1, 10), range(1, 10), range(1, 10)]);
    // random() = 0.5 puts each delay at 3/4 of 100, 200, 400 ms.
    const gaps = sink.callTimes.slice(1).map((time, index) => time - sink.callTimes[index]!);
    expect(gaps).toEqual([75, 150, 300]);
    expect(sink.delivered).toEqual(range(1, 10));
    expect(store.getCursor('a')).toBe(10);
    expect(box.status()).toEqual([{ sink: 'a', cursor: 10, lag: 0, healthy: true, failures: 0 }]);
  });

  it('caps the backoff at retry.maxMs', async () => {
    await store.append('src-1', ingested(1, 1), 1);
    const sink = createFakeSink('a');
    sink.setDown(true);
    const box = make({ sinks: [sink], retry: { initialMs: 100, maxMs: 400 } });
    box.start();
    await advanceUntil(() => sink.calls.length >= 8, 10);
    const gaps = sink.callTimes.slice(1).map((time, index) => time - sink.callTimes[index]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(400);
    expect(gaps.slice(-3)).toEqual([300, 300, 300]);
  });

  it('resends a batch whose cursor write failed (at least once, never skipped)', async () => {
    await store.append('src-1', ingested(1, 5), 1);
    const setCursor = store.setCursor.bind(store);
    let cursorFailures = 1;
    vi.spyOn(store, 'setCursor').mockImplementation(async (name, seq) => {
      if (cursorFailures-- > 0) throw new Error('disk full');
      await setCursor(name, seq);
    });
    const sink = createFakeSink('a');
    const box = make({ sinks: [sink], retry: { initialMs: 10, maxMs: 10 } });
    box.start();
    await advanceUntil(() => box.lag() === 0, 10);
    expect(sink.delivered).toEqual([...range(1, 5), ...range(1, 5)]);
    expect(store.getCursor('a')).toBe(5);
  });

  it('moves each sink on its own: one that is down does not hold back the other', async () => {
    await store.append('src-1', ingested(1, 20), 1);
    const down = createFakeSink('down');
    const up = createFakeSink('up');
    down.setDown(true);
    const box = make({ sinks: [down, up], batchSize: 8, retry: { initialMs: 100, maxMs: 500 } });
    box.start();
    await advanceUntil(() => box.lag('up') === 0);

    expect(up.delivered).toEqual(range(1, 20));
    expect(down.delivered).toEqual([]);
    expect(box.lag()).toBe(20);
    expect(box.lag('down')).toBe(20);
    expect(box.status()).toEqual([
      { sink: 'down', cursor: 0, lag: 20, healthy: false, failures: down.calls.length, lastError: 'down is down' },
      { sink: 'up', cursor: 20, lag: 0, healthy: true, failures: 0 },
    ]);
    const drained = box.drain(200);
    await vi.advanceTimersByTimeAsync(200);
    expect(await drained).toBe(false);

    down.setDown(false);
    await advanceUntil(() => box.lag() === 0);
    expect(down.delivered).toEqual(range(1, 20));
    expect(store.getCursor('down')).toBe(20);
    expect(store.getCursor('up')).toBe(20);
  });

  it('stop() waits for the in-flight send and its cursor write, then sends nothing more', async () => {
    await store.append('src-1', ingested(1, 4), 1);
    const sink = createFakeSink('a');
    const { release } = sink.hold();
    const box = make({ sinks: [sink] });
    box.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls).toEqual([[1, 2, 3, 4]]);

    let stopped = false;
    const stopping = box.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(stopped).toBe(false);

    release();
    await stopping;
    expect(sink.delivered).toEqual([1, 2, 3, 4]);
    expect(store.getCursor('a')).toBe(4);

    await store.append('src-1', ingested(5, 1), 2);
    box.notify();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sink.calls).toHaveLength(1);
    expect(() => box.start()).toThrow(/stopped/);
  });

  it('stop() ends a backoff without waiting it out', async () => {
    await store.append('src-1', ingested(1, 1), 1);
    const sink = createFakeSink('a');
    sink.setDown(true);
    const box = make({ sinks: [sink], retry: { initialMs: 60_000, maxMs: 60_000 } });
    box.start();
    await vi.advanceTimersByTimeAsync(0);
    await box.stop();
    expect(sink.calls).toHaveLength(1);
  });

  it('reports lag and rejects unknown or duplicate sink names with the name', async () => {
    const box = make({ sinks: [createFakeSink('a')] });
    expect(box.lag()).toBe(0);
    await store.append('src-1', ingested(1, 3), 1);
    await store.append('src-1', ingested(1, 3), 1); // duplicates: no new seqs
    expect(box.lag('a')).toBe(3);
    expect(() => box.lag('nope')).toThrow(/no sink named "nope" \(sinks: a\)/);
    expect(() => createOutbox({ store, sinks: [createFakeSink('x'), createFakeSink('x')] })).toThrow(/two sinks are named "x"/);
    expect(() => createOutbox({ store, sinks: [], batchSize: 0 })).toThrow(/"batchSize" must be a positive integer, got 0/);
  });

  it('drain() resolves false on timeout when nothing runs, true at once when there is no lag', async () => {
    const box = make({ sinks: [createFakeSink('a')] });
    expect(await box.drain(10)).toBe(true);
    await store.append('src-1', ingested(1, 1), 1);
    const drained = box.drain(500);
    await vi.advanceTimersByTimeAsync(500);
    expect(await drained).toBe(false);
  });
});
