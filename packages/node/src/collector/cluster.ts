import cluster, { type Worker } from 'node:cluster';
import { mkdirSync } from 'node:fs';
import type { Logger } from '@tailor/core';
import { AggregatorRegistry, Registry } from 'prom-client';
import { toAsyncProfileStore } from '../storage/async-store';
import { sinkNames, startForwarder, startIngest } from './collector';
import type { CollectorConfig } from './config';
import { createLmdbStore } from './lmdb-store';
import { createTargetResolver, type DeleteProfileResult } from './profile-projector';
import { createProfileService } from './profile-routes';
import { registerSinkGauges } from './metrics';

/**
 * `tailor collector --workers N`: N processes share the port (node:cluster hands out connections) and
 * append to the same LMDB environment, which serializes their write transactions; the primary runs the
 * outbox and compaction. Each process validates and encodes on its own core, so ingest scales with cores.
 *
 * Messages between them are small objects tagged `tailor`: a worker says `appended` (at most every few
 * ms) to wake the outbox, and asks for `metrics`, which the primary answers with the cluster's
 * aggregated text; `delete-profile` hands an erasure to the profile projector, which runs in the primary;
 * the primary sends `shutdown`.
 */
type Message =
  | { tailor: 'appended' }
  | { tailor: 'metrics'; id: number }
  | { tailor: 'metrics-reply'; id: number; text: string }
  | { tailor: 'delete-profile'; id: number; sourceId: string; target: string }
  | { tailor: 'delete-profile-reply'; id: number; result: DeleteProfileResult }
  | { tailor: 'shutdown' };

function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && typeof (value as { tailor?: unknown }).tailor === 'string';
}

export interface ClusterOptions {
  readonly workers: number;
  readonly logger: Logger;
  readonly configDir?: string;
  /** Called once every worker listens, with the shared URL. */
  readonly onListening: (url: string) => void;
}

/** Runs in the primary: forks the workers, forwards the log, aggregates metrics, shuts down in order. */
export async function runClusterPrimary(config: CollectorConfig, options: ClusterOptions): Promise<{ close(): Promise<void> }> {
  const { logger } = options;
  mkdirSync(config.dataDir, { recursive: true });
  const store = createLmdbStore({ dataDir: config.dataDir, dedupWindowMs: config.dedupWindow, multiProcess: true });
  const forwarder = startForwarder(config, { logger, store });
  const primaryMetrics = new Registry();
  registerSinkGauges(primaryMetrics, () => forwarder.outbox.status().map(({ sink, lag, healthy }) => ({ sink, lag, healthy })));
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let listening = 0;

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.tailor === 'appended') forwarder.outbox.notify();
    else if (message.tailor === 'delete-profile') {
      forwarder.projector.deleteProfile(message.sourceId, message.target).then(
        (result) => worker.send({ tailor: 'delete-profile-reply', id: message.id, result } satisfies Message),
        (error: unknown) => {
          logger.error({ err: error, source: message.sourceId }, 'profile deletion failed');
          worker.send({ tailor: 'delete-profile-reply', id: message.id, result: { status: 'failed', message: (error as Error).message } } satisfies Message);
        },
      );
    }
    else if (message.tailor === 'metrics') {
      Promise.all([aggregator.clusterMetrics(), primaryMetrics.metrics()]).then(
        ([workers, own]) => worker.send({ tailor: 'metrics-reply', id: message.id, text: `${workers}\n${own}` } satisfies Message),
        (error: unknown) => worker.send({ tailor: 'metrics-reply', id: message.id, text: `# metrics unavailable: ${(error as Error).message}\n` } satisfies Message),
      );
    }
  };
  const fork = () => cluster.fork({ TAILOR_CLUSTER_WORKERS: String(options.workers) });
  cluster.on('message', onMessage);
  cluster.on('listening', (_worker, address) => {
    listening++;
    if (listening === options.workers) {
      const host = address.address === undefined || address.address === null ? config.host : address.address;
      options.onListening(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal }, 'collector worker died; starting another');
    fork();
  });
  for (let i = 0; i < options.workers; i++) fork();

  return {
    async close() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              const timer = setTimeout(() => worker.kill('SIGKILL'), 35_000);
              worker.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              worker.send({ tailor: 'shutdown' } satisfies Message);
            }),
        ),
      );
      await forwarder.close(5_000);
      await store.close();
    },
  };
}

/** Runs in each worker: the HTTP half of the collector on the shared port. */
export async function runClusterWorker(config: CollectorConfig, options: Omit<ClusterOptions, 'onListening'>): Promise<void> {
  const { logger } = options;
  const store = createLmdbStore({ dataDir: config.dataDir, dedupWindowMs: config.dedupWindow, multiProcess: true });
  let wakePending = false;
  const pendingMetrics = new Map<number, (text: string) => void>();
  const pendingDeletes = new Map<number, (result: DeleteProfileResult) => void>();
  let nextId = 0;
  const send = (message: Message) => {
    if (process.connected) process.send?.(message);
  };
  const ingest = await startIngest(config, {
    logger,
    store,
    ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
    sinkNames: sinkNames(config),
    rateShare: 1 / options.workers,
    onAppended: () => {
      // One wakeup per few ms is enough for the outbox; a message per request would cost more than it saves.
      if (wakePending) return;
      wakePending = true;
      setTimeout(() => {
        wakePending = false;
        send({ tailor: 'appended' });
      }, 2);
    },
    profiles: createProfileService(
      toAsyncProfileStore(store.profiles),
      createTargetResolver(config.identity),
      (sourceId, target) =>
        new Promise<DeleteProfileResult>((resolve) => {
          const id = ++nextId;
          pendingDeletes.set(id, resolve);
          send({ tailor: 'delete-profile', id, sourceId, target });
        }),
    ),
    metricsText: () =>
      new Promise<string>((resolve) => {
        const id = ++nextId;
        const timer = setTimeout(() => {
          pendingMetrics.delete(id);
          resolve('# metrics unavailable: the primary did not answer in 5 s\n');
        }, 5_000);
        pendingMetrics.set(id, (text) => {
          clearTimeout(timer);
          resolve(text);
        });
        send({ tailor: 'metrics', id });
      }),
  });
  // The primary aggregates this worker's registry when asked for cluster metrics; constructing an
  // AggregatorRegistry is what installs prom-client's answering listener in a worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([ingest.metrics.registry]);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ pid: process.pid, why }, 'collector worker stopping');
    await ingest.close();
    await store.close();
    process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.tailor === 'shutdown') void stop('shutdown');
    else if (message.tailor === 'metrics-reply') pendingMetrics.get(message.id)?.(message.text);
    else if (message.tailor === 'delete-profile-reply') {
      pendingDeletes.get(message.id)?.(message.result);
      pendingDeletes.delete(message.id);
    }
  });
  // A primary killed with SIGKILL leaves its workers disconnected: they stop rather than run unsupervised.
  process.on('disconnect', () => void stop('primary gone'));
  process.on('SIGTERM', () => undefined); // the primary coordinates shutdown
  process.on('SIGINT', () => undefined);
}

export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env.TAILOR_CLUSTER_WORKERS !== undefined;
}

export function clusterWorkerCount(): number {
  return Number(process.env.TAILOR_CLUSTER_WORKERS ?? 1);
}
