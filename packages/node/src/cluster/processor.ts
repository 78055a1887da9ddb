import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@tailor/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterConfig, CollectorConfig } from '../collector/config';
import { ensureJetStreamStream } from '../collector/jetstream-sink';
import { createProfileProjector } from '../collector/profile-projector';
import type { StoredEvent } from '../collector/types';
import type { PostgresStore } from '../storage/postgres-profile-store';
import type { AsyncProfileStore } from '../storage/async-store';
import { eraseSubject, openProfileCache, openSharedStore } from './shared-profiles';
import { fairShare, MAX_MEMBERS, openLeaseConnection, type LeaseConnection } from './leases';
import { startPartitionConsumer, type PartitionConsumer } from './partition-consumer';

export interface ProcessorOptions {
  readonly cluster: ClusterConfig;
  readonly identity: CollectorConfig['identity'];
  /** PostgreSQL's dedup window of (source, messageId). */
  readonly dedupWindowMs: number;
  readonly logger: Logger;
  /** Port of the processor's `/metrics` and `/healthz` (0 picks one; undefined serves none). */
  readonly port?: number;
  readonly host?: string;
  /** Messages per partition batch. Default 500. */
  readonly batchSize?: number;
  /** JetStream's ack wait: how soon a killed processor's batch goes to the next owner. Default 5 s. */
  readonly ackWaitMs?: number;
  /** How often ownership is checked and rebalanced. Default 1 s. */
  readonly rebalanceMs?: number;
  /** How often the projector looks for new log entries when it found none. Default 5 ms. */
  readonly idlePollMs?: number;
}

export interface Processor {
  /** `http://host:port` of /metrics, when a port was given. */
  readonly url?: string;
  /** Partitions this process consumes now. */
  partitions(): number[];
  /** Whether this process holds the projector lease now. */
  projecting(): boolean;
  close(): Promise<void>;
}

/** Log entries the projector reads per step. */
const PROJECT_BATCH = 1_000;

/**
 * A cluster processor (`tailor processor`): consumes its share of the ingest stream's partitions into the
 * shared PostgreSQL log, and, while it holds the projector lease, applies that log to the identity graph and
 * profiles (PostgreSQL, with Redis refreshed after each commit). Any number may run; they divide the
 * partitions among themselves through PostgreSQL advisory locks and take over a dead one's share.
 *
 * @example
 * const processor = await startProcessor({ cluster, identity: config.identity, dedupWindowMs: config.dedupWindow, logger, port: 9464 });
 */
