import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEventValidator, type EventValidator, type Logger } from '@tailor/core';
import { createKeyRing } from './auth';
import type { CollectorConfig, Source } from './config';
import { createHandler, type Handler } from './handler';
import { createNodeListener, toFetchHandler } from './http-adapter';
import { createJetStreamSink, subjectToken } from './jetstream-sink';
import { createLmdbStore } from './lmdb-store';
import { createCollectorMetrics, type CollectorMetrics } from './metrics';
import { createOutbox, type Outbox } from './outbox';
import { loadTrackingPlan } from './plans';
import { createRateLimiter } from './rate-limit';
import type { EventStore, Sink } from './types';
import { createWebhookSink } from './webhook-sink';

export interface Collector {
  /** `http://host:port` once listening. */
  readonly url: string;
  readonly port: number;
  readonly handler: Handler;
  /** The Web-standard form of the handler, for in-process tests. */
  readonly fetch: (request: Request) => Promise<Response>;
  readonly store: EventStore;
  readonly outbox: Outbox;
  readonly metrics: CollectorMetrics;
  /** Stops accepting, finishes in-flight requests, gives sinks `drainMs` to catch up, closes the store. */
  close(options?: { drainMs?: number }): Promise<void>;
}

export interface StartCollectorOptions {
  readonly logger: Logger & { child?: unknown };
  /** Directory that relative paths in the config (plans) are resolved from. */
  readonly configDir?: string;
  /** Sinks to use instead of those in the config (tests). */
  readonly sinks?: readonly Sink[];
  readonly now?: () => number;
}

/** How often retention and dedup expiry run. */
const COMPACT_EVERY_MS = 60_000;

/**
 * Starts a collector on one machine: LMDB store in `config.dataDir`, the outbox to the configured sinks,
 * and an HTTP server on `config.host:config.port` (port 0 picks a free one).
 *
 * @example
 * const collector = await startCollector(parseCollectorConfig({ sources: [{ id: 'web', writeKeys: ['wk_web_123'] }] }), { logger: pino() });
 */
export async function startCollector(config: CollectorConfig, options: StartCollectorOptions): Promise<Collector> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const sources: Source[] = [];
  for (const source of config.sources) {
    sources.push(source.plan === undefined ? source : { ...source, trackingPlan: await loadTrackingPlan(source.plan, options.configDir ?? process.cwd()) });
  }
  const validators = new Map<string, EventValidator>(
    sources.map((source) => [source.id, createEventValidator({ ...(source.trackingPlan ? { plan: source.trackingPlan } : {}), limits: config.limits })]),
  );

  mkdirSync(config.dataDir, { recursive: true });
  const store = createLmdbStore({ dataDir: config.dataDir, dedupWindowMs: config.dedupWindow });
  const sinks: Sink[] = options.sinks ? [...options.sinks] : [];
  if (!options.sinks && config.sinks.jetstream) {
    const js = config.sinks.jetstream;
    sinks.push(
      createJetStreamSink({
        servers: js.servers,
        stream: js.stream,
        subjects: [`${js.subjectPrefix}.>`],
        subject: (stored) => `${js.subjectPrefix}.${subjectToken(stored.sourceId)}.${stored.event.type}`,
        replicas: js.replicas,
        duplicateWindowMs: js.duplicateWindow,
        logger,
      }),
    );
  }
  if (!options.sinks && config.sinks.webhook) {
    const hook = config.sinks.webhook;
    sinks.push(createWebhookSink({ url: hook.url, headers: hook.headers, batchSize: hook.batchSize }));
  }
  const outbox = createOutbox({ store, sinks, logger });
  const metrics = createCollectorMetrics({
    logEvents: () => store.stats().events,
    logBytes: () => store.stats().bytes,
    sinkLag: () => outbox.status().map(({ sink, lag, healthy }) => ({ sink, lag, healthy })),
  });
  let closing = false;
  const handler = createHandler({
    config,
    keys: createKeyRing(sources),
    validators,
    store,
    limiter: createRateLimiter((id) => sources.find((source) => source.id === id)?.rateLimit ?? { perSecond: 1, burst: 1 }),
    metrics,
    logger,
    now,
    overloaded: () => (sinks.length > 0 && outbox.lag() > config.maxSinkLag ? 5 : undefined),
    appended: () => outbox.notify(),
    ready: () => !closing,
  });
  outbox.start();

  const compaction = setInterval(() => {
    store
      .compact(now(), { ...(config.retention.maxAge === undefined ? {} : { maxAgeMs: config.retention.maxAge }), ...(config.retention.maxEvents === undefined ? {} : { maxEvents: config.retention.maxEvents }) }, sinks.map((sink) => sink.name))
      .then((removed) => {
        if (removed.removedEvents + removed.removedDedup > 0) logger.info(removed, 'compacted the store');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'compaction failed'));
  }, COMPACT_EVERY_MS);
  compaction.unref();

  const listener = createNodeListener(handler, { maxBodyBytes: config.limits.maxBatchBytes });
  const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, dataDir: config.dataDir, sources: sources.map((s) => s.id), sinks: sinks.map((s) => s.name) }, 'collector listening');

  return {
    url,
    port: address.port,
    handler,
    fetch: toFetchHandler(handler, '127.0.0.1'),
    store,
    outbox,
    metrics,
    async close({ drainMs = 5_000 } = {}) {
      if (closing) return;
      closing = true;
      clearInterval(compaction);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // In-flight requests finish (their appends commit and they get their answers) before the store closes.
      const deadline = Date.now() + 30_000;
      while (listener.pending() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      server.closeAllConnections();
      await stopped;
      if (sinks.length > 0 && drainMs > 0) await outbox.drain(drainMs);
      await outbox.stop();
      await Promise.allSettled(sinks.map((sink) => sink.close()));
      await store.close();
      logger.info({ url }, 'collector stopped');
    },
  };
}
