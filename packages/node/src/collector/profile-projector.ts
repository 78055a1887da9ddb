import { createHash } from 'node:crypto';
import {
  createIdentityGraph,
  isIdentifierRejection,
  parseIdentifier,
  type IdentityChange,
  type IdentityEvent,
  type IdentityGraph,
  type IdentityGraphOptions,
  type Logger,
  DEFAULT_RETAIL_FEATURE_SPEC,
  HISTORY_LIMITS,
  OUTCOME_EVENTS,
  applyEvent,
  createFeatureState,
  recordOutcome,
  type InteractionHistory,
  type DecisionLogRecord,
  type InteractionOutcome,
  type SegmentEvent,
} from '@tailor/core';
import type { JournalEntry, ProfileStore, ProjectionWrite } from './profile-store';
import type { EventStore, Profile, ProfileHistoryEntry, Sink, StoredEvent } from './types';

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
  readonly events: EventStore;
  readonly profiles: ProfileStore;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly identity?: ProjectorIdentityOptions;
  readonly now?: () => number;
  /** Called with every identity change (merged, split, demoted, refused, deleted), for logs and metrics. */
  readonly onChange?: (sourceId: string, change: IdentityChange) => void;
  /** Where decisions made on devices (`Decision Logged` events) are logged next to the collector's own. */
  readonly decisionLog?: { append(sourceId: string, record: DecisionLogRecord): void };
}

export type DeleteProfileResult =
  | { readonly status: 'deleted'; readonly profileIds: readonly string[]; readonly identifiers: number; readonly events: number }
  | { readonly status: 'not-found' }
  | { readonly status: 'bad-identifier'; readonly message: string }
  /** The erasure could not be completed (storage error); nothing was committed, retry. */
  | { readonly status: 'failed'; readonly message: string };

/**
 * The profile projector: a sink of the outbox (named `profiles`) that resolves every stored event to a
 * person with the identity graph and keeps each person's profile in the {@link ProfileStore}.
 *
 * - The graph lives in memory, one per source; the identity journal (each event's identifiers) and the
 *   tombstones are stored, and the graph is rebuilt from them when the collector starts.
 * - Each batch commits its profile writes together with the last seq it applied, so an event re-sent by the
 *   outbox after a crash is skipped, never counted twice.
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
const FEATURE_SPEC = DEFAULT_RETAIL_FEATURE_SPEC;

export type ResolvedTarget = { readonly kind: 'profile' | 'identifier'; readonly value: string } | { readonly kind: 'invalid'; readonly message: string };
/** Profile id, or `type:value` identifier (`userId:u1`, `email:Ann@x.com`) → what the profile store is keyed by. */
export type TargetResolver = (target: string) => ResolvedTarget;
const MAX_ANONYMOUS_IDS = 100;
const MAX_HISTORY = 20;
const PROFILE_ID = /^p_[0-9a-f]{20}(~\d+)?$/;

type MutableProfile = {
  -readonly [K in keyof Profile]: Profile[K] extends readonly (infer T)[] ? T[] : Profile[K] extends Readonly<Record<string, infer V>> ? Record<string, V> : Profile[K];
};

