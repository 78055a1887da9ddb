/*
 * A read-through cache of the profile store's three lookups (profile by id, identifier key -> id, retired id ->
 * survivor), kept in Redis so every collector shares it. `getProfile`/`findProfile` are composed from the
 * cached lookups exactly as the stores compose them from their tables, so merges and erasures cannot leave a
 * resolved answer behind under a key nobody invalidates.
 *
 * Freshness: the writer (the projector, after its PostgreSQL commit) SETs every lookup its write changed,
 * unconditionally, and writes '' for removed ones; a reader that missed fills the cache with SET NX. A reader
 * holding a value read before the commit therefore cannot overwrite the writer's newer one. What remains:
 * a writer that dies between its commit and its SETs, or a Redis error there (reported to `onError`), leaves
 * stale entries until their TTL; so does a reader stalled for longer than the TTL between its read and its SET.
 * Redis being down never fails a read: it falls through to the store.
 */
import { TailorError } from '@tailor/core';
import type { ProjectionWrite } from '../collector/profile-store';
import type { Profile } from '../collector/types';
import type { AsyncProfileStore } from './async-store';

/** The raw lookups a cached store needs from the store below it (the PostgreSQL store has them). */
export interface ProfileLookups {
  /** The profile stored under exactly this id, without following merges. */
  loadProfile(sourceId: string, profileId: string): Promise<Profile | undefined>;
  /** The profile id an identifier key points to (possibly a retired id). */
  lookupKey(sourceId: string, identifierKey: string): Promise<string | undefined>;
  /** The survivor a retired profile id resolves to. */
  lookupAlias(sourceId: string, retiredId: string): Promise<string | undefined>;
}

/** The few Redis commands the cache uses, as ioredis spells them. */
export interface RedisCacheClient {
  mget(keys: string[]): Promise<Array<string | null>>;
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<unknown>;
  pipeline(): { set(key: string, value: string, px: 'PX', ttlMs: number): unknown; exec(): Promise<unknown> };
}

export interface RedisProfileCacheOptions {
  readonly redis: RedisCacheClient;
  /** How long an entry may serve reads without being refreshed. Default 30 s: the bound on staleness after a failed invalidation. */
  readonly ttlMs?: number;
  /** Prefix of every key. Default `tailor:profiles:`; give each store (schema) its own. */
  readonly keyPrefix?: string;
  /** Redis failures (reads fall back to the store; a failed invalidation leaves entries stale until their TTL). */
  readonly onError?: (error: unknown, during: 'read' | 'fill' | 'invalidate') => void;
}

type Kind = 'profile' | 'key' | 'alias';
/** Cached "known absent": ids and profile JSON are never empty. */
const ABSENT = '';

/**
 * Wraps a profile store with a Redis cache of its lookups; `commit` writes through to the store, then
 * refreshes the entries the write changed.
 *
 * @example
 * const store = await createPostgresStore({ connectionString });
 * const profiles = createRedisProfileCache(store.profiles, { redis: new Redis('redis://127.0.0.1:6379') });
 * await profiles.findProfile('shop', 'userId:u1'); // PostgreSQL once, then Redis
 */
