import type { DecisionLogRecord } from '@tailor/core';
import type { Database, Key, RootDatabase } from 'lmdb';

/**
 * Every decision the collector made, with its candidates, selection probabilities and versions: what
 * off-policy evaluation and bandit training read later. Written in the background (batched, no fsync wait:
 * a decision is answered before it is logged, and losing the last few records in a power cut is acceptable);
 * read in time order.
 */
export interface DecisionLogStore {
  append(sourceId: string, record: DecisionLogRecord): void;
  /** Records of a source (or all) from `sinceMs` on, in time order. */
  scan(options?: { readonly sourceId?: string; readonly sinceMs?: number }): Iterable<DecisionLogRecord & { readonly sourceId: string }>;
  /** Writes what is buffered. */
  flush(): Promise<void>;
  count(): number;
}

/** Records buffered before a write is forced; otherwise the buffer goes every `FLUSH_MS`. */
const MAX_BUFFER = 1_000;
const FLUSH_MS = 50;

export function createLmdbDecisionLog(root: RootDatabase): DecisionLogStore {
  const db: Database<DecisionLogRecord & { sourceId: string }, Key> = root.openDB('decision-log', { encoding: 'msgpack' });
  let buffer: Array<DecisionLogRecord & { sourceId: string }> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return writing;
    const batch = buffer;
    buffer = [];
    writing = writing.then(() =>
      root
        .transaction(() => {
          for (const record of batch) void db.put([record.timestamp, record.decisionId], record);
        })
        .then(() => undefined),
    );
    return writing;
  }

  return {
    append(sourceId, record) {
      buffer.push({ ...record, sourceId });
      if (buffer.length >= MAX_BUFFER) void flush().catch(() => undefined);
      else if (timer === undefined) {
        timer = setTimeout(() => void flush().catch(() => undefined), FLUSH_MS);
        timer.unref?.();
      }
    },
    *scan(options = {}) {
      const start = options.sinceMs === undefined ? undefined : [options.sinceMs];
      for (const { value } of db.getRange({ ...(start === undefined ? {} : { start }), snapshot: false })) {
        if (options.sourceId === undefined || value.sourceId === options.sourceId) yield value;
      }
    },
    flush,
    count: () => (db.getStats() as { entryCount: number }).entryCount,
  };
}