export function createProfileProjector(options: ProfileProjectorOptions): ProfileProjector {
  const { events, profiles, logger } = options;
  const now = options.now ?? Date.now;
  const identity = options.identity ?? {};
  const graphs = new Map<string, IdentityGraph>();
  let applied = 0;
  // Public ids are `p_` + 20 hex digits of SHA-256(salt, source, first identifier): the same after a rebuild,
  // but not computable from an email by anyone without the store.
  let saltValue: string | undefined;
  const salt = () => (saltValue ??= profiles.idSalt());
  let started: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

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
        createProfileId: (key) => `p_${createHash('sha256').update(`${salt()}\u0000${sourceId}\u0000${key}`).digest('hex').slice(0, 20)}`,
        clock: { now },
      });
      graphs.set(sourceId, graph);
    }
    return graph;
  }

  /** Forgets the in-memory graphs and rebuilds them from the store (after a failed commit). */
  async function reset(): Promise<void> {
    graphs.clear();
    started = rebuild();
    await started;
  }

  async function rebuild(): Promise<void> {
    const began = now();
    for (const { sourceId, key } of profiles.tombstones()) graphOf(sourceId).restoreTombstone(key);
    let entries = 0;
    for (const entry of profiles.journal()) {
      graphOf(entry.sourceId).addEvent(entry.event);
      entries++;
    }
    applied = profiles.appliedSeq();
    if (entries > 0) logger.info({ journal: entries, sources: graphs.size, appliedSeq: applied, ms: now() - began }, 'identity graphs rebuilt from the journal');
  }

  /** One batch's reads and writes: profiles read once and written once, pending index entries visible to splits. */
  function createBatch() {
    const docs = new Map<string, MutableProfile | null>();
    const pendingIndex = new Map<string, number[]>();
    const write = {
      putJournal: [] as JournalEntry[],
      putEventIndex: [] as Array<{ sourceId: string; key: string; seq: number }>,
      putKeys: new Map<string, { sourceId: string; key: string; profileId: string }>(),
      putAliases: [] as Array<{ sourceId: string; retiredId: string; profileId: string }>,
      removeAliases: [] as Array<{ sourceId: string; retiredId: string }>,
      removeLog: [] as number[],
    };
    const docKey = (sourceId: string, id: string) => `${sourceId}\u0000${id}`;

    function getDoc(sourceId: string, id: string): MutableProfile | undefined {
      const key = docKey(sourceId, id);
      if (docs.has(key)) return docs.get(key) ?? undefined;
      const stored = profiles.getProfile(sourceId, id);
      const doc = stored === undefined || stored.id !== id ? undefined : (structuredClone(stored) as MutableProfile);
      docs.set(key, doc ?? null);
      return doc;
    }

    function docFor(sourceId: string, id: string, at: number): MutableProfile {
      const existing = getDoc(sourceId, id);
      if (existing !== undefined) return existing;
      const doc = emptyProfile(sourceId, id, at);
      docs.set(docKey(sourceId, id), doc);
      return doc;
    }

    function setKeys(sourceId: string, identifiers: readonly string[], profileId: string): void {
      for (const key of identifiers) write.putKeys.set(docKey(sourceId, key), { sourceId, key, profileId });
    }

    function indexEvent(sourceId: string, keys: readonly string[], seq: number): void {
      for (const key of keys) {
        write.putEventIndex.push({ sourceId, key, seq });
        const list = pendingIndex.get(docKey(sourceId, key));
        if (list === undefined) pendingIndex.set(docKey(sourceId, key), [seq]);
        else list.push(seq);
      }
    }

    /** The log entries (still retained) that carried any of `identifiers`, committed or earlier in this batch, in order. */
    function* eventsOf(sourceId: string, identifiers: readonly string[], exceptSeq: number): Generator<StoredEvent> {
      const seqs = new Set<number>();
      for (const key of identifiers) {
        for (const seq of profiles.eventSeqs(sourceId, key)) seqs.add(seq);
        for (const seq of pendingIndex.get(docKey(sourceId, key)) ?? []) seqs.add(seq);
      }
      seqs.delete(exceptSeq);
      for (const seq of [...seqs].sort((a, b) => a - b)) {
        const stored = events.read(seq - 1, 1)[0];
        if (stored !== undefined && stored.seq === seq && stored.sourceId === sourceId) yield stored;
      }
    }

    /** Recounts a profile from the log entries its identifiers carried (committed or earlier in this batch). */
    function recount(sourceId: string, id: string, identifiers: readonly string[], exceptSeq: number): MutableProfile {
      const before = getDoc(sourceId, id);
      const doc = emptyProfile(sourceId, id, now());
      doc.history = before?.history ?? [];
      doc.mergedIds = before?.mergedIds ?? [];
      let counted = 0;
      for (const stored of eventsOf(sourceId, identifiers, exceptSeq)) {
        foldEvent(doc, stored.event, stored.receivedAt);
        counted++;
      }
      if (counted === 0 && before !== undefined) {
        doc.firstSeen = before.firstSeen;
        doc.lastSeen = before.lastSeen;
      }
      doc.identifiers = [...identifiers];
      deriveIds(doc);
      docs.set(docKey(sourceId, id), doc);
      return doc;
    }

    function applyChanges(sourceId: string, graph: IdentityGraph, changes: readonly IdentityChange[], seq: number): void {
      for (const change of changes) {
        options.onChange?.(sourceId, change);
        if (change.type === 'merged') {
          const [survivorId, absorbedId] = change.profileIds;
          const survivor = docFor(sourceId, survivorId, change.at);
          const absorbed = getDoc(sourceId, absorbedId);
          if (absorbed !== undefined) {
            mergeInto(survivor, absorbed);
            // Feature states do not add up (decay, last-seen values): replay the absorbed person's events into the survivor's.
            for (const stored of eventsOf(sourceId, absorbed.identifiers, seq)) foldFeatures(survivor, stored.event, stored.receivedAt);
            docs.set(docKey(sourceId, absorbedId), null);
          }
          for (const retired of [absorbedId, ...(absorbed?.mergedIds ?? [])]) {
            write.putAliases.push({ sourceId, retiredId: retired, profileId: survivorId });
            if (!survivor.mergedIds.includes(retired)) survivor.mergedIds.push(retired);
          }
          const resolved = graph.resolveProfile(survivorId);
          if (resolved !== undefined) {
            survivor.identifiers = [...resolved.identifiers];
            setKeys(sourceId, resolved.identifiers, survivorId);
          }
          deriveIds(survivor);
          pushHistory(survivor, { type: 'merged', at: change.at, profileIds: change.profileIds, rule: change.edge.rule, ...(change.edge.eventId === undefined ? {} : { eventId: change.edge.eventId }) });
        } else if (change.type === 'split') {
          const [keptId] = change.profileIds;
          for (const id of change.profileIds) {
            const resolved = graph.resolveProfile(id);
            if (resolved === undefined) continue;
            if (id !== keptId) write.removeAliases.push({ sourceId, retiredId: id });
            const doc = recount(sourceId, id, resolved.identifiers, seq);
            if (id === keptId) doc.mergedIds = doc.mergedIds.filter((merged) => !change.profileIds.includes(merged));
            else doc.mergedIds = [];
            setKeys(sourceId, resolved.identifiers, id);
            pushHistory(doc, { type: 'split', at: change.at, profileIds: change.profileIds });
          }
        } else if (change.type === 'demoted') {
          for (const id of change.profileIds) {
            const resolved = graph.resolveProfile(id);
            const doc = resolved === undefined ? undefined : getDoc(sourceId, resolved.profileId);
            if (doc !== undefined) pushHistory(doc, { type: 'demoted', at: change.at, profileIds: change.profileIds, identifier: change.identifier });
          }
        }
      }
    }

    function apply(stored: StoredEvent): void {
      const { sourceId, seq, event, receivedAt } = stored;
      if (event.type === 'track' && event.event === DECISION_LOGGED) logDeviceDecision(sourceId, event);
      const graph = graphOf(sourceId);
      const view = identityView(event, receivedAt);
      const result = graph.addEvent(view);
      applyChanges(sourceId, graph, result.changes, seq);
      if (result.status === 'unresolved') {
        // The event belongs to a deleted person: it leaves the log too (it was stored before we knew).
        if (result.reason === 'deleted-person') write.removeLog.push(seq);
        return;
      }
      write.putJournal.push({ sourceId, seq, event: view });
      indexEvent(sourceId, result.identifiers, seq);
      const at = eventTimeOf(event, receivedAt);
      const doc = docFor(sourceId, result.profileId, at);
      for (const key of result.identifiers) if (!doc.identifiers.includes(key)) doc.identifiers.push(key);
      foldEvent(doc, event, receivedAt);
      deriveIds(doc);
      setKeys(sourceId, result.identifiers, result.profileId);
    }

    function finish(appliedSeq: number): ProjectionWrite {
      const putProfiles: Profile[] = [];
      const removeProfiles: Array<{ sourceId: string; id: string }> = [];
      for (const [key, doc] of docs) {
        if (doc === null) {
          const [sourceId, id] = key.split('\u0000') as [string, string];
          removeProfiles.push({ sourceId, id });
        } else putProfiles.push(doc);
      }
      return {
        appliedSeq,
        putProfiles,
        removeProfiles,
        putKeys: [...write.putKeys.values()],
        putAliases: write.putAliases,
        removeAliases: write.removeAliases,
        putJournal: write.putJournal,
        putEventIndex: write.putEventIndex,
        removeLog: write.removeLog,
      };
    }

    return { apply, finish, docs };
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
    started ??= rebuild();
    return started;
  }

  return {
    name: PROFILES_SINK,

    start,

    async send(batch: readonly StoredEvent[]) {
      await start();
      await serial(async () => {
        let fresh = batch.filter((stored) => stored.seq > applied);
        if (fresh.length === 0) return;
        // Profile commits are not flushed (see below): after a power loss the outbox's durable cursor can be ahead
        // of what was applied. Whatever lies between is read back from the log, so nothing is skipped.
        const first = (fresh[0] as StoredEvent).seq;
        if (first > applied + 1) {
          const gap: StoredEvent[] = [];
          for (let after = applied; after < first - 1; ) {
            const chunk = events.read(after, Math.min(1_000, first - 1 - after)).filter((stored) => stored.seq < first);
            if (chunk.length === 0) break;
            gap.push(...chunk);
            after = (chunk[chunk.length - 1] as StoredEvent).seq;
          }
          fresh = [...gap, ...fresh];
        }
        const step = createBatch();
        for (const stored of fresh) step.apply(stored);
        const last = (fresh[fresh.length - 1] as StoredEvent).seq;
        try {
          // Profiles are a projection of the (durable) log: visible at commit, redone from the log if a power loss eats it.
          await profiles.commit(step.finish(last), { durable: false });
        } catch (error) {
          // The graphs already hold this batch: rebuild them from what is stored, so the retry sees its merges again.
          await reset();
          throw error;
        }
        applied = last;
      });
    },

    resolveTarget,

    async deleteProfile(sourceId, target) {
      await start();
      const resolvedTarget = resolveTarget(target);
      if (resolvedTarget.kind === 'invalid') return { status: 'bad-identifier', message: resolvedTarget.message };
      return serial(async (): Promise<DeleteProfileResult> => {
        const graph = graphOf(sourceId);
        // The graph normalizes (and hashes) the raw identifier itself; its key would be normalized twice.
        const person = resolvedTarget.kind === 'profile' ? graph.resolveProfile(resolvedTarget.value) : graph.resolve(target);
        if (person === undefined) return { status: 'not-found' };
        const identifiers = [...person.identifiers];
        const stored = profiles.getProfile(sourceId, person.profileId);
        const deleted = graph.deletePerson(person.profileId, { at: now() });
        if (deleted.status !== 'deleted') return { status: 'not-found' };
        for (const change of deleted.changes) options.onChange?.(sourceId, change);
        const seqs = new Set<number>();
        const removeEventIndex: Array<{ sourceId: string; key: string; seq: number }> = [];
        for (const key of identifiers) {
          for (const seq of profiles.eventSeqs(sourceId, key)) {
            seqs.add(seq);
            removeEventIndex.push({ sourceId, key, seq });
          }
        }
        const at = now();
        const profileIds = [...new Set([...deleted.profileIds, ...(stored?.mergedIds ?? [])])];
        try {
          await profiles.commit({
            removeLog: [...seqs],
            removeJournal: [...seqs].map((seq) => ({ sourceId, seq })),
            removeEventIndex,
            removeKeys: identifiers.map((key) => ({ sourceId, key })),
            removeProfiles: profileIds.map((id) => ({ sourceId, id })),
            removeAliases: profileIds.map((retiredId) => ({ sourceId, retiredId })),
            putTombstones: identifiers.map((key) => ({ sourceId, key, at })),
          });
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

/** The fields the identity graph reads (the default identifier paths), so the journal holds no more than that. */
export function identityView(event: SegmentEvent, receivedAt: number): IdentityEvent {
  const e = event as SegmentEvent & { previousId?: string; traits?: Record<string, unknown>; properties?: Record<string, unknown> };
  const context = (e.context ?? {}) as Record<string, unknown>;
  const traits = isRecord(e.traits) ? e.traits : undefined;
  const properties = isRecord(e.properties) ? e.properties : undefined;
  const contextTraits = isRecord(context.traits) ? context.traits : undefined;
  const device = isRecord(context.device) ? context.device : undefined;
  const view: Record<string, unknown> = { type: e.type, messageId: e.messageId, receivedAt };
  if (e.userId !== undefined && e.userId !== null) view.userId = e.userId;
  if (e.anonymousId !== undefined && e.anonymousId !== null) view.anonymousId = e.anonymousId;
  if (e.previousId !== undefined) view.previousId = e.previousId;
  if (e.timestamp !== undefined) view.timestamp = e.timestamp;
  const pickedTraits = pick(traits, ['email', 'phone', 'loyaltyId', 'loyalty_id', 'posCustomerId', 'pos_customer_id']);
  if (pickedTraits) view.traits = pickedTraits;
  const pickedProperties = pick(properties, ['loyalty_id', 'pos_customer_id']);
  if (pickedProperties) view.properties = pickedProperties;
  const ctx: Record<string, unknown> = {};
  const pickedContextTraits = pick(contextTraits, ['email', 'phone', 'loyaltyId']);
  if (pickedContextTraits) ctx.traits = pickedContextTraits;
  for (const field of ['loyaltyId', 'posCustomerId', 'externalIds'] as const) if (context[field] !== undefined) ctx[field] = context[field];
  if (device?.id !== undefined) ctx.device = { id: device.id };
  if (Object.keys(ctx).length > 0) view.context = ctx;
  return view as IdentityEvent;
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

function pick(from: Record<string, unknown> | undefined, fields: readonly string[]): Record<string, unknown> | undefined {
  if (from === undefined) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const field of fields) {
    if (Object.hasOwn(from, field) && from[field] !== undefined) (out ??= {})[field] = from[field];
  }
  return out;
}

function emptyProfile(sourceId: string, id: string, at: number): MutableProfile {
  return { id, sourceId, identifiers: [], mergedIds: [], anonymousIds: [], traits: {}, firstSeen: at, lastSeen: at, counts: {}, events: {}, history: [] };
}

/** userId and anonymousIds are views of the identifier keys (which are never hashed for those two types). */
function deriveIds(doc: MutableProfile): void {
  const userKey = doc.identifiers.find((key) => key.startsWith('userId:'));
  if (userKey === undefined) delete doc.userId;
  else doc.userId = userKey.slice('userId:'.length);
  const anonymous = doc.identifiers.filter((key) => key.startsWith('anonymousId:')).map((key) => key.slice('anonymousId:'.length));
  doc.anonymousIds = anonymous.slice(-MAX_ANONYMOUS_IDS);
}

/** The feature spec's state: the same numbers the device and training compute from the same events. */
function foldFeatures(doc: MutableProfile, event: SegmentEvent, receivedAt: number): void {
  if (event.type !== 'track') return;
  const state = doc.features !== undefined && doc.features.specVersion === FEATURE_SPEC.version ? doc.features.state : createFeatureState(FEATURE_SPEC);
  doc.features = { specVersion: FEATURE_SPEC.version, state: applyEvent(state, { ...event, receivedAt }, FEATURE_SPEC) };
}

const OUTCOME_BY_EVENT: ReadonlyMap<string, InteractionOutcome['type']> = new Map(Object.entries(OUTCOME_EVENTS).map(([type, name]) => [name, type as InteractionOutcome['type']]));

function foldEvent(doc: MutableProfile, event: SegmentEvent, receivedAt: number): void {
  const at = eventTimeOf(event, receivedAt);
  foldFeatures(doc, event, receivedAt);
  bump(doc.counts, event.type);
  if (event.type === 'track') {
    bump(doc.events, event.event);
    const outcome = OUTCOME_BY_EVENT.get(event.event);
    const properties = isRecord(event.properties) ? event.properties : {};
    if (outcome !== undefined && typeof properties.offer_id === 'string') {
      const channel = typeof event.context?.channel === 'string' ? event.context.channel : undefined;
      doc.interactions = recordOutcome(doc.interactions, { type: outcome, offerId: properties.offer_id, ...(typeof properties.placement_id === 'string' ? { placementId: properties.placement_id } : {}), ...(channel === undefined ? {} : { channel }) }, at);
    }
  }
  // Group traits describe the account, not the person: only identify feeds person traits.
  if (event.type === 'identify' && isRecord(event.traits)) doc.traits = { ...doc.traits, ...event.traits };
  doc.firstSeen = Math.min(doc.firstSeen, at);
  doc.lastSeen = Math.max(doc.lastSeen, at);
}

function mergeInto(target: MutableProfile, source: MutableProfile): void {
  target.interactions = mergeHistories(target.interactions, source.interactions);
  for (const [key, n] of Object.entries(source.counts)) bump(target.counts, key, n);
  for (const [key, n] of Object.entries(source.events)) bump(target.events, key, n);
  // The surviving profile's traits win: they are the ones the person set on the identity we keep.
  target.traits = { ...source.traits, ...target.traits };
  target.firstSeen = Math.min(target.firstSeen, source.firstSeen);
  target.lastSeen = Math.max(target.lastSeen, source.lastSeen);
  target.history = [...source.history, ...target.history].sort((a, b) => a.at - b.at).slice(-MAX_HISTORY);
}

/** Both people's shown/dismissed timestamps, so a merged person keeps every frequency cap they had. */
function mergeHistories(a: InteractionHistory | undefined, b: InteractionHistory | undefined): InteractionHistory | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const entries: Record<string, { impressions: number[]; rejects: number[] }> = {};
  for (const history of [a, b]) {
    for (const [key, entry] of Object.entries(history.entries)) {
      const into = (entries[key] ??= { impressions: [], rejects: [] });
      into.impressions.push(...entry.impressions);
      into.rejects.push(...entry.rejects);
    }
  }
  for (const entry of Object.values(entries)) {
    entry.impressions = entry.impressions.sort((x, y) => x - y).slice(-HISTORY_LIMITS.maxTimestamps);
    entry.rejects = entry.rejects.sort((x, y) => x - y).slice(-HISTORY_LIMITS.maxTimestamps);
  }
  return { version: 1, entries };
}

function pushHistory(doc: MutableProfile, entry: ProfileHistoryEntry): void {
  doc.history.push(entry);
  if (doc.history.length > MAX_HISTORY) doc.history.splice(0, doc.history.length - MAX_HISTORY);
}

/** Event time from the (skew-corrected) ISO timestamp; receipt time when it is missing or unparsable. */
function eventTimeOf(event: SegmentEvent, receivedAt: number): number {
  const parsed = event.timestamp === undefined ? Number.NaN : Date.parse(event.timestamp);
  return Number.isFinite(parsed) ? parsed : receivedAt;
}

/** Increments a counter; defineProperty so a key like `__proto__` is an ordinary counter, not a prototype write. */
function bump(counters: Record<string, number>, key: string, by = 1): void {
  const current = Object.hasOwn(counters, key) ? (counters[key] ?? 0) : 0;
  Object.defineProperty(counters, key, { value: current + by, enumerable: true, writable: true, configurable: true });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
