import type { OutgoingEvent } from '@tailor/core';

/** An event waiting to be sent, with its place in the queue and its encoded size. */
export interface QueuedEvent {
  readonly id: number;
  readonly event: OutgoingEvent;
  readonly bytes: number;
}

/** Why the queue dropped events: it was full (count or bytes) or the browser refused more storage. */
export type DropReason = 'overflow' | 'quota';

export interface QueueLimits {
  /** Most events kept; the oldest go first past it. Default 10,000. */
  readonly maxEvents: number;
  /** Most bytes of encoded events kept. Default 5 MB. */
  readonly maxBytes: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { maxEvents: 10_000, maxBytes: 5 * 1024 * 1024 };

/**
 * Where events wait until the collector has them. The IndexedDB queue is shared by every tab of the
 * origin and survives reload, crash and offline; the memory queue is the fallback where IndexedDB is
 * unavailable (some private modes) and while consent forbids persisting anything.
 */
export interface EventQueue {
  readonly durable: boolean;
  /** Persists the events (one transaction); resolves once they are stored. `sizes` saves measuring again. */
  push(events: readonly OutgoingEvent[], sizes?: readonly number[]): Promise<void>;
  /** The oldest events, up to `maxCount` events and `maxBytes` bytes (always at least one if any). */
  peek(maxCount: number, maxBytes: number): Promise<QueuedEvent[]>;
  /** Removes delivered events (as peeked: the sizes keep the byte total without reading them back). */
  remove(items: readonly QueuedEvent[]): Promise<void>;
  count(): Promise<number>;
  /** Events dropped since the last call, by reason; resets the counters. */
  takeDrops(): Promise<Partial<Record<DropReason, number>>>;
  close(): void;
}

/** The JSON size of an event, which is what it costs on the wire and in storage. */
export function eventBytes(event: OutgoingEvent): number {
  // Close enough for limits: UTF-16 length, not UTF-8 bytes; exact accounting is the collector's job.
  return JSON.stringify(event).length;
}

/** An in-memory queue with the same limits and drop accounting as the IndexedDB one. */
export function createMemoryQueue(limits: QueueLimits = DEFAULT_QUEUE_LIMITS): EventQueue {
  let items: QueuedEvent[] = [];
  let nextId = 1;
  let bytes = 0;
  let drops: Partial<Record<DropReason, number>> = {};
  return {
    durable: false,
    async push(events, sizes) {
      for (const [index, event] of events.entries()) {
        const size = sizes?.[index] ?? eventBytes(event);
        items.push({ id: nextId++, event, bytes: size });
        bytes += size;
      }
      while (items.length > limits.maxEvents || (bytes > limits.maxBytes && items.length > 1)) {
        const dropped = items.shift() as QueuedEvent;
        bytes -= dropped.bytes;
        drops.overflow = (drops.overflow ?? 0) + 1;
      }
    },
    async peek(maxCount, maxBytes) {
      return takeWithin(items, maxCount, maxBytes);
    },
    async remove(removed) {
      const gone = new Set(removed.map((item) => item.id));
      items = items.filter((item) => {
        if (!gone.has(item.id)) return true;
        bytes -= item.bytes;
        return false;
      });
    },
    count: async () => items.length,
    async takeDrops() {
      const taken = drops;
      drops = {};
      return taken;
    },
    close() {},
  };
}

/** The prefix of `items` that fits the count and byte limits; never empty when items is not. */
export function takeWithin(items: readonly QueuedEvent[], maxCount: number, maxBytes: number): QueuedEvent[] {
  const out: QueuedEvent[] = [];
  let size = 0;
  for (const item of items) {
    if (out.length >= maxCount || (out.length > 0 && size + item.bytes > maxBytes)) break;
    out.push(item);
    size += item.bytes;
  }
  return out;
}
