import {
  DEFAULT_RETAIL_FEATURE_SPEC,
  HISTORY_LIMITS,
  OUTCOME_EVENTS,
  applyEvent,
  createFeatureState,
  recordOutcome,
  type AddEventResult,
  type IdentityChange,
  type IdentityEvent,
  type IdentityGraph,
  type InteractionHistory,
  type InteractionOutcome,
  type SegmentEvent,
} from '@tailor/core';
import type { AsyncEventStore, AsyncProfileStore } from '../storage/async-store';
import type { JournalEntry, ProjectionWrite } from './profile-store';
import type { Profile, ProfileHistoryEntry, StoredEvent } from './types';

export interface ProjectionBatchOptions {
  /** The log, read back for recounts (splits) and feature replays (merges). */
  readonly events: Pick<AsyncEventStore, 'read'>;
  readonly profiles: Pick<AsyncProfileStore, 'getProfile' | 'eventSeqs'>;
  /** The in-memory identity graph of a source. */
  readonly graphOf: (sourceId: string) => IdentityGraph;
  readonly now: () => number;
  readonly onChange?: ((sourceId: string, change: IdentityChange) => void) | undefined;
  /** The committed profile under exactly this id, if the projector still holds it from an earlier batch. */
  readonly cached?: (sourceId: string, id: string) => Profile | undefined;
  /** True for a profile id the graph made during this batch: the store cannot hold it, so it is not read. */
  readonly isNew?: (sourceId: string, id: string) => boolean;
}

/** One projection step: events applied in order, then one {@link ProjectionWrite} for the store. */
export interface ProjectionBatch {
  /**
   * Applies an event to the graph and the batch's profiles. Returns a promise only when the event needs the
   * store (a profile not yet in the batch, a merge or split); await it before applying the next event.
   */
  apply(stored: StoredEvent): Promise<void> | undefined;
  /** The write of everything applied, accounting for the log up to `appliedSeq`, from `expectAppliedSeq`. */
  finish(appliedSeq: number, expectAppliedSeq: number): ProjectionWrite;
}

const FEATURE_SPEC = DEFAULT_RETAIL_FEATURE_SPEC;
const MAX_ANONYMOUS_IDS = 100;
const MAX_HISTORY = 20;
/** Most log entries one read of a batch asks for. */
const MAX_RUN = 1_000;

type MutableProfile = {
  -readonly [K in keyof Profile]: Profile[K] extends readonly (infer T)[] ? T[] : Profile[K] extends Readonly<Record<string, infer V>> ? Record<string, V> : Profile[K];
};

/**
 * One batch's reads and writes: profiles read once and written once, pending index entries visible to splits.
 * Reads go to the (possibly networked) store only for what the batch does not hold yet, so an event for a
 * person already in the batch costs no round trip and no await.
 */