export async function startProcessor(options: ProcessorOptions): Promise<Processor> {
  const { cluster, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const ackWaitMs = options.ackWaitMs ?? 5_000;
  const rebalanceMs = options.rebalanceMs ?? 1_000;
  const idlePollMs = options.idlePollMs ?? 5;
  const metrics = createProcessorMetrics();

  const store: PostgresStore = await openSharedStore(cluster, options.dedupWindowMs, 6, logger);
  const cache = await openProfileCache(store.profiles, cluster, logger);
  const profiles: AsyncProfileStore = cache.profiles;
  const nc: NatsConnection = await connect({ servers: cluster.nats, name: 'tailor-processor', reconnect: true, maxReconnectAttempts: -1 });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureJetStreamStream(
    nc,
    { stream: cluster.stream, subjects: [`${cluster.subjectPrefix}.>`], replicas: cluster.replicas, duplicateWindowMs: cluster.duplicateWindow, maxAgeMs: cluster.maxAge },
    logger,
    'processor',
  );

  let closed = false;
  /** Rebalances and stand-downs, one at a time: ownership changes never interleave. */
  let ticking: Promise<void> = Promise.resolve();
  let leases: LeaseConnection | undefined;
  let memberSlot: number | undefined;
  const owned = new Map<number, PartitionConsumer>();
  /** While this process holds the projector lease: how to give it up. */
  let leader: { stop(): Promise<void> } | undefined;

  /** Drops everything this process was doing: its locks are gone (connection lost) or it is closing. */
  async function standDown(reason: string): Promise<void> {
    if (owned.size > 0 || leader !== undefined) logger.warn({ reason, partitions: [...owned.keys()], projecting: leader !== undefined }, 'standing down');
    await Promise.all([...owned.values()].map((consumer) => consumer.stop()));
    owned.clear();
    const was = leader;
    leader = undefined;
    await was?.stop();
    memberSlot = undefined;
    const old = leases;
    leases = undefined;
    await old?.close();
  }

  async function connectLeases(): Promise<LeaseConnection> {
    const connection = await openLeaseConnection({ connectionString: cluster.postgres, schema: cluster.schema });
    void connection.lost.then((error) => {
      if (leases !== connection || closed) return;
      logger.warn({ err: error }, 'lost the PostgreSQL lease connection: every partition and the projector lease are gone');
      // Stop every consumer before this process may take anything again: queued behind any rebalance in progress.
      ticking = ticking.then(() => (leases === connection ? standDown('lease connection lost') : undefined));
    });
    for (let slot = 0; slot < MAX_MEMBERS; slot++) {
      if (await connection.tryLock('member', slot)) {
        memberSlot = slot;
        logger.info({ member: slot }, 'joined the processor group');
        return connection;
      }
    }
    await connection.close();
    throw new Error(`more than ${MAX_MEMBERS} processors share this store`);
  }

  async function rebalance(): Promise<void> {
    leases ??= await connectLeases();
    const connection = leases;
    const members = await connection.countHeld('member');
    const share = fairShare(cluster.partitions, members);
    // Over our share (a processor joined): give the highest partitions back, finishing their batches first.
    for (const partition of [...owned.keys()].sort((a, b) => b - a)) {
      if (owned.size <= share) break;
      const consumer = owned.get(partition) as PartitionConsumer;
      owned.delete(partition);
      await consumer.stop();
      await connection.unlock('partition', partition);
    }
    if (owned.size < share) {
      const taken = await connection.heldIds('partition');
      // Start at a member-dependent offset so processors starting together do not all race for partition 0.
      const offset = ((memberSlot ?? 0) * share) % cluster.partitions;
      for (let i = 0; i < cluster.partitions && owned.size < share; i++) {
        const partition = (offset + i) % cluster.partitions;
        if (owned.has(partition) || taken.has(partition)) continue;
        if (!(await connection.tryLock('partition', partition))) continue;
        try {
          owned.set(
            partition,
            await startPartitionConsumer({
              js,
              jsm,
              stream: cluster.stream,
              subjectPrefix: cluster.subjectPrefix,
              partition,
              batchSize,
              ackWaitMs,
              appendAll: (requests) => store.appendAll(requests),
              logger,
              onApplied: (stats) => {
                metrics.applied.inc(stats.stored);
                metrics.duplicates.inc(stats.duplicates);
                metrics.rejected.inc(stats.rejected);
                metrics.batchSeconds.observe(stats.seconds);
                metrics.ingestLagSeconds.observe(stats.lagMs / 1000);
              },
            }),
          );
        } catch (error) {
          await connection.unlock('partition', partition).catch(() => undefined);
          throw error;
        }
      }
    }
    if (leader === undefined && (await connection.tryLock('projector', 0))) {
      try {
        leader = await lead();
      } catch (error) {
        await connection.unlock('projector', 0).catch(() => undefined);
        throw error;
      }
    }
    metrics.partitions.set(owned.size);
    metrics.leader.set(leader === undefined ? 0 : 1);
  }

  /** Holds the projector lease: applies the shared log in seq order and answers erasure requests. */
  async function lead() {
    const projector = createProfileProjector({ events: store, profiles, logger, identity: options.identity });
    await projector.start();
    let stopping = false;
    let applied = await profiles.appliedSeq();
    logger.info({ appliedSeq: applied }, 'holding the projector lease');
    const loop = (async () => {
      while (!stopping) {
        try {
          const batch: StoredEvent[] = await store.read(applied, PROJECT_BATCH);
          if (batch.length === 0) {
            await new Promise((resolve) => setTimeout(resolve, idlePollMs));
            continue;
          }
          const began = performance.now();
          await projector.send(batch);
          applied = (batch[batch.length - 1] as StoredEvent).seq;
          metrics.projected.inc(batch.length);
          metrics.projectSeconds.observe((performance.now() - began) / 1000);
          metrics.appliedSeq.set(applied);
        } catch (error) {
          if (stopping) break;
          logger.warn({ err: error }, 'a projection step failed; it is redone from the shared log');
          await new Promise((resolve) => setTimeout(resolve, 500));
          applied = await profiles.appliedSeq().catch(() => applied);
        }
      }
    })();
    // Erasure requests from any collector, answered by whoever holds the lease (one queue group: one answer).
    const subscription = nc.subscribe(eraseSubject(cluster.subjectPrefix), {
      queue: 'tailor-projector',
      callback: (error, message) => {
        if (error) return;
        void (async () => {
          try {
            const { sourceId, target } = JSON.parse(message.string()) as { sourceId: string; target: string };
            message.respond(JSON.stringify(await projector.deleteProfile(sourceId, target)));
          } catch (cause) {
            message.respond(JSON.stringify({ status: 'failed', message: (cause as Error).message }));
          }
        })();
      },
    });
    return {
      async stop() {
        stopping = true;
        subscription.unsubscribe();
        await loop;
        await projector.close();
      },
    };
  }

  const tick = () => {
    ticking = ticking.then(async () => {
      if (closed) return;
      try {
        await rebalance();
      } catch (error) {
        logger.warn({ err: error }, 'rebalancing failed; retrying');
        // A lease connection that cannot answer has lost its locks, whether or not it has said so yet.
        const current = leases;
        if (current !== undefined) await current.countHeld('member').catch(() => (leases === current ? standDown('lease connection unusable') : undefined));
      }
    });
  };
  tick();
  await ticking;
  const timer = setInterval(tick, rebalanceMs);

  let server: Server | undefined;
  let url: string | undefined;
  if (options.port !== undefined) {
    metrics.registry.registerMetric(
      new Gauge({
        name: 'tailor_processor_projector_lag_events',
        help: 'Shared log entries not yet projected (on the lease holder)',
        registers: [],
        async collect() {
          if (leader === undefined) return;
          this.set(Math.max(0, (await store.lastSeq().catch(() => 0)) - (await profiles.appliedSeq().catch(() => 0))));
        },
      }),
    );
    server = createServer((request, response) => {
      if (request.url === '/metrics') {
        void metrics.registry.metrics().then((text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType });
          response.end(text);
        });
        return;
      }
      if (request.url === '/healthz') {
        const healthy = leases !== undefined && !closed;
        response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: healthy, partitions: [...owned.keys()].sort((a, b) => a - b), projecting: leader !== undefined, member: memberSlot }));
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('try /metrics or /healthz\n');
    });
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
    });
    const address = listening.address() as AddressInfo;
    url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }
  logger.info({ partitions: [...owned.keys()], projecting: leader !== undefined, metrics: url }, 'processor running');

  return {
    ...(url === undefined ? {} : { url }),
    partitions: () => [...owned.keys()].sort((a, b) => a - b),
    projecting: () => leader !== undefined,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await ticking;
      await standDown('closing');
      if (server !== undefined) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server?.close(() => resolve()));
      }
      await nc.drain().catch(() => nc.close());
      await cache.close();
      await store.close();
      logger.info({ member: memberSlot }, 'processor stopped');
    },
  };
}

function createProcessorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tailor_process_' });
  const seconds = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    registry,
    applied: new Counter({ name: 'tailor_processor_events_applied_total', help: 'Events appended to the shared log', registers: [registry] }),
    duplicates: new Counter({ name: 'tailor_processor_events_duplicate_total', help: 'Redelivered or resent events already in the shared log', registers: [registry] }),
    rejected: new Counter({ name: 'tailor_processor_messages_rejected_total', help: 'Stream messages that were not Tailor events (terminated)', registers: [registry] }),
    projected: new Counter({ name: 'tailor_processor_events_projected_total', help: 'Log entries applied to identity and profiles', registers: [registry] }),
    batchSeconds: new Histogram({ name: 'tailor_processor_batch_duration_seconds', help: 'Time to append one partition batch', buckets: seconds, registers: [registry] }),
    projectSeconds: new Histogram({ name: 'tailor_processor_project_duration_seconds', help: 'Time to project one batch of the log', buckets: seconds, registers: [registry] }),
    ingestLagSeconds: new Histogram({ name: 'tailor_processor_ingest_lag_seconds', help: 'Collector receipt to shared-log commit, oldest event of a batch', buckets: seconds, registers: [registry] }),
    partitions: new Gauge({ name: 'tailor_processor_partitions', help: 'Partitions this processor consumes', registers: [registry] }),
    leader: new Gauge({ name: 'tailor_processor_projector_leader', help: '1 while this processor holds the projector lease', registers: [registry] }),
    appliedSeq: new Gauge({ name: 'tailor_processor_applied_seq', help: 'Last log seq projected by this processor', registers: [registry] }),
  };
}
