import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithClusterService, POSTGRES_URL, probeClusterServices, REDIS_URL } from '../../test-utils/src/cluster-services';
import { runProfileStoreContract, sampleProfile } from '../../test-utils/src/profile-store-contract';
import { createPostgresStore, type PostgresStore } from '../src/storage/postgres-profile-store';
import { createRedisProfileCache, type RedisCacheClient } from '../src/storage/redis-profile-cache';
import { dropSchema, freshSchema } from './storage-helpers';

const gaps = await probeClusterServices();
const gap = gaps.postgres ?? gaps.redis;

describeWithClusterService(gap, 'PostgreSQL profile store behind the Redis cache', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function dropKeys(prefix: string): Promise<void> {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }

  runProfileStoreContract('postgres + redis cache', async () => {
    const schema = freshSchema();
    const keyPrefix = `${schema}:`;
    const make = async () => {
      const store = await createPostgresStore({ connectionString: POSTGRES_URL, schema });
      return { ...store, profiles: createRedisProfileCache(store.profiles, { redis, keyPrefix }) };
    };
    return { store: await make(), reopen: make, cleanup: async () => Promise.all([dropSchema(schema), dropKeys(keyPrefix)]).then(() => undefined) };
  });

  async function twoCollectors(ttlMs = 60_000) {
    const schema = freshSchema();
    const keyPrefix = `${schema}:`;
    const stores: PostgresStore[] = [await createPostgresStore({ connectionString: POSTGRES_URL, schema }), await createPostgresStore({ connectionString: POSTGRES_URL, schema })];
    const [a, b] = stores.map((store) => createRedisProfileCache(store.profiles, { redis, keyPrefix, ttlMs })) as [ReturnType<typeof createRedisProfileCache>, ReturnType<typeof createRedisProfileCache>];
    const close = async () => {
      for (const store of stores) await store.close();
      await dropSchema(schema);
      await dropKeys(keyPrefix);
    };
    return { a, b, raw: stores[1] as PostgresStore, keyPrefix, close };
  }

  it('serves repeated reads from Redis, and a commit through any collector refreshes them everywhere', async () => {
    const { a, b, raw, close } = await twoCollectors();
    try {
      await a.commit({ putProfiles: [sampleProfile('shop', 'p_1', { traits: { v: 1 } })], putKeys: [{ sourceId: 'shop', key: 'userId:u1', profileId: 'p_1' }] });
      expect((await b.findProfile('shop', 'userId:u1'))?.traits).toEqual({ v: 1 });
      // Written behind the cache's back: collector b keeps answering from Redis.
      await raw.profiles.commit({ putProfiles: [sampleProfile('shop', 'p_1', { traits: { v: 2 } })] });
      expect((await b.findProfile('shop', 'userId:u1'))?.traits).toEqual({ v: 1 });
      // Written through collector a's cache: b sees it at once.
      await a.commit({ putProfiles: [sampleProfile('shop', 'p_1', { traits: { v: 3 } })] });
      expect((await b.findProfile('shop', 'userId:u1'))?.traits).toEqual({ v: 3 });
      expect((await b.getProfile('shop', 'p_1'))?.traits).toEqual({ v: 3 });
    } finally {
      await close();
    }
  });

  it('caches absence, and a later put replaces it; a merge redirects cached keys through the alias', async () => {
    const { a, b, close } = await twoCollectors();
    try {
      expect(await b.findProfile('shop', 'userId:u2')).toBeUndefined();
      expect(await b.getProfile('shop', 'p_2')).toBeUndefined();
      await a.commit({ putProfiles: [sampleProfile('shop', 'p_2')], putKeys: [{ sourceId: 'shop', key: 'userId:u2', profileId: 'p_2' }] });
      expect((await b.findProfile('shop', 'userId:u2'))?.id).toBe('p_2');
      await a.commit({ putProfiles: [sampleProfile('shop', 'p_3', { mergedIds: ['p_2'] })], removeProfiles: [{ sourceId: 'shop', id: 'p_2' }], putAliases: [{ sourceId: 'shop', retiredId: 'p_2', profileId: 'p_3' }] });
      expect((await b.findProfile('shop', 'userId:u2'))?.id).toBe('p_3');
      expect((await b.getProfile('shop', 'p_2'))?.id).toBe('p_3');
    } finally {
      await close();
    }
  });

  it('gives every entry the TTL', async () => {
    const { a, b, keyPrefix, close } = await twoCollectors(5_000);
    try {
      await a.commit({ putProfiles: [sampleProfile('shop', 'p_1')], putKeys: [{ sourceId: 'shop', key: 'userId:u1', profileId: 'p_1' }] });
      await b.findProfile('shop', 'userId:u9');
      const keys = await redis.keys(`${keyPrefix}*`);
      expect(keys.length).toBe(3);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(5_000);
      }
    } finally {
      await close();
    }
  });

  it('answers from PostgreSQL and reports the error when Redis fails', async () => {
    const schema = freshSchema();
    const store = await createPostgresStore({ connectionString: POSTGRES_URL, schema });
    const down = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const broken: RedisCacheClient = {
      mget: () => Promise.reject(down),
      set: () => Promise.reject(down),
      pipeline: () => ({ set: () => undefined, exec: () => Promise.reject(down) }),
    };
    const errors: string[] = [];
    const profiles = createRedisProfileCache(store.profiles, { redis: broken, onError: (_error, during) => errors.push(during) });
    try {
      await profiles.commit({ putProfiles: [sampleProfile('shop', 'p_1')], putKeys: [{ sourceId: 'shop', key: 'userId:u1', profileId: 'p_1' }] });
      expect((await profiles.findProfile('shop', 'userId:u1'))?.id).toBe('p_1');
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toContain('invalidate');
      expect(errors).toContain('read');
      expect(errors).toContain('fill');
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
