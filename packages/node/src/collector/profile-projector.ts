import { createHash } from 'node:crypto';
import {
  createIdentityGraph,
  isIdentifierRejection,
  parseIdentifier,
  type IdentityChange,
  type IdentityGraph,
  type IdentityGraphOptions,
  type Logger,
  type DecisionLogRecord,
  type SegmentEvent,
} from '@tailor/core';
import type { AsyncEventStore, AsyncProfileStore } from '../storage/async-store';
import { isStaleProjection, type ProjectionWrite } from './profile-store';
import { createProjectionBatch, isRecord } from './projection-batch';
import type { Profile, Sink, StoredEvent } from './types';

export { identityView } from './projection-batch';

/** Identity settings of a collector (the config's `identity` section). */
export interface ProjectorIdentityOptions {
  /** Store email and phone keys as SHA-256 digests (default true): no plain contact data in keys or tombstones. */
  readonly hashIdentifiers?: boolean;
  readonly defaultCountryCode?: string;
  readonly aliasPreviousIdType?: 'anonymousId' | 'userId';
  readonly maxClusterSize?: number;
}

function graphOptions(identity: ProjectorIdentityOptions): IdentityGraphOptions {
  return {
    ...(identity.defaultCountryCode === undefined ? {} : { normalize: { defaultCountryCode: identity.defaultCountryCode } }),
    ...(identity.aliasPreviousIdType === undefined ? {} : { events: { aliasPreviousIdType: identity.aliasPreviousIdType } }),
    ...(identity.maxClusterSize === undefined ? {} : { guards: { maxClusterSize: identity.maxClusterSize } }),
    ...(identity.hashIdentifiers === false ? {} : { hash: sha256Hex }),
  };
}

export interface ProfileProjectorOptions {
  /** The log: read back for gaps, recounts and merges. */
  readonly events: Pick<AsyncEventStore, 'read'>;
  /** Embedded: `toAsyncProfileStore(store.profiles)`; cluster mode: the shared (PostgreSQL) store. */
  readonly profiles: AsyncProfileStore;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly identity?: ProjectorIdentityOptions;
  readonly now?: () => number;
  /** Called with every identity change (merged, split, demoted, refused, deleted), for logs and metrics. */
  readonly onChange?: (sourceId: string, change: IdentityChange) => void;
  /** Where decisions made on devices (`Decision Logged` events) are logged next to the collector's own. */
  readonly decisionLog?: { append(sourceId: string, record: DecisionLogRecord): void };
  /** Profiles kept in memory after their commit, for the next batches of the same shoppers. Default 10,000. */
  readonly docCacheSize?: number;
}

const DEFAULT_DOC_CACHE = 10_000;

export type DeleteProfileResult =
  | { readonly status: 'deleted'; readonly profileIds: readonly string[]; readonly identifiers: number; readonly events: number }
  | { readonly status: 'not-found' }
  | { readonly status: 'bad-identifier'; readonly message: string }
  /** The erasure could not be completed (storage error); nothing was committed, retry. */
  | { readonly status: 'failed'; readonly message: string };

/**
 * The profile projector: a sink of the outbox (named `profiles`) that resolves every stored event to a
 * person with the identity graph and keeps each person's profile in the {@link AsyncProfileStore} (LMDB through
 * `toAsyncProfileStore`, or the shared PostgreSQL store).
 *
 * - The graph lives in memory, one per source; the identity journal (each event's identifiers) and the
 *   tombstones are stored, and the graph is rebuilt from them when the collector starts.
 * - Each batch commits its profile writes together with the last seq it applied, so an event re-sent by the
 *   outbox after a crash is skipped, never counted twice; and with the seq it started from, so the store refuses
 *   it (`stale_projection`) if another projector applied past that seq meanwhile (cluster mode, a lost lease).
 * - A merge folds the absorbed profile into the survivor; a split (unmerge, demotion) recounts each part from
 *   the log entries its identifiers carried (events past retention are no longer counted).
 * - {@link ProfileProjector.deleteProfile} erases a person: graph, profile, keys, journal and log entries, and
 *   leaves tombstones so a replayed event cannot bring them back (it is dropped from the log when projected).
 */