export function createRedisProfileCache(store: AsyncProfileStore & ProfileLookups, options: RedisProfileCacheOptions): AsyncProfileStore {
  const { redis } = options;
  const ttlMs = options.ttlMs ?? 30_000;
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new TailorError('invalid_options', 'createRedisProfileCache: "ttlMs" must be an integer >= 1 (milliseconds)');
  const prefix = options.keyPrefix ?? 'tailor:profiles:';
  const report = options.onError ?? (() => undefined);
  // JSON keeps the parts apart whatever they hold (a source id with ':' cannot collide with another key).
  const cacheKey = (kind: Kind, sourceId: string, id: string) => `${prefix}${JSON.stringify([kind, sourceId, id])}`;

  async function cachedValues(keys: string[]): Promise<Array<string | null>> {
    try {
      return await redis.mget(keys);
    } catch (error) {
      report(error, 'read');
      return keys.map(() => null);
    }
  }

  function fill(key: string, value: string): void {
    redis.set(key, value, 'PX', ttlMs, 'NX').catch((error: unknown) => report(error, 'fill'));
  }

  /** One lookup through the cache: a cached value (or cached absence), else the store's answer, cached. */
  async function lookup<T>(kind: Kind, sourceId: string, id: string, cached: string | null, load: () => Promise<T | undefined>, encode: (value: T) => string, decode: (raw: string) => T) {
    if (cached !== null) return cached === ABSENT ? undefined : decode(cached);
    const value = await load();
    fill(cacheKey(kind, sourceId, id), value === undefined ? ABSENT : encode(value));
    return value;
  }

  const asProfile = (raw: string) => JSON.parse(raw) as Profile;
  const asId = (raw: string) => raw;

  async function profileAt(sourceId: string, profileId: string): Promise<Profile | undefined> {
    const [profile, alias] = await cachedValues([cacheKey('profile', sourceId, profileId), cacheKey('alias', sourceId, profileId)]);
    const direct = await lookup('profile', sourceId, profileId, profile ?? null, () => store.loadProfile(sourceId, profileId), JSON.stringify, asProfile);
    if (direct !== undefined) return direct;
    const survivor = await lookup('alias', sourceId, profileId, alias ?? null, () => store.lookupAlias(sourceId, profileId), String, asId);
    if (survivor === undefined) return undefined;
    const [survivorProfile] = await cachedValues([cacheKey('profile', sourceId, survivor)]);
    return lookup('profile', sourceId, survivor, survivorProfile ?? null, () => store.loadProfile(sourceId, survivor), JSON.stringify, asProfile);
  }

  async function refresh(write: ProjectionWrite): Promise<void> {
    // Removes first, then puts, as the store applies them: the last value per key is what the store now holds.
    const latest = new Map<string, string>();
    for (const { sourceId, id } of write.removeProfiles ?? []) latest.set(cacheKey('profile', sourceId, id), ABSENT);
    for (const profile of write.putProfiles ?? []) latest.set(cacheKey('profile', profile.sourceId, profile.id), JSON.stringify(profile));
    for (const { sourceId, key } of write.removeKeys ?? []) latest.set(cacheKey('key', sourceId, key), ABSENT);
    for (const { sourceId, key, profileId } of write.putKeys ?? []) latest.set(cacheKey('key', sourceId, key), profileId);
    for (const { sourceId, retiredId } of write.removeAliases ?? []) latest.set(cacheKey('alias', sourceId, retiredId), ABSENT);
    for (const { sourceId, retiredId, profileId } of write.putAliases ?? []) latest.set(cacheKey('alias', sourceId, retiredId), profileId);
    if (latest.size === 0) return;
    const batch = redis.pipeline();
    for (const [key, value] of latest) batch.set(key, value, 'PX', ttlMs);
    // ioredis resolves a pipeline with one [error, result] per command rather than rejecting.
    const results = await batch.exec();
    const failed = Array.isArray(results) ? results.find((entry) => Array.isArray(entry) && entry[0] != null) : undefined;
    if (failed !== undefined) throw (failed as unknown[])[0];
  }

  return {
    getProfile: profileAt,

    async findProfile(sourceId, identifierKey) {
      const [cached] = await cachedValues([cacheKey('key', sourceId, identifierKey)]);
      const profileId = await lookup('key', sourceId, identifierKey, cached ?? null, () => store.lookupKey(sourceId, identifierKey), String, asId);
      return profileId === undefined ? undefined : profileAt(sourceId, profileId);
    },

    async commit(write, commitOptions) {
      // A stale write (`expectAppliedSeq`) is refused by the store before anything changes: nothing to refresh.
      await store.commit(write, commitOptions);
      // The commit stands whatever Redis does: a failed refresh is reported, and bounded by the TTL.
      await refresh(write).catch((error: unknown) => report(error, 'invalidate'));
    },

    appliedSeq: () => store.appliedSeq(),
    journal: () => store.journal(),
    tombstones: () => store.tombstones(),
    eventSeqs: (sourceId, key) => store.eventSeqs(sourceId, key),
    count: () => store.count(),
    idSalt: () => store.idSalt(),
  };
}
