import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@tailor/core';
import type { ClusterConfig } from '../collector/config';
import type { DeleteProfileResult } from '../collector/profile-projector';
import type { AsyncProfileStore } from '../storage/async-store';
import type { ProfileLookups } from '../storage/redis-profile-cache';
import { createRedisProfileCache } from '../storage/redis-profile-cache';
import { createPostgresStore, type PostgresStore } from '../storage/postgres-profile-store';

/** Core NATS subject on which collectors ask the projector-lease holder to erase a person. */
export function eraseSubject(subjectPrefix: string): string {
  return `${subjectPrefix}-control.erase`;
}

/** Opens the cluster's shared PostgreSQL store (migrating it if needed), reporting broken connections as warnings. */
export function openSharedStore(cluster: ClusterConfig, dedupWindowMs: number, maxConnections: number, logger: Pick<Logger, 'warn'>): Promise<PostgresStore> {
  return createPostgresStore({
    connectionString: cluster.postgres,
    schema: cluster.schema,
    dedupWindowMs,
    maxConnections,
    onConnectionError: (error) => logger.warn({ err: error }, 'a PostgreSQL connection broke; it is reopened on demand'),
  });
}

/**
 * The shared profile store as a cluster process reads and writes it: through Redis when the cluster has one
 * (the projector refreshes what it commits; collectors read), else PostgreSQL directly.
 */
export async function openProfileCache(
  store: AsyncProfileStore & ProfileLookups,
  cluster: ClusterConfig,
  logger: Pick<Logger, 'warn'>,
): Promise<{ readonly profiles: AsyncProfileStore; readonly redis?: import('ioredis').Redis; close(): Promise<void> }> {
  if (cluster.redis === undefined) return { profiles: store, close: async () => undefined };
  const { Redis } = await import('ioredis');
  const redis = new Redis(cluster.redis, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  let lastWarning = 0;
  redis.on('error', (error: Error) => {
    // A Redis outage only costs speed (reads fall through to PostgreSQL): warn at most every 10 s.
    if (Date.now() - lastWarning < 10_000) return;
    lastWarning = Date.now();
    logger.warn({ err: error }, 'Redis is unreachable; profile reads go to PostgreSQL');
  });
  const profiles = createRedisProfileCache(store, {
    redis,
    keyPrefix: `tailor:${cluster.schema}:profiles:`,
    onError: (error, during) => {
      if (during === 'invalidate') logger.warn({ err: error }, 'could not refresh Redis after a profile commit; entries expire within the TTL');
    },
  });
  return {
    profiles,
    redis,
    async close() {
      redis.disconnect();
    },
  };
}

/** How long a collector waits for the projector-lease holder to answer an erasure. */
const ERASE_TIMEOUT_MS = 15_000;

/**
 * Erasure from a cluster-mode collector: the projector-lease holder (a processor) owns the identity graph, so
 * the request goes to it over NATS request/reply and the answer comes back once the erasure is committed.
 */
export function requestErasure(nc: NatsConnection, subjectPrefix: string) {
  return async (sourceId: string, target: string): Promise<DeleteProfileResult> => {
    try {
      const reply = await nc.request(eraseSubject(subjectPrefix), JSON.stringify({ sourceId, target }), { timeout: ERASE_TIMEOUT_MS });
      return JSON.parse(reply.string()) as DeleteProfileResult;
    } catch (error) {
      return { status: 'failed', message: `no processor answered the erasure (${(error as Error).message}); check that a \`tailor processor\` is running` };
    }
  };
}
