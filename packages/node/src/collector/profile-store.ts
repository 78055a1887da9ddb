import { TailorError, isTailorError, type IdentityEvent } from '@tailor/core';
import type { DecisionLogStore } from './lmdb-decision-log';
import type { EventStore, Profile } from './types';

/** An event as the identity journal keeps it: only what the identity graph reads. */
export interface JournalEntry {
  readonly sourceId: string;
  readonly seq: number;
  readonly event: IdentityEvent;
}

/** Everything one projection step writes, committed atomically (and durably) by {@link ProfileStore.commit}. */
export interface ProjectionWrite {
  /** The last log seq this write accounts for; events at or below it are never applied again. */
  readonly appliedSeq?: number;
  /**
   * The applied seq the writer started from. When given, the commit fails with a `stale_projection`
   * {@link TailorError} and writes nothing unless the store's applied seq is exactly this: a projector that lost
   * its lease (cluster mode) must never apply a range another one has applied since.
   */
  readonly expectAppliedSeq?: number;
  readonly putProfiles?: readonly Profile[];
  readonly removeProfiles?: ReadonlyArray<{ readonly sourceId: string; readonly id: string }>;
  /** Identifier key → profile id. */
  readonly putKeys?: ReadonlyArray<{ readonly sourceId: string; readonly key: string; readonly profileId: string }>;
  readonly removeKeys?: ReadonlyArray<{ readonly sourceId: string; readonly key: string }>;
  /** A retired (merged-away) profile id → the profile it now resolves to. */
  readonly putAliases?: ReadonlyArray<{ readonly sourceId: string; readonly retiredId: string; readonly profileId: string }>;
  readonly removeAliases?: ReadonlyArray<{ readonly sourceId: string; readonly retiredId: string }>;
  readonly putJournal?: readonly JournalEntry[];
  readonly removeJournal?: ReadonlyArray<{ readonly sourceId: string; readonly seq: number }>;
  /** Which log seqs carried an identifier: how a split recounts and an erasure finds a person's events. */
  readonly putEventIndex?: ReadonlyArray<{ readonly sourceId: string; readonly key: string; readonly seq: number }>;
  readonly removeEventIndex?: ReadonlyArray<{ readonly sourceId: string; readonly key: string; readonly seq: number }>;
  readonly putTombstones?: ReadonlyArray<{ readonly sourceId: string; readonly key: string; readonly at: number }>;
  /** Log entries to delete (a deleted person's events, or events that arrive for one). */
  readonly removeLog?: readonly number[];
}

/**
 * Where profiles, the identity journal and its indexes live. Reads see committed state from any process
 * (`--workers N` processes read what the projector in the primary wrote); only the projector writes.
 * Implementations: LMDB (embedded, sharing the event store's environment); a shared store for cluster mode later.
 */
export interface ProfileStore {
  /** A profile by public id, following merges (a retired id resolves to the profile that absorbed it). */
  getProfile(sourceId: string, profileId: string): Profile | undefined;
  /** The profile that holds an identifier key (`userId:u1`, `email:<hash>`). */
  findProfile(sourceId: string, identifierKey: string): Profile | undefined;
  /** The last log seq projected (0 when none). */
  appliedSeq(): number;
  /** The identity journal in (source, seq) order: what the in-memory graph is rebuilt from. */
  journal(): Iterable<JournalEntry>;
  tombstones(): Iterable<{ readonly sourceId: string; readonly key: string; readonly at: number }>;
  /** Log seqs of the events that carried an identifier, ascending. */
  eventSeqs(sourceId: string, key: string): number[];
  /**
   * Applies a write atomically. Resolves once it is on disk, or, with `durable: false`, once it is committed
   * and visible (a projection of events that stay in the log can be redone after a power loss; an erasure cannot).
   */
  commit(write: ProjectionWrite, options?: { readonly durable?: boolean }): Promise<void>;
  /** Number of live profiles. */
  count(): number;
  /** The salt of public profile ids, created once per store. */
  idSalt(): string;
}

/** An event store with the profile store and decision log that go with it (LMDB keeps all in one environment). */
export interface CollectorStore extends EventStore {
  readonly profiles: ProfileStore;
  readonly decisionLog: DecisionLogStore;
}

/**
 * The error a commit fails with when its `expectAppliedSeq` is not the store's applied seq.
 *
 * @example
 * if (write.expectAppliedSeq !== undefined && write.expectAppliedSeq !== current) throw staleProjection(write.expectAppliedSeq, current);
 */
export function staleProjection(expected: number, actual: number): TailorError {
  return new TailorError('stale_projection', `stale projection: the write starts from applied seq ${expected}, the store has applied up to ${actual}; rebuild from the store and retry`);
}

/** True for the error of {@link staleProjection}. */
export function isStaleProjection(error: unknown): boolean {
  return isTailorError(error) && error.code === 'stale_projection';
}
