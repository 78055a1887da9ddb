import type { OutgoingEvent } from '@tailor/core';
import { openDB, type IDBPDatabase, type IDBPObjectStore } from 'idb';
import { DEFAULT_QUEUE_LIMITS, eventBytes, takeWithin, type DropReason, type EventQueue, type QueueLimits, type QueuedEvent } from './queue';

const EVENTS = 'events';
const META = 'meta';
const DROPS = 'drops';
const BYTES = 'bytes';

type Row = { id: number; event: OutgoingEvent; bytes: number };
type Drops = Partial<Record<DropReason, number>>;
type Store = IDBPObjectStore<unknown, string[], string, 'readwrite'>;

/**
 * The durable queue: one IndexedDB database per write key, shared by every tab of the origin.
 * Each push is one transaction that also enforces the limits and keeps the byte total, so two tabs
 * pushing at once cannot both overshoot. A quota error evicts the oldest tenth and tries once more.
 * Every eviction is counted in the database, so a drop seen by one tab is reported once, by the sender.
 * Resolves to undefined when IndexedDB cannot be opened (private mode, blocked, missing).
 */
export async function openIdbQueue(name: string, limits: QueueLimits = DEFAULT_QUEUE_LIMITS): Promise<EventQueue | undefined> {
  let db: IDBPDatabase;
  try {
    db = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore(EVENTS, { keyPath: 'id', autoIncrement: true });
        database.createObjectStore(META);
      },
    });
  } catch {
    return undefined;
  }

  /** Deletes oldest rows while `more(count, bytes)` holds; returns how many went. */
  async function evict(events: Store, state: { count: number; bytes: number }, more: () => boolean): Promise<number> {
    let removed = 0;
    for (let cursor = await events.openCursor(); cursor && more(); cursor = await cursor.continue()) {
      state.bytes -= (cursor.value as Row).bytes;
      state.count--;
      removed++;
      await cursor.delete();
    }
    return removed;
  }

  async function write(batch: readonly OutgoingEvent[], quotaEvictions: number): Promise<void> {
    const tx = db.transaction([EVENTS, META], 'readwrite');
    const events = tx.objectStore(EVENTS) as unknown as Store;
    const meta = tx.objectStore(META) as unknown as Store;
    const state = { count: await events.count(), bytes: Number((await meta.get(BYTES)) ?? 0) };
    const drops = ((await meta.get(DROPS)) ?? {}) as Drops;
    if (quotaEvictions > 0) {
      let left = quotaEvictions;
      drops.quota = (drops.quota ?? 0) + (await evict(events, state, () => left-- > 0));
    }
    // All adds are issued at once and awaited together: one round trip per persist, not one per event.
    const adds = batch.map((event) => {
      const bytes = eventBytes(event);
      state.count++;
      state.bytes += bytes;
      return events.add({ event, bytes });
    });
    await Promise.all(adds);
    const overflow = await evict(events, state, () => state.count > limits.maxEvents || (state.bytes > limits.maxBytes && state.count > 1));
    if (overflow > 0) drops.overflow = (drops.overflow ?? 0) + overflow;
    if (overflow > 0 || quotaEvictions > 0) await meta.put(drops, DROPS);
    await meta.put(state.bytes, BYTES);
    await tx.done;
  }

  return {
    durable: true,
    async push(batch) {
      if (batch.length === 0) return;
      try {
        await write(batch, 0);
      } catch (error) {
        if ((error as DOMException | undefined)?.name !== 'QuotaExceededError') throw error;
        await write(batch, Math.max(1, Math.ceil((await db.count(EVENTS)) / 10)));
      }
    },
    async peek(maxCount, maxBytes) {
      const rows = (await db.getAll(EVENTS, undefined, Math.min(maxCount, 0xffffffff))) as Row[];
      return takeWithin(rows, maxCount, maxBytes);
    },
    async remove(items) {
      if (items.length === 0) return;
      const tx = db.transaction([EVENTS, META], 'readwrite');
      const events = tx.objectStore(EVENTS);
      const meta = tx.objectStore(META);
      const ids = items.map((item) => item.id).sort((a, b) => a - b);
      const first = ids[0] as number;
      const last = ids[ids.length - 1] as number;
      // A batch is a run of consecutive keys: one range delete instead of one request per event.
      const deletes = last - first + 1 === ids.length ? [events.delete(IDBKeyRange.bound(first, last))] : ids.map((id) => events.delete(id));
      const removedBytes = items.reduce((sum, item) => sum + item.bytes, 0);
      const bytes = Number((await meta.get(BYTES)) ?? 0);
      await Promise.all([...deletes, meta.put(Math.max(0, bytes - removedBytes), BYTES)]);
      await tx.done;
    },
    count: () => db.count(EVENTS),
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
