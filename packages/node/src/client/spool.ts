/*
 * Durability follows the collector's store (see collector/lmdb-store.ts for lmdb-js 3.5's behaviour): we never
 * set noSync/mapAsync/useWritemap, a put's promise resolves at commit (visible, in the page cache: safe from
 * kill -9) and `flushed` once the fdatasync of that commit returned (safe from power loss). A call is
 * acknowledged only after both. Puts issued in one event turn share one transaction and one fsync, so a
 * burst of calls costs one disk flush, not one each.
 * Order: keys are integers handed out synchronously at call time and lmdb-js commits async writes in the
 * order they were issued, so the key order is the call order and a reader never sees key n+1 before key n.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { TailorError, type OutgoingEvent } from '@tailor/core';
import { open, type RootDatabase } from 'lmdb';

export interface SpoolEntry {
  readonly key: number;
  /** Epoch ms at which the event was spooled. */
  readonly at: number;
  readonly event: OutgoingEvent;
}

export interface Spool {
  /** Writes the event; the key is known at once, `written` resolves once it is on disk (fsynced). */
  append(event: OutgoingEvent, at: number): { readonly key: number; readonly written: Promise<void> };
  /** Up to `limit` entries with keys above `afterKey`, in key order. */
  read(afterKey: number, limit: number): SpoolEntry[];
  /** Removes answered entries (not fsynced: if it is lost, the entries are sent again and deduplicated). */
  remove(keys: readonly number[]): Promise<void>;
  /** Entries on disk, written and not yet removed. */
  count(): number;
  /** The highest key written so far (0 when none). */
  lastKey(): number;
  oldest(): SpoolEntry | undefined;
  close(): Promise<void>;
}

interface StoredValue {
  readonly at: number;
  readonly event: OutgoingEvent;
}

/**
 * Opens (or creates) the spool in `dir`: an LMDB database of events keyed by an increasing integer.
 * Throws a TailorError ('storage_unavailable') when the directory cannot be used.
 */
export function openSpool(dir: string): Spool {
  const path = resolve(dir);
  let db: RootDatabase<StoredValue, number>;
  try {
    mkdirSync(path, { recursive: true });
    // noSubdir: false explicitly, or a dir with a dot ("spool.v1") would be taken for a file name.
    db = open<StoredValue, number>({ path, noSubdir: false, encoding: 'msgpack' });
  } catch (cause) {
    throw new TailorError(
      'storage_unavailable',
      `createTailorNode: cannot open the spool in ${path}: ${(cause as Error)?.message ?? String(cause)}. Point "spool.dir" at a directory this process can write.`,
      { cause },
    );
  }
  let last = 0;
  for (const key of db.getKeys({ reverse: true, limit: 1 })) last = key;
  let written = last;
  let entries = (db.getStats() as { entryCount: number }).entryCount;

  return {
    append(event, at) {
      const key = ++last;
      const done = db.put(key, { at, event }).then(async (ok) => {
        if (!ok) throw new Error('lmdb refused the write');
        await db.flushed;
        entries++;
        written = Math.max(written, key);
      });
      return { key, written: done };
    },
    read(afterKey, limit) {
      const out: SpoolEntry[] = [];
      for (const { key, value } of db.getRange({ start: afterKey + 1, limit, snapshot: false })) out.push({ key, at: value.at, event: value.event });
      return out;
    },
    async remove(keys) {
      if (keys.length === 0) return;
      await db.transaction(() => {
        for (const key of keys) db.removeSync(key);
      });
      entries -= keys.length;
    },
    count: () => entries,
    lastKey: () => written,
    oldest() {
      for (const { key, value } of db.getRange({ limit: 1 })) return { key, at: value.at, event: value.event };
      return undefined;
    },
    close: () => db.close(),
  };
}