export function createProjectionBatch(options: ProjectionBatchOptions): ProjectionBatch {
  const { events, profiles, graphOf, now } = options;
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

  async function loadDoc(sourceId: string, id: string): Promise<MutableProfile | undefined> {
    const stored = await profiles.getProfile(sourceId, id);
    // getProfile follows merges: a retired id answers with its survivor, which is not this doc.
    const doc = stored === undefined || stored.id !== id ? undefined : (structuredClone(stored) as MutableProfile);
    docs.set(docKey(sourceId, id), doc ?? null);
    return doc;
  }

  /**
   * The batch's doc (no store read once it has one, or knows there is none), else the projector's copy of the
   * committed profile, else nothing for an id made in this batch, else the stored profile.
   */
  function getDoc(sourceId: string, id: string): MutableProfile | undefined | Promise<MutableProfile | undefined> {
    const key = docKey(sourceId, id);
    if (docs.has(key)) return docs.get(key) ?? undefined;
    const committed = options.cached?.(sourceId, id);
    if (committed !== undefined) {
      const doc = structuredClone(committed) as MutableProfile;
      docs.set(key, doc);
      return doc;
    }
    if (options.isNew?.(sourceId, id) === true) {
      docs.set(key, null);
      return undefined;
    }
    return loadDoc(sourceId, id);
  }

  function created(sourceId: string, id: string, at: number): MutableProfile {
    const doc = emptyProfile(sourceId, id, at);
    docs.set(docKey(sourceId, id), doc);
    return doc;
  }

  function docFor(sourceId: string, id: string, at: number): MutableProfile | Promise<MutableProfile> {
    const known = getDoc(sourceId, id);
    if (known instanceof Promise) return known.then((doc) => doc ?? created(sourceId, id, at));
    return known ?? created(sourceId, id, at);
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
  async function eventsOf(sourceId: string, identifiers: readonly string[], exceptSeq: number): Promise<StoredEvent[]> {
    const seqs = new Set<number>();
    const committed = await Promise.all(identifiers.map((key) => profiles.eventSeqs(sourceId, key)));
    for (const [i, key] of identifiers.entries()) {
      for (const seq of committed[i] ?? []) seqs.add(seq);
      for (const seq of pendingIndex.get(docKey(sourceId, key)) ?? []) seqs.add(seq);
    }
    seqs.delete(exceptSeq);
    // One read per run of consecutive seqs, all issued together: a networked log answers in a round trip or
    // two instead of one per event. A run may come back with later seqs (earlier ones expired): those are dropped.
    const runs: Array<{ first: number; last: number }> = [];
    for (const seq of [...seqs].sort((a, b) => a - b)) {
      const run = runs[runs.length - 1];
      if (run !== undefined && seq === run.last + 1 && seq - run.first < MAX_RUN) run.last = seq;
      else runs.push({ first: seq, last: seq });
    }
    const read = await Promise.all(
      runs.map(async ({ first, last }) => (await events.read(first - 1, last - first + 1)).filter((stored) => stored.seq <= last && seqs.has(stored.seq) && stored.sourceId === sourceId)),
    );
    return read.flat();
  }

  /** Recounts a profile from the log entries its identifiers carried (committed or earlier in this batch). */
  async function recount(sourceId: string, id: string, identifiers: readonly string[], exceptSeq: number): Promise<MutableProfile> {
    const before = await getDoc(sourceId, id);
    const doc = emptyProfile(sourceId, id, now());
    doc.history = before?.history ?? [];
    doc.mergedIds = before?.mergedIds ?? [];
    let counted = 0;
    for (const stored of await eventsOf(sourceId, identifiers, exceptSeq)) {
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

  async function applyChanges(sourceId: string, graph: IdentityGraph, changes: readonly IdentityChange[], seq: number): Promise<void> {
    for (const change of changes) {
      options.onChange?.(sourceId, change);
      if (change.type === 'merged') {
        const [survivorId, absorbedId] = change.profileIds;
        const survivor = await docFor(sourceId, survivorId, change.at);
        const absorbed = await getDoc(sourceId, absorbedId);
        if (absorbed !== undefined) {
          mergeInto(survivor, absorbed);
          // Feature states do not add up (decay, last-seen values): replay the absorbed person's events into the survivor's.
          for (const stored of await eventsOf(sourceId, absorbed.identifiers, seq)) foldFeatures(survivor, stored.event, stored.receivedAt);
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
          const doc = await recount(sourceId, id, resolved.identifiers, seq);
          if (id === keptId) doc.mergedIds = doc.mergedIds.filter((merged) => !change.profileIds.includes(merged));
          else doc.mergedIds = [];
          setKeys(sourceId, resolved.identifiers, id);
          pushHistory(doc, { type: 'split', at: change.at, profileIds: change.profileIds });
        }
      } else if (change.type === 'demoted') {
        for (const id of change.profileIds) {
          const resolved = graph.resolveProfile(id);
          const doc = resolved === undefined ? undefined : await getDoc(sourceId, resolved.profileId);
          if (doc !== undefined) pushHistory(doc, { type: 'demoted', at: change.at, profileIds: change.profileIds, identifier: change.identifier });
        }
      }
    }
  }

  function apply(stored: StoredEvent): Promise<void> | undefined {
    const graph = graphOf(stored.sourceId);
    const view = identityView(stored.event, stored.receivedAt);
    const result = graph.addEvent(view);
    // Most events change no identities: those take the synchronous path.
    if (result.changes.length === 0) return place(stored, view, result);
    return applyChanges(stored.sourceId, graph, result.changes, stored.seq).then(() => place(stored, view, result));
  }

  /** Journals and indexes a resolved event and folds it into its person's profile. */
  function place(stored: StoredEvent, view: IdentityEvent, result: AddEventResult): Promise<void> | undefined {
    const { sourceId, seq, event, receivedAt } = stored;
    if (result.status === 'unresolved') {
      // The event belongs to a deleted person: it leaves the log too (it was stored before we knew).
      if (result.reason === 'deleted-person') write.removeLog.push(seq);
      return undefined;
    }
    write.putJournal.push({ sourceId, seq, event: view });
    indexEvent(sourceId, result.identifiers, seq);
    const fold = (doc: MutableProfile) => {
      for (const key of result.identifiers) if (!doc.identifiers.includes(key)) doc.identifiers.push(key);
      foldEvent(doc, event, receivedAt);
      deriveIds(doc);
      setKeys(sourceId, result.identifiers, result.profileId);
    };
    const doc = docFor(sourceId, result.profileId, eventTimeOf(event, receivedAt));
    if (doc instanceof Promise) return doc.then(fold);
    fold(doc);
    return undefined;
  }

  function finish(appliedSeq: number, expectAppliedSeq: number): ProjectionWrite {
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
      expectAppliedSeq,
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

  return { apply, finish };
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

/** What a tracked `Offer Viewed|Clicked|Converted|Dismissed` event means to contact policies, and when it happened. */
export function outcomeOf(event: SegmentEvent, receivedAt: number): { readonly outcome: InteractionOutcome; readonly at: number } | undefined {
  if (event.type !== 'track') return undefined;
  const type = OUTCOME_BY_EVENT.get(event.event);
  const properties = isRecord(event.properties) ? event.properties : {};
  if (type === undefined || typeof properties.offer_id !== 'string') return undefined;
  const channel = typeof event.context?.channel === 'string' ? event.context.channel : undefined;
  const outcome = { type, offerId: properties.offer_id, ...(typeof properties.placement_id === 'string' ? { placementId: properties.placement_id } : {}), ...(channel === undefined ? {} : { channel }) };
  return { outcome, at: eventTimeOf(event, receivedAt) };
}

function foldEvent(doc: MutableProfile, event: SegmentEvent, receivedAt: number): void {
  const at = eventTimeOf(event, receivedAt);
  foldFeatures(doc, event, receivedAt);
  bump(doc.counts, event.type);
  if (event.type === 'track') {
    bump(doc.events, event.event);
    const happened = outcomeOf(event, receivedAt);
    if (happened !== undefined) doc.interactions = recordOutcome(doc.interactions, happened.outcome, happened.at);
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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
