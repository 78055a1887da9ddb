import type { CollectorStore, JournalEntry, ProfileStore, ProjectionWrite } from '../collector/profile-store';
import type { AppendResult, EventStore, IngestedEvent, Profile, RetentionPolicy, StoredEvent, StoreStats } from '../collector/types';

/*
 * Why async variants: `EventStore` and `ProfileStore` read synchronously because LMDB reads are memory-mapped
 * and cost microseconds. A networked store (PostgreSQL, Redis) can only answer a read after a round trip, and
 * blocking the event loop for it (a worker plus Atomics.wait) would stall every request of the collector.
 * So the shared stores implement these interfaces, identical except that every read returns a promise and
 * every iteration is async; the embedded stores fit them through `toAsyncEventStore` / `toAsyncProfileStore`.
 */

/** {@link EventStore} with asynchronous reads: what a networked log (PostgreSQL) can implement. */
export interface AsyncEventStore {
  append(sourceId: string, events: readonly IngestedEvent[], receivedAt: number): Promise<AppendResult>;
  read(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  scan(options?: { sinceMs?: number; sourceId?: string }): AsyncIterable<StoredEvent>;
  lastSeq(): Promise<number>;
  getCursor(name: string): Promise<number>;
  setCursor(name: string, seq: number): Promise<void>;
  removeEvents(seqs: readonly number[]): Promise<number>;
  stats(): Promise<StoreStats>;
  compact(now: number, retention: RetentionPolicy, keepAfter: readonly string[]): Promise<{ removedEvents: number; removedDedup: number }>;
  close(): Promise<void>;
}

/** {@link ProfileStore} with asynchronous reads: what a shared profile store (PostgreSQL, Redis cache) can implement. */
export interface AsyncProfileStore {
  getProfile(sourceId: string, profileId: string): Promise<Profile | undefined>;
  findProfile(sourceId: string, identifierKey: string): Promise<Profile | undefined>;
  appliedSeq(): Promise<number>;
  journal(): AsyncIterable<JournalEntry>;
  tombstones(): AsyncIterable<{ readonly sourceId: string; readonly key: string; readonly at: number }>;
  eventSeqs(sourceId: string, key: string): Promise<number[]>;
  /**
   * Applies a write atomically, as {@link ProfileStore.commit}: `durable: false` may resolve before the write is
   * flushed (a store that always flushes ignores it). Fails with `stale_projection`, writing nothing, when
   * `write.expectAppliedSeq` is given and is not the store's applied seq.
   */
  commit(write: ProjectionWrite, options?: { readonly durable?: boolean }): Promise<void>;
  count(): Promise<number>;
  idSalt(): Promise<string>;
}

/** An async event store with its profile store (the decision log is not part of the shared store yet). */
export interface AsyncCollectorStore extends AsyncEventStore {
  readonly profiles: AsyncProfileStore;
}

/** Runs a synchronous call as a promise, so a throw becomes a rejection as it would in a networked store. */
function later<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

async function* lazily<T>(open: () => Iterable<T>): AsyncGenerator<T> {
  yield* open();
}

/**
 * Views a synchronous {@link EventStore} (LMDB, memory) as an {@link AsyncEventStore}, so one contract suite
 * and one caller can serve both.
 *
 * @example
 * const log = toAsyncEventStore(createLmdbStore({ dataDir }));
 * await log.read(0, 100);
 */
export function toAsyncEventStore(store: EventStore): AsyncEventStore {
  return {
    append: (sourceId, events, receivedAt) => store.append(sourceId, events, receivedAt),
    read: (afterSeq, limit) => later(() => store.read(afterSeq, limit)),
    // The store is asked at the first `next()`, as a networked store would be, so a closed one rejects there.
    scan: (options) => lazily(() => store.scan(options)),
    lastSeq: () => later(() => store.lastSeq()),
    getCursor: (name) => later(() => store.getCursor(name)),
    setCursor: (name, seq) => store.setCursor(name, seq),
    removeEvents: (seqs) => store.removeEvents(seqs),
    stats: () => later(() => store.stats()),
    compact: (now, retention, keepAfter) => store.compact(now, retention, keepAfter),
    close: () => store.close(),
  };
}

/** Views a synchronous {@link ProfileStore} (LMDB) as an {@link AsyncProfileStore}. */
export function toAsyncProfileStore(store: ProfileStore): AsyncProfileStore {
  return {
    getProfile: (sourceId, profileId) => later(() => store.getProfile(sourceId, profileId)),
    findProfile: (sourceId, key) => later(() => store.findProfile(sourceId, key)),
    appliedSeq: () => later(() => store.appliedSeq()),
    journal: () => lazily(() => store.journal()),
    tombstones: () => lazily(() => store.tombstones()),
    eventSeqs: (sourceId, key) => later(() => store.eventSeqs(sourceId, key)),
    commit: (write, options) => store.commit(write, options),
    count: () => later(() => store.count()),
    idSalt: () => later(() => store.idSalt()),
  };
}

/** Views a synchronous {@link CollectorStore} (LMDB) as an {@link AsyncCollectorStore}. */
export function toAsyncCollectorStore(store: CollectorStore): AsyncCollectorStore {
  return { ...toAsyncEventStore(store), profiles: toAsyncProfileStore(store.profiles) };
}
