import type { SegmentEvent } from '@tailor/core';
import type { Profile } from './types';

/**
 * A profile as the LMDB store keeps it: the public {@link Profile} plus the user ids folded into it by
 * `alias`, so that a later fold can repoint their lookup entries too (they are not part of the public shape).
 */
export interface ProfileRecord {
  id: string;
  sourceId: string;
  userId?: string;
  anonymousIds: string[];
  traits: Record<string, unknown>;
  firstSeen: number;
  lastSeen: number;
  counts: Record<string, number>;
  events: Record<string, number>;
  mergedUserIds: string[];
}

export type IdentifierKind = 'user' | 'anonymous';

/**
 * The reads and writes a profile update needs, bound to one source and to the append's write
 * transaction, so the update commits (or aborts) together with the events.
 */
export interface ProfileTransaction {
  getProfile(profileId: string): ProfileRecord | undefined;
  putProfile(record: ProfileRecord): void;
  removeProfile(profileId: string): void;
  getLookup(kind: IdentifierKind, id: string): string | undefined;
  putLookup(kind: IdentifierKind, id: string, profileId: string): void;
}

/** The public shape of a stored record: drops the bookkeeping the store keeps for folds. */
export function toProfile(record: ProfileRecord): Profile {
  const { mergedUserIds: _merged, ...profile } = record;
  return profile;
}

/**
 * Applies one stored event to the profiles of its source: finds or creates the person's profile,
 * stitches an anonymousId to a userId (folding the anonymous profile in), folds the `previousId`
 * profile of an alias, then updates counts, identify traits and first/last seen.
 */
export function applyEventToProfiles(tx: ProfileTransaction, sourceId: string, event: SegmentEvent, receivedAt: number): void {
  const userId = nonEmpty(event.userId);
  const anonymousId = nonEmpty(event.anonymousId);
  const at = eventTime(event.timestamp, receivedAt);
  let target: ProfileRecord;
  if (userId !== undefined) {
    const id = tx.getLookup('user', userId) ?? userId;
    target = tx.getProfile(id) ?? newProfile(id, sourceId, at);
    target.userId ??= userId;
    tx.putLookup('user', userId, target.id);
    if (anonymousId !== undefined) attachAnonymous(tx, target, anonymousId);
  } else if (anonymousId !== undefined) {
    const id = tx.getLookup('anonymous', anonymousId) ?? anonymousId;
    target = tx.getProfile(id) ?? newProfile(id, sourceId, at);
    addUnique(target.anonymousIds, anonymousId);
    tx.putLookup('anonymous', anonymousId, target.id);
  } else {
    return; // the envelope schema requires one of them; nothing to attach the event to
  }
  if (event.type === 'alias') foldPrevious(tx, target, event.previousId);

  bump(target.counts, event.type);
  if (event.type === 'track') bump(target.events, event.event);
  // Group traits describe the account, not the person: only identify feeds person traits.
  if (event.type === 'identify' && isRecord(event.traits)) target.traits = { ...target.traits, ...event.traits };
  target.firstSeen = Math.min(target.firstSeen, at);
  target.lastSeen = Math.max(target.lastSeen, at);
  tx.putProfile(target);
}

/** Links an anonymousId to a user profile; an anonymous profile that owned it is folded in. */
function attachAnonymous(tx: ProfileTransaction, target: ProfileRecord, anonymousId: string): void {
  const ownerId = tx.getLookup('anonymous', anonymousId);
  const owner = ownerId === undefined || ownerId === target.id ? undefined : tx.getProfile(ownerId);
  if (owner !== undefined && owner.userId === undefined) {
    fold(tx, target, owner);
  } else if (owner !== undefined) {
    // The device id moved to another person (shared device): it now points here, the old person keeps the rest.
    owner.anonymousIds = owner.anonymousIds.filter((id) => id !== anonymousId);
    tx.putProfile(owner);
  }
  addUnique(target.anonymousIds, anonymousId);
  tx.putLookup('anonymous', anonymousId, target.id);
}

/** `alias` says previousId and userId are one person: fold previousId's profile into the target. */
function foldPrevious(tx: ProfileTransaction, target: ProfileRecord, previousId: string | undefined): void {
  const previous = nonEmpty(previousId);
  if (previous === undefined) return;
  const ownerId = tx.getLookup('user', previous) ?? tx.getLookup('anonymous', previous);
  if (ownerId === undefined) {
    // Never seen: remember it, so later anonymous events with this id land on the user.
    addUnique(target.anonymousIds, previous);
    tx.putLookup('anonymous', previous, target.id);
    return;
  }
  if (ownerId === target.id) return;
  const owner = tx.getProfile(ownerId);
  if (owner !== undefined) fold(tx, target, owner);
}

/** Moves everything `source` knows into `target`, repoints its lookup entries and deletes it. */
function fold(tx: ProfileTransaction, target: ProfileRecord, source: ProfileRecord): void {
  for (const id of source.anonymousIds) {
    addUnique(target.anonymousIds, id);
    tx.putLookup('anonymous', id, target.id);
  }
  const userIds = source.userId === undefined ? source.mergedUserIds : [source.userId, ...source.mergedUserIds];
  for (const id of userIds) {
    if (id !== target.userId) addUnique(target.mergedUserIds, id);
    tx.putLookup('user', id, target.id);
  }
  for (const [key, n] of Object.entries(source.counts)) bump(target.counts, key, n);
  for (const [key, n] of Object.entries(source.events)) bump(target.events, key, n);
  // The surviving profile's traits win: they are the ones the person set as the identity we keep.
  target.traits = { ...source.traits, ...target.traits };
  target.firstSeen = Math.min(target.firstSeen, source.firstSeen);
  target.lastSeen = Math.max(target.lastSeen, source.lastSeen);
  tx.removeProfile(source.id);
}

function newProfile(id: string, sourceId: string, at: number): ProfileRecord {
  return { id, sourceId, anonymousIds: [], traits: {}, firstSeen: at, lastSeen: at, counts: {}, events: {}, mergedUserIds: [] };
}

/** Event time from the (skew-corrected) ISO timestamp; receipt time when it is missing or unparsable. */
function eventTime(timestamp: string | undefined, receivedAt: number): number {
  const parsed = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  return Number.isFinite(parsed) ? parsed : receivedAt;
}

/** Increments a counter; defineProperty so a key like `__proto__` is an ordinary counter, not a prototype write. */
function bump(counters: Record<string, number>, key: string, by = 1): void {
  const current = Object.hasOwn(counters, key) ? (counters[key] ?? 0) : 0;
  Object.defineProperty(counters, key, { value: current + by, enumerable: true, writable: true, configurable: true });
}

function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
