import { mkdirSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { TailorError, type Logger } from '@tailor/core';
import { startIngest } from '../collector/collector';
import type { CollectorConfig } from '../collector/config';
import { toFetchHandler } from '../collector/http-adapter';
import { createLmdbStore } from '../collector/lmdb-store';
import { createTargetResolver } from '../collector/profile-projector';
import { createProfileService } from '../collector/profile-routes';
import type { Handler } from '../collector/handler';
import { createJetStreamIngestLog } from './ingest-log';
import { createRecentOutcomes, type PersonRef } from './recent-outcomes';
import { openProfileCache, openSharedStore, requestErasure } from './shared-profiles';

/** How long Redis counts an offer outcome: far longer than the projector takes to fold it into the profile. */
const RECENT_OUTCOMES_TTL_MS = 10 * 60_000;

export interface ClusterCollector {
  readonly url: string;
  readonly port: number;
  readonly handler: Handler;
  readonly fetch: (request: Request) => Promise<Response>;
  close(): Promise<void>;
}

/**
 * A collector of a cluster (`tailor collector --mode cluster`). It keeps no events: an accepted request is
 * published to the JetStream ingest stream (one subject per identity partition) and answered once JetStream
 * has acked every event, so any collector may die at any time without losing an acknowledged event. Profiles
 * and decisions read the shared store (Redis, then PostgreSQL) that processors keep up to date; erasures go
 * to the processor that holds the projector lease. Only the decision log stays local (in `dataDir`).
 *
 * @example
 * const collector = await startClusterCollector(parseCollectorConfig({ sources, cluster: { nats: 'nats://127.0.0.1:4222', postgres } }), { logger });
 */
export async function startClusterCollector(config: CollectorConfig, options: { readonly logger: Logger; readonly configDir?: string; readonly now?: () => number }): Promise<ClusterCollector> {
  const { logger } = options;
  const cluster = config.cluster;
  if (cluster === undefined) throw new TailorError('invalid_config', 'cluster mode needs a "cluster" section (nats, postgres) in the collector config');
  const log = createJetStreamIngestLog({
    servers: cluster.nats,
    stream: cluster.stream,
    subjectPrefix: cluster.subjectPrefix,
    partitions: cluster.partitions,
    replicas: cluster.replicas,
    duplicateWindowMs: cluster.duplicateWindow,
    maxAgeMs: cluster.maxAge,
    logger,
  });
  const shared = await openSharedStore(cluster, config.dedupWindow, 8, logger);
  const cache = await openProfileCache(shared.profiles, cluster, logger);
  const nc = await connect({ servers: cluster.nats, name: 'tailor-collector', reconnect: true, maxReconnectAttempts: -1 });
  // Frequency caps hold from the ack on: each accepted offer outcome is also counted in Redis for 10 minutes.
  const recent =
    cache.redis === undefined
      ? undefined
      : createRecentOutcomes(cache.redis, {
          keyPrefix: `tailor:${cluster.schema}:outcomes:`,
          ttlMs: RECENT_OUTCOMES_TTL_MS,
          onError: (error) => logger.warn({ err: error }, 'could not count offer outcomes in Redis; frequency caps wait for the projector'),
        });
  mkdirSync(config.dataDir, { recursive: true });
  // The local store holds only this collector's decision log; its event log stays empty.
  const local = createLmdbStore({ dataDir: config.dataDir, dedupWindowMs: config.dedupWindow });
  const release = async () => {
    await log.close();
    await nc.drain().catch(() => nc.close());
    await cache.close();
    await shared.close();
    await local.decisionLog.flush();
    await local.close();
  };
  let ingest;
  try {
    ingest = await startIngest(config, {
      logger,
      store: {
        ...local,
        async append(sourceId, events, receivedAt) {
          const result = await log.append(sourceId, events, receivedAt);
          if (recent !== undefined) await recent.record(sourceId, events.filter((_, i) => result.seqs[i] !== null));
          return result;
        },
      },
      ...(recent === undefined ? {} : { recentOutcomes: (sourceId: string, person: PersonRef) => recent.read(sourceId, person) }),
      profileReader: cache.profiles,
      localLog: false,
      ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
      ...(options.now === undefined ? {} : { now: options.now }),
      sinkNames: [],
      onAppended: () => undefined,
      profiles: createProfileService(cache.profiles, createTargetResolver(config.identity), requestErasure(nc, cluster.subjectPrefix)),
    });
  } catch (error) {
    await release();
    throw error;
  }
  logger.info({ url: ingest.url, stream: cluster.stream, partitions: cluster.partitions, redis: cluster.redis !== undefined }, 'cluster collector listening');
  let closed = false;
  const running = ingest;
  return {
    url: running.url,
    port: running.port,
    handler: running.handler,
    fetch: toFetchHandler(running.handler, '127.0.0.1'),
    async close() {
      if (closed) return;
      closed = true;
      await running.close();
      await release();
      logger.info({ url: running.url }, 'cluster collector stopped');
    },
  };
}
