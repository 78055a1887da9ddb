import { randomBytes } from 'node:crypto';
import type { Database, Key, RootDatabase } from 'lmdb';
import { staleProjection, type JournalEntry, type ProfileStore, type ProjectionWrite } from './profile-store';
import type { Profile } from './types';

/**
 * The profile store's databases, in the event store's LMDB environment:
 * - `profiles.v2`  [source, profileId] → Profile
 * - `profile-keys` [source, 'k', identifierKey] → profileId; [source, 'r', retiredId] → profileId
 * - `identity-journal` [source, seq] → the event's identity fields (what rebuilds the graph after a restart)
 * - `identity-events`  [source, identifierKey, seq] → 1 (which events carried an identifier)
 * - `identity-tombstones` [source, identifierKey] → { sourceId, key, at }
 * - `identity-meta` 'applied' → last projected seq; 'id-salt' → the salt of public profile ids
 */
export interface ProfileDatabases {
  readonly profiles: Database<Profile, Key>;
  readonly keys: Database<string, Key>;
  readonly journal: Database<JournalEntry['event'], Key>;
  readonly index: Database<number, Key>;
  readonly tombstones: Database<{ readonly sourceId: string; readonly key: string; readonly at: number }, Key>;
  readonly meta: Database<unknown, string>;
}

export function openProfileDatabases(root: RootDatabase): ProfileDatabases {
  const named = <V, K extends Key>(name: string) => root.openDB<V, K>(name, { encoding: 'msgpack' });
  return {
    profiles: named('profiles.v2'),
    keys: named('profile-keys'),
    journal: named('identity-journal'),
    index: named('identity-events'),
    tombstones: named('identity-tombstones'),
    meta: named('identity-meta'),
  };
}

export interface LmdbProfileStoreHooks {
  /** Escapes a string for use in an array key (shared with the event store). */
  readonly keyPart: (value: string) => string;
  /** Resolves once a write promise's commit is on disk. */
  readonly durably: <T>(write: Promise<T>) => Promise<T>;
  /** Deletes log entries; runs inside the commit's transaction. */
  readonly removeEvents: (seqs: readonly number[]) => number;
}

const APPLIED = 'applied';
const SALT = 'id-salt';

export function createLmdbProfileStore(root: RootDatabase, dbs: ProfileDatabases, hooks: LmdbProfileStoreHooks): ProfileStore {
  const { keyPart } = hooks;
  const { profiles, keys, journal, index, tombstones, meta } = dbs;

  function profileAt(sourceId: string, profileId: string): Profile | undefined {
    const source = keyPart(sourceId);
    const direct = profiles.get([source, keyPart(profileId)]);
    if (direct !== undefined) return direct;
    const survivor = keys.get([source, 'r', keyPart(profileId)]);
    return survivor === undefined ? undefined : profiles.get([source, keyPart(survivor)]);
  }

  return {
    getProfile: profileAt,

    findProfile(sourceId, identifierKey) {
      const profileId = keys.get([keyPart(sourceId), 'k', keyPart(identifierKey)]);
      return profileId === undefined ? undefined : profileAt(sourceId, profileId);
    },

    appliedSeq: () => Number(meta.get(APPLIED) ?? 0),

    idSalt() {
      const existing = meta.get(SALT);
      if (typeof existing === 'string') return existing;
      // Only the projector's process calls this; the conditional write keeps a racing second process harmless.
      meta.transactionSync(() => {
        if (meta.get(SALT) === undefined) meta.putSync(SALT, randomBytes(16).toString('hex'));
      });
      return meta.get(SALT) as string;
    },

    *journal() {
      // Values carry their source; the key's source part is escaped, so it is not read back from the key.
      for (const { key, value } of journal.getRange({ snapshot: false })) {
        const [, seq] = key as [string, number];
        yield { sourceId: (value as { readonly __source?: string }).__source ?? '', seq, event: value };
      }
    },

    *tombstones() {
      // Keys are escaped (and long ones hashed), so the values carry the originals.
      for (const { value } of tombstones.getRange({ snapshot: false })) yield value;
    },

    eventSeqs(sourceId, key) {
      const prefix = [keyPart(sourceId), keyPart(key)];
      const out: number[] = [];
      for (const entry of index.getKeys({ start: [...prefix, 0], end: [...prefix, Number.MAX_SAFE_INTEGER], snapshot: false })) {
        out.push((entry as [string, string, number])[2]);
      }
      return out;
    },

    async commit(write: ProjectionWrite, options = {}) {
      const durable = options.durable !== false || (write.removeLog?.length ?? 0) > 0 || (write.putTombstones?.length ?? 0) > 0;
      const committed = root.transaction(() => {
          // Checked before anything is written: a throw here rejects the commit with nothing of it applied.
          if (write.expectAppliedSeq !== undefined) {
            const current = Number(meta.get(APPLIED) ?? 0);
            if (current !== write.expectAppliedSeq) throw staleProjection(write.expectAppliedSeq, current);
          }
          for (const { sourceId, id } of write.removeProfiles ?? []) void profiles.remove([keyPart(sourceId), keyPart(id)]);
          for (const profile of write.putProfiles ?? []) void profiles.put([keyPart(profile.sourceId), keyPart(profile.id)], profile);
          for (const { sourceId, key } of write.removeKeys ?? []) void keys.remove([keyPart(sourceId), 'k', keyPart(key)]);
          for (const { sourceId, key, profileId } of write.putKeys ?? []) void keys.put([keyPart(sourceId), 'k', keyPart(key)], profileId);
          for (const { sourceId, retiredId } of write.removeAliases ?? []) void keys.remove([keyPart(sourceId), 'r', keyPart(retiredId)]);
          for (const { sourceId, retiredId, profileId } of write.putAliases ?? []) void keys.put([keyPart(sourceId), 'r', keyPart(retiredId)], profileId);
          for (const { sourceId, seq } of write.removeJournal ?? []) void journal.remove([keyPart(sourceId), seq]);
          for (const { sourceId, seq, event } of write.putJournal ?? []) void journal.put([keyPart(sourceId), seq], { ...event, __source: sourceId });
          for (const { sourceId, key, seq } of write.removeEventIndex ?? []) void index.remove([keyPart(sourceId), keyPart(key), seq]);
          for (const { sourceId, key, seq } of write.putEventIndex ?? []) void index.put([keyPart(sourceId), keyPart(key), seq], 1);
          for (const { sourceId, key, at } of write.putTombstones ?? []) void tombstones.put([keyPart(sourceId), keyPart(key)], { sourceId, key, at });
          if (write.removeLog !== undefined && write.removeLog.length > 0) hooks.removeEvents(write.removeLog);
          if (write.appliedSeq !== undefined && write.appliedSeq > Number(meta.get(APPLIED) ?? 0)) void meta.put(APPLIED, write.appliedSeq);
      });
      // Erasures (log removals, tombstones) are always flushed before they are acknowledged.
      if (durable) await hooks.durably(committed);
      else await committed;
    },

    count: () => (profiles.getStats() as { entryCount: number }).entryCount,
  };
}

