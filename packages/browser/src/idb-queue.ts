import type { OutgoingEvent } from '@tailor/core';
import { openDB, type IDBPDatabase, type IDBPObjectStore } from 'idb';
import { DEFAULT_QUEUE_LIMITS, eventBytes, type DropReason, type EventQueue, type QueueLimits, type QueuedEvent } from './queue';

const EVENTS = 'events';
const META = 'meta';
const DROPS = 'drops';
const TOTALS = 'totals';
/** Events per stored record: one IndexedDB request per chunk, not per event, is what keeps track() cheap. */
const CHUNK = 50;

/** One stored record: a run of events written together. `bytes` is their encoded size. */
type Chunk = { id: number; events: OutgoingEvent[]; bytes: number };
type Totals = { events: number; bytes: number };
type Drops = Partial<Record<DropReason, number>>;
type Store = IDBPObjectStore<unknown, string[], string, 'readwrite'>;

/**
 * The durable queue: one IndexedDB database per write key, shared by every tab of the origin. Events are
 * stored in chunks of up to 50 (a task's burst of track() calls becomes a handful of records), and a
 * chunk is sent and removed whole. Each push is one transaction that also enforces the limits (dropping
 * the oldest chunks) and keeps the totals, so two tabs pushing at once cannot both overshoot. A quota
 * error evicts the oldest tenth and tries once more. Every eviction is counted in the database, so a drop
 * seen by one tab is reported once, by the sender. Resolves to undefined when IndexedDB cannot be opened.
 */
export async function openIdbQueue(name: string, limits: QueueLimits = DEFAULT_QUEUE_LIMITS): Promise<EventQueue | undefined> {
  let db: IDBPDatabase;
  try {
    db = await openDB(name, 2, {
      upgrade(database) {
        for (const store of [...database.objectStoreNames]) database.deleteObjectStore(store);
        database.createObjectStore(EVENTS, { keyPath: 'id', autoIncrement: true });
        database.createObjectStore(META);
      },
    });
  } catch {
    return undefined;
  }

  /**
   * Removes the oldest events while `more()` (a pure check of `totals`) holds: whole chunks go, and
   * the last chunk touched is trimmed, so a bound never costs more events than it must. Returns how many went.
   */
  async function evict(store: Store, totals: Totals, more: () => boolean): Promise<number> {
    let removed = 0;
    for (let cursor = await store.openCursor(); cursor && more(); cursor = await cursor.continue()) {
      const chunk = cursor.value as Chunk;
      const share = chunk.bytes / chunk.events.length;
      let gone = 0;
      while (gone < chunk.events.length && more()) {
        gone++;
        totals.events--;
        totals.bytes -= share;
      }
      removed += gone;
      if (gone === chunk.events.length) await cursor.delete();
      else await cursor.update({ ...chunk, events: chunk.events.slice(gone), bytes: chunk.bytes - gone * share });
    }
    return removed;
  }

  async function write(batch: readonly OutgoingEvent[], sizes: readonly number[] | undefined, quotaEvictions: number): Promise<void> {
    const tx = db.transaction([EVENTS, META], 'readwrite');
    const events = tx.objectStore(EVENTS) as unknown as Store;
    const meta = tx.objectStore(META) as unknown as Store;
    const [storedTotals, storedDrops] = await Promise.all([meta.get(TOTALS), meta.get(DROPS)]);
    const totals = { events: 0, bytes: 0, ...(storedTotals as Totals | undefined) };
    const drops = { ...(storedDrops as Drops | undefined) };
    let dropped = false;
    if (quotaEvictions > 0) {
      const keep = totals.events - quotaEvictions;
      drops.quota = (drops.quota ?? 0) + (await evict(events, totals, () => totals.events > keep));
      dropped = true;
    }
    const adds: Promise<unknown>[] = [];
    for (let start = 0; start < batch.length; start += CHUNK) {
      const part = batch.slice(start, start + CHUNK);
      let bytes = 0;
      for (let i = 0; i < part.length; i++) bytes += sizes?.[start + i] ?? eventBytes(part[i] as OutgoingEvent);
      totals.events += part.length;
      totals.bytes += bytes;
      adds.push(events.add({ events: part, bytes }));
    }
    await Promise.all(adds);
    const overflow = await evict(events, totals, () => totals.events > limits.maxEvents || (totals.bytes > limits.maxBytes && totals.events > 1));
    if (overflow > 0) {
      drops.overflow = (drops.overflow ?? 0) + overflow;
      dropped = true;
    }
    await Promise.all([meta.put(totals, TOTALS), ...(dropped ? [meta.put(drops, DROPS)] : [])]);
    await tx.done;
  }

  return {
    durable: true,
    async push(batch, sizes) {
      if (batch.length === 0) return;
      try {
        await write(batch, sizes, 0);
      } catch (error) {
        if ((error as DOMException | undefined)?.name !== 'QuotaExceededError') throw error;
        const stored = ((await db.get(META, TOTALS)) as Totals | undefined)?.events ?? 0;
        await write(batch, sizes, Math.max(1, Math.ceil(stored / 10)));
      }
    },
    async peek(maxCount, maxBytes) {
      // Whole chunks only (at least one), so that what is sent can be removed as stored.
      const chunks = (await db.getAll(EVENTS, undefined, Math.max(1, Math.min(Math.ceil(maxCount / CHUNK) + 1, 0xffffffff)))) as Chunk[];
      const out: QueuedEvent[] = [];
      let bytes = 0;
      for (const chunk of chunks) {
        if (out.length > 0 && (out.length + chunk.events.length > maxCount || bytes + chunk.bytes > maxBytes)) break;
        const share = chunk.bytes / chunk.events.length;
        for (const event of chunk.events) out.push({ id: chunk.id, event, bytes: share });
        bytes += chunk.bytes;
      }
      return out;
    },
    async remove(items) {
      if (items.length === 0) return;
      const tx = db.transaction([EVENTS, META], 'readwrite');
      const meta = tx.objectStore(META);
      const ids = [...new Set(items.map((item) => item.id))];
      const totals = { events: 0, bytes: 0, ...((await meta.get(TOTALS)) as Totals | undefined) };
      totals.events = Math.max(0, totals.events - items.length);
      totals.bytes = Math.max(0, totals.bytes - items.reduce((sum, item) => sum + item.bytes, 0));
      await Promise.all([...ids.map((id) => tx.objectStore(EVENTS).delete(id)), meta.put(totals, TOTALS)]);
      await tx.done;
    },
    count: async () => Number(((await db.get(META, TOTALS)) as Totals | undefined)?.events ?? 0),
    async takeDrops() {
      const tx = db.transaction(META, 'readwrite');
      const drops = ((await tx.store.get(DROPS)) ?? {}) as Drops;
      await tx.store.delete(DROPS);
      await tx.done;
      return drops;
    },
    close: () => db.close(),
  };
}
