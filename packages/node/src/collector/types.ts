import type { FeatureState, InteractionHistory, SegmentEvent } from '@tailor/core';

/**
 * An event as the collector stores it: validated, enriched (receivedAt, corrected timestamp, ip, user agent)
 * and tagged with the source it came from. `seq` is its position in the durable log.
 */
export interface StoredEvent {
  /** Position in the log, from 1, strictly increasing, never reused. */
  readonly seq: number;
  /** The source (tenant) the write key belongs to. Every read and write is scoped by it. */
  readonly sourceId: string;
  /** Epoch ms at which the collector received the request. */
  readonly receivedAt: number;
  readonly event: SegmentEvent;
}

/** What the handler hands to the store: an accepted event for one source. */
export interface IngestedEvent {
  readonly messageId: string;
  readonly event: SegmentEvent;
}

export interface AppendResult {
  /** Sequence numbers given to the stored events, in input order; `null` where the input was a duplicate. */
  readonly seqs: ReadonlyArray<number | null>;
  readonly stored: number;
  readonly duplicates: number;
}

/** A person as the collector knows them so far: the profile the identity and decision layers build on. */
export interface Profile {
  /** Stable public id of the profile within its source (`p_` + 20 hex digits). */
  readonly id: string;
  readonly sourceId: string;
  /** Identifier keys of the person (`userId:u1`, `email:<sha256>`, ...), oldest first. */
  readonly identifiers: readonly string[];
  /** Ids of profiles merged into this one: they resolve here. */
  readonly mergedIds: readonly string[];
  readonly userId?: string;
  /** The most recent anonymous ids (cookies, devices), at most 100. */
  readonly anonymousIds: readonly string[];
  readonly traits: Readonly<Record<string, unknown>>;
  /** Epoch ms of the first and last event (event time, not receipt time). */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Events by call type (`track`, `page`, …) and track events by name. */
  readonly counts: Readonly<Record<string, number>>;
  readonly events: Readonly<Record<string, number>>;
  /** The last identity changes of this profile (merged, split, demoted), newest last, at most 20. */
  readonly history: readonly ProfileHistoryEntry[];
  /** Offers shown and dismissed (from `Offer Viewed` / `Offer Dismissed` events): what contact policies count. */
  readonly interactions?: InteractionHistory;
  /** The feature spec's incremental state (read it with `readFeatures` at a time), tagged with the spec version. */
  readonly features?: { readonly specVersion: string; readonly state: FeatureState };
}

export interface ProfileHistoryEntry {
  readonly type: 'merged' | 'split' | 'demoted';
  readonly at: number;
  readonly profileIds: readonly string[];
  /** The rule and event behind a merge. */
  readonly rule?: string;
  readonly eventId?: string;
  readonly identifier?: string;
}

export interface StoreStats {
  readonly events: number;
  readonly lastSeq: number;
  readonly firstSeq: number;
  /** Bytes used on disk by the store's files. */
  readonly bytes: number;
  readonly dedupEntries: number;
  readonly profiles: number;
}

export interface RetentionPolicy {
  /** Delete log entries older than this (receipt time), once every sink has forwarded them. */
  readonly maxAgeMs?: number;
  /** Keep at most this many log entries (oldest go first), once every sink has forwarded them. */
  readonly maxEvents?: number;
}

/**
 * The collector's durable store: an append-only event log with group commit, a dedup index and a
 * profile store. Implementations: LMDB (embedded default); PostgreSQL later, for cluster mode.
 */
export interface EventStore {
  /**
   * Appends one request's events atomically and durably: the promise resolves only after the
   * transaction holding them is committed to disk (fsync), so the caller may then answer 2xx.
   * An event whose (sourceId, messageId) was stored within the dedup window is skipped, also when
   * the duplicate is in the same call or in a concurrent one. Profiles are projected from the log afterwards.
   */
  append(sourceId: string, events: readonly IngestedEvent[], receivedAt: number): Promise<AppendResult>;
  /** Up to `limit` events with seq > afterSeq, in order. */
  read(afterSeq: number, limit: number): StoredEvent[];
  /** Every stored event in order, optionally only those received at or after `sinceMs` or of one source. */
  scan(options?: { sinceMs?: number; sourceId?: string }): Iterable<StoredEvent>;
  lastSeq(): number;
  /** A sink's position: the last seq it has durably forwarded (0 when none). */
  getCursor(name: string): number;
  setCursor(name: string, seq: number): Promise<void>;
  /** Deletes log entries durably (erasure of a person); returns how many existed. */
  removeEvents(seqs: readonly number[]): Promise<number>;
  stats(): StoreStats;
  /**
   * Applies retention and expires dedup entries older than the dedup window. Never deletes an event
   * that a cursor in `keepAfter` has not passed.
   */
  compact(now: number, retention: RetentionPolicy, keepAfter: readonly string[]): Promise<{ removedEvents: number; removedDedup: number }>;
  close(): Promise<void>;
}

/** Somewhere the log is forwarded to (NATS JetStream, a webhook). */
export interface Sink {
  readonly name: string;
  /** Resolves once the sink has durably accepted every event (JetStream ack, webhook 2xx); rejects otherwise. */
  send(events: readonly StoredEvent[]): Promise<void>;
  close(): Promise<void>;
}
