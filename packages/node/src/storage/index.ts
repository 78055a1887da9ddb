export {
  toAsyncCollectorStore,
  toAsyncEventStore,
  toAsyncProfileStore,
  type AsyncCollectorStore,
  type AsyncEventStore,
  type AsyncProfileStore,
} from './async-store';
// The write every store commits, and the error of a commit whose `expectAppliedSeq` is stale.
export { isStaleProjection, staleProjection, type JournalEntry, type ProjectionWrite } from '../collector/profile-store';
export { type PostgresConnectionOptions } from './postgres-connection';
export { createPostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store';
export { MIGRATIONS, type Migration } from './postgres-migrations';
export { createPostgresStore, type PostgresStore } from './postgres-profile-store';
export { createRedisProfileCache, type ProfileLookups, type RedisCacheClient, type RedisProfileCacheOptions } from './redis-profile-cache';
