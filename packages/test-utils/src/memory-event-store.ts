import type {
  AppendResult,
  EventStore,
  IngestedEvent,
  StoreStats,
  StoredEvent,
} from '../../node/src/collector/types';

/**
 * An in-memory {@link EventStore} for tests of the pieces that sit on the log (outbox, sinks, handlers).
 *
 * What it keeps faithfully: seqs from 1, strictly increasing; dedup per (sourceId, messageId), also within
 * one call and across concurrent calls (appends are synchronous under the hood); cursors; `read` and `scan`.
 * What it leaves out, so do not test those against it: profiles (`getProfile` and `findProfile` always
 * return undefined, `stats().profiles` is 0), the dedup window (entries never expire), durability, byte
 * sizes (`stats().bytes` is 0) and compaction (`compact` removes nothing and returns zeros).
 *
 * @example
 * const store = createMemoryEventStore();
 * await store.append('src-1', [{ messageId: 'm-1', event }], Date.now());
 * store.read(0, 10); // [{ seq: 1, sourceId: 'src-1', ... }]
 */
export function createMemoryEventStore(): EventStore {
  // Always sorted by seq, because seqs are handed out in append order and nothing is ever removed.
  const log: StoredEvent[] = [];
  const seen = new Set<string>();
  const cursors = new Map<string, number>();
  let lastSeq = 0;
  let closed = false;

  const assertOpen = (method: string) => {
    if (closed) throw new Error(`[tailor] memory event store: ${method}() called after close()`);
  };

  /** Index of the first entry with seq > afterSeq (binary search: tests read long logs in a loop). */
  const firstAfter = (afterSeq: number): number => {
    let low = 0;
    let high = log.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (log[mid]!.seq <= afterSeq) low = mid + 1;
      else high = mid;
    }
    return low;
  };

  return {
    async append(sourceId: string, events: readonly IngestedEvent[], receivedAt: number): Promise<AppendResult> {
      assertOpen('append');
      const seqs: Array<number | null> = [];
      for (const { messageId, event } of events) {
        // NUL cannot occur in a sourceId, so the key cannot collide across sources.
        const key = `${sourceId}\u0000${messageId}`;
        if (seen.has(key)) {
          seqs.push(null);
          continue;
        }
        seen.add(key);
        lastSeq += 1;
        log.push({ seq: lastSeq, sourceId, receivedAt, event });
        seqs.push(lastSeq);
      }
      const stored = seqs.filter((seq) => seq !== null).length;
      return { seqs, stored, duplicates: events.length - stored };
    },

    read(afterSeq: number, limit: number): StoredEvent[] {
      assertOpen('read');
      const start = firstAfter(afterSeq);
      return log.slice(start, start + Math.max(0, limit));
    },

    *scan(options: { sinceMs?: number; sourceId?: string } = {}): Iterable<StoredEvent> {
      for (const stored of log) {
        if (options.sinceMs !== undefined && stored.receivedAt < options.sinceMs) continue;
        if (options.sourceId !== undefined && stored.sourceId !== options.sourceId) continue;
        yield stored;
      }
    },

    lastSeq: () => lastSeq,

    getCursor: (name: string) => cursors.get(name) ?? 0,

    async setCursor(name: string, seq: number): Promise<void> {
      assertOpen('setCursor');
      cursors.set(name, seq);
    },

    async removeEvents(seqs: readonly number[]): Promise<number> {
      assertOpen('removeEvents');
      const doomed = new Set(seqs);
      const before = log.length;
      for (let i = log.length - 1; i >= 0; i--) if (doomed.has((log[i] as StoredEvent).seq)) log.splice(i, 1);
      return before - log.length;
    },

    stats(): StoreStats {
      return {
        events: log.length,
        lastSeq,
        firstSeq: log[0]?.seq ?? 0,
        bytes: 0,
        dedupEntries: seen.size,
        profiles: 0,
      };
    },

    async compact() {
      return { removedEvents: 0, removedDedup: 0 };
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