export interface ProfileProjector extends Sink {
  /** Rebuilds the graphs from the journal; `send` waits for it. */
  start(): Promise<void>;
  resolveTarget: TargetResolver;
  deleteProfile(sourceId: string, target: string): Promise<DeleteProfileResult>;
  /** Graph statistics per source (for metrics). */
  stats(): ReadonlyArray<{ readonly sourceId: string; readonly profiles: number; readonly identifiers: number; readonly demoted: number; readonly refused: number }>;
}

export const PROFILES_SINK = 'profiles';
/** The event a device sends with the log record of a decision it made (see `@tailor/browser/decisions`). */
export const DECISION_LOGGED = 'Decision Logged';

export type ResolvedTarget = { readonly kind: 'profile' | 'identifier'; readonly value: string } | { readonly kind: 'invalid'; readonly message: string };
/** Profile id, or `type:value` identifier (`userId:u1`, `email:Ann@x.com`) → what the profile store is keyed by. */
export type TargetResolver = (target: string) => ResolvedTarget;
const PROFILE_ID = /^p_[0-9a-f]{20}(~\d+)?$/;

export function createProfileProjector(options: ProfileProjectorOptions): ProfileProjector {
  const { events, profiles, logger } = options;
  const now = options.now ?? Date.now;
  const identity = options.identity ?? {};
  const graphs = new Map<string, IdentityGraph>();
  let applied = 0;
  // Public ids are `p_` + 20 hex digits of SHA-256(salt, source, first identifier): the same after a rebuild,
  // but not computable from an email by anyone without the store.
  // Read (async) at the start of every rebuild, before any graph can create an id.
  let saltValue: string | undefined;
  const salt = () => {
    if (saltValue === undefined) throw new Error('[tailor] profile projector: a graph made a profile id before start() read the id salt');
    return saltValue;
  };
  let started: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  /**
   * Profiles as last committed by this projector, most recently used last: the next batch of a shopper reads
   * them here instead of from the store (a round trip on PostgreSQL). Only a projector writes profiles, and
   * one that fails or loses its lease (a stale commit) clears this with its graphs, so a copy here is current.
   */
  const committedDocs = new Map<string, Profile>();
  const docCacheSize = options.docCacheSize ?? DEFAULT_DOC_CACHE;
  /** Profile ids the graphs made during the batch being applied: new people, whose profiles no store holds. */
  const madeInBatch = new Set<string>();
  let applying = false;
  const docKey = (sourceId: string, id: string) => `${sourceId}\u0000${id}`;

  function remember(write: ProjectionWrite): void {
    for (const { sourceId, id } of write.removeProfiles ?? []) committedDocs.delete(docKey(sourceId, id));
    for (const profile of write.putProfiles ?? []) {
      const key = docKey(profile.sourceId, profile.id);
      committedDocs.delete(key);
      committedDocs.set(key, profile);
    }
    for (const key of committedDocs.keys()) {
      if (committedDocs.size <= docCacheSize) break;
      committedDocs.delete(key);
    }
  }

  /** Runs projection steps one at a time: a delete never interleaves with a batch. */
  function serial<T>(step: () => Promise<T>): Promise<T> {
    const next = queue.then(step, step);
    queue = next.catch(() => undefined);
    return next;
  }

  function graphOf(sourceId: string): IdentityGraph {
    let graph = graphs.get(sourceId);
    if (graph === undefined) {
      graph = createIdentityGraph({
        ...graphOptions(identity),
        createProfileId: (key) => {
          const id = `p_${createHash('sha256').update(`${salt()}\u0000${sourceId}\u0000${key}`).digest('hex').slice(0, 20)}`;
          if (applying) madeInBatch.add(docKey(sourceId, id));
          return id;
        },
        clock: { now },
      });
      graphs.set(sourceId, graph);
    }
    return graph;
  }

  /**
   * Rebuilds the graphs from the store. A failed rebuild (a networked store that is down) leaves no graphs and
   * no `started`, so the next `start()` (the outbox's next send) tries again instead of failing for good.
   */
  function rebuildOnce(): Promise<void> {
    const attempt: Promise<void> = rebuild().catch((error: unknown) => {
      if (started === attempt) started = undefined;
      graphs.clear();
      throw error;
    });
    started = attempt;
    return attempt;
  }

  /** Forgets the in-memory graphs and rebuilds them from the store (after a failed step). */
  async function reset(): Promise<void> {
    graphs.clear();
    committedDocs.clear();
    await rebuildOnce().catch((error: unknown) => logger.error({ err: error }, 'rebuilding the identity graphs failed; the next batch tries again'));
  }

  async function rebuild(): Promise<void> {
    const began = now();
    saltValue ??= await profiles.idSalt();
    // Read before the journal: should another projector commit during the replay, this seq is the older one, and
    // the next commit (expecting it) is refused and rebuilds again rather than building on a graph missing events.
    const appliedSeq = await profiles.appliedSeq();
    for await (const { sourceId, key } of profiles.tombstones()) graphOf(sourceId).restoreTombstone(key);
    let entries = 0;
    for await (const entry of profiles.journal()) {
      graphOf(entry.sourceId).addEvent(entry.event);
      entries++;
    }
    applied = appliedSeq;
    if (entries > 0) logger.info({ journal: entries, sources: graphs.size, appliedSeq: applied, ms: now() - began }, 'identity graphs rebuilt from the journal');
  }

  const resolveTarget = createTargetResolver(identity);

  function logDeviceDecision(sourceId: string, event: SegmentEvent): void {
    const record = isRecord(event.properties) ? event.properties.record : undefined;
    if (!isRecord(record) || record.type !== 'decision' || typeof record.decisionId !== 'string' || !Array.isArray(record.placements)) return;
    try {
      options.decisionLog?.append(sourceId, { ...(record as unknown as DecisionLogRecord), origin: 'device' } as DecisionLogRecord);
    } catch (error) {
      logger.warn({ err: error, source: sourceId }, 'could not log a device decision');
    }
  }

  function start(): Promise<void> {
    return started ?? rebuildOnce();
  }

  return {
    name: PROFILES_SINK,

    start,

    async send(batch: readonly StoredEvent[]) {
      await serial(async () => {
        // Inside the step: a rebuild that failed (store down) is retried here, never run beside a step.
        await start();
        const from = applied;
        let fresh = batch.filter((stored) => stored.seq > from);
        if (fresh.length === 0) return;
        // Profile commits are not flushed (see below): after a power loss the outbox's durable cursor can be ahead
        // of what was applied. Whatever lies between is read back from the log, so nothing is skipped.
        const first = (fresh[0] as StoredEvent).seq;
        if (first > from + 1) {
          const gap: StoredEvent[] = [];
          for (let after = from; after < first - 1; ) {
            const chunk = (await events.read(after, Math.min(1_000, first - 1 - after))).filter((stored) => stored.seq < first);
            if (chunk.length === 0) break;
            gap.push(...chunk);
            after = (chunk[chunk.length - 1] as StoredEvent).seq;
          }
          fresh = [...gap, ...fresh];
        }
        const last = (fresh[fresh.length - 1] as StoredEvent).seq;
        try {
          const step = createProjectionBatch({
            events,
            profiles,
            graphOf,
            now,
            onChange: options.onChange,
            cached: (sourceId, id) => committedDocs.get(docKey(sourceId, id)),
            isNew: (sourceId, id) => madeInBatch.has(docKey(sourceId, id)),
          });
          madeInBatch.clear();
          applying = true;
          try {
            for (const stored of fresh) {
              if (stored.event.type === 'track' && stored.event.event === DECISION_LOGGED) logDeviceDecision(stored.sourceId, stored.event);
              const pending = step.apply(stored);
              if (pending !== undefined) await pending;
            }
          } finally {
            applying = false;
          }
          // Profiles are a projection of the (durable) log: visible at commit, redone from the log if a power loss eats it.
          // `from` makes the store refuse the write if another projector (cluster mode) applied past it meanwhile.
          const write = step.finish(last, from);
          await profiles.commit(write, { durable: false });
          remember(write);
        } catch (error) {
          if (isStaleProjection(error)) logger.warn({ from, last }, 'another projector applied these events first; rebuilding from the store');
          // The graphs already hold (part of) this batch: rebuild them from what is stored, so the retry sees its merges again.
          await reset();
          throw error;
        }
        applied = last;
      });
    },

    resolveTarget,

    async deleteProfile(sourceId, target) {
      const resolvedTarget = resolveTarget(target);
      if (resolvedTarget.kind === 'invalid') return { status: 'bad-identifier', message: resolvedTarget.message };
      return serial(async (): Promise<DeleteProfileResult> => {
        try {
          await start();
        } catch (error) {
          return { status: 'failed', message: (error as Error).message };
        }
        const graph = graphOf(sourceId);
        // The graph normalizes (and hashes) the raw identifier itself; its key would be normalized twice.
        const person = resolvedTarget.kind === 'profile' ? graph.resolveProfile(resolvedTarget.value) : graph.resolve(target);
        if (person === undefined) return { status: 'not-found' };
        const identifiers = [...person.identifiers];
        // Everything is read before the graph forgets the person: a failed read leaves the graph as it was.
        let stored: Awaited<ReturnType<AsyncProfileStore['getProfile']>>;
        let indexed: number[][];
        try {
          [stored, indexed] = await Promise.all([profiles.getProfile(sourceId, person.profileId), Promise.all(identifiers.map((key) => profiles.eventSeqs(sourceId, key)))]);
        } catch (error) {
          return { status: 'failed', message: (error as Error).message };
        }
        const deleted = graph.deletePerson(person.profileId, { at: now() });
        if (deleted.status !== 'deleted') return { status: 'not-found' };
        for (const change of deleted.changes) options.onChange?.(sourceId, change);
        const seqs = new Set<number>();
        const removeEventIndex: Array<{ sourceId: string; key: string; seq: number }> = [];
        for (const [i, key] of identifiers.entries()) {
          for (const seq of indexed[i] ?? []) {
            seqs.add(seq);
            removeEventIndex.push({ sourceId, key, seq });
          }
        }
        const at = now();
        const profileIds = [...new Set([...deleted.profileIds, ...(stored?.mergedIds ?? [])])];
        const erasure: ProjectionWrite = {
          removeLog: [...seqs],
          removeJournal: [...seqs].map((seq) => ({ sourceId, seq })),
          removeEventIndex,
          removeKeys: identifiers.map((key) => ({ sourceId, key })),
          removeProfiles: profileIds.map((id) => ({ sourceId, id })),
          removeAliases: profileIds.map((retiredId) => ({ sourceId, retiredId })),
          putTombstones: identifiers.map((key) => ({ sourceId, key, at })),
        };
        try {
          await profiles.commit(erasure);
          remember(erasure);
        } catch (error) {
          await reset();
          return { status: 'failed', message: (error as Error).message };
        }
        logger.info({ source: sourceId, profileIds, identifiers: identifiers.length, events: seqs.size }, 'deleted a person');
        return { status: 'deleted', profileIds, identifiers: identifiers.length, events: seqs.size };
      });
    },

    stats() {
      return [...graphs].map(([sourceId, graph]) => {
        const stats = graph.stats();
        return { sourceId, profiles: stats.profiles, identifiers: stats.nodes, demoted: stats.demoted, refused: stats.refused };
      });
    },

    async close() {
      await queue;
    },
  };
}

/**
 * Reads the `:id` of `/v1/profiles/:id`: a public profile id, or an identifier normalized (and hashed) exactly
 * as the projector's graph keys it. Needs no graph state, so any process can resolve reads.
 */
export function createTargetResolver(identity: ProjectorIdentityOptions = {}): TargetResolver {
  const keys = createIdentityGraph(graphOptions(identity));
  return (target) => {
    if (PROFILE_ID.test(target)) return { kind: 'profile', value: target };
    const parsed = parseIdentifier(target);
    if (parsed === undefined) {
      return { kind: 'invalid', message: `"${target}" is neither a profile id (p_…) nor an identifier "type:value" (userId, anonymousId, email, phone, loyaltyId, posCustomerId, deviceId, custom:<name>)` };
    }
    const key = keys.keyOf(parsed);
    if (isIdentifierRejection(key)) return { kind: 'invalid', message: `the ${parsed.type} "${parsed.value}" cannot be used: ${key.rejected}${key.detail === undefined ? '' : ` (${key.detail})`}` };
    return { kind: 'identifier', value: key };
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
