import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEventValidator, type EventValidator, type Logger } from '@tailor/core';
import { toAsyncEventStore, toAsyncProfileStore, type AsyncProfileStore } from '../storage/async-store';
import { createKeyRing } from './auth';
import type { CollectorConfig, Source } from './config';
import { createHandler, type Handler } from './handler';
import { createNodeListener, toFetchHandler } from './http-adapter';
import { createDecisionService, loadSourceDecisions, type DecisionServiceOptions, type SourceDecisions } from './decisions';
import { createDriftMonitor, driftModelsOf, registerDriftGauges, type DriftMonitor } from './drift-monitor';
import { profileFeatures } from './features';
import { createJetStreamSink, subjectToken } from './jetstream-sink';
import { createLmdbStore } from './lmdb-store';
import { createCollectorMetrics, type CollectorMetrics } from './metrics';
import { createOutbox, type Outbox } from './outbox';
import { loadTrackingPlan } from './plans';
import { createRateLimiter } from './rate-limit';
import { createProfileProjector, createTargetResolver, PROFILES_SINK, type ProfileProjector } from './profile-projector';
import { createProfileService, type ProfileService } from './profile-routes';
import type { CollectorStore } from './profile-store';
import type { Sink } from './types';
import { createWebhookSink } from './webhook-sink';

export interface Collector {
  /** `http://host:port` once listening. */
  readonly url: string;
  readonly port: number;
  readonly handler: Handler;
  /** The Web-standard form of the handler, for in-process tests. */
  readonly fetch: (request: Request) => Promise<Response>;
  readonly store: CollectorStore;
  readonly outbox: Outbox;
  readonly projector: ProfileProjector;
  readonly metrics: CollectorMetrics;
  /** Stops accepting, finishes in-flight requests, gives sinks `drainMs` to catch up, closes the store. */
  close(options?: { drainMs?: number }): Promise<void>;
}

export interface StartCollectorOptions {
  readonly logger: Logger;
  /** Directory that relative paths in the config (plans) are resolved from. */
  readonly configDir?: string;
  /** Sinks to use instead of those in the config (tests). */
  readonly sinks?: readonly Sink[];
  readonly now?: () => number;
}

/** How often retention and dedup expiry run. */
const COMPACT_EVERY_MS = 60_000;
/** Seconds a client is asked to wait while a sink is too far behind. */
const BACKLOG_RETRY_AFTER_S = 5;

/** Names of the outbox's loops: the configured sinks and the profile projector. */
export function sinkNames(config: CollectorConfig): string[] {
  const names: string[] = [];
  if (config.sinks.jetstream) names.push(`jetstream:${config.sinks.jetstream.stream}`);
  if (config.sinks.webhook) {
    const target = new URL(config.sinks.webhook.url);
    names.push(`webhook:${target.host}${target.pathname}`);
  }
  return [...names, PROFILES_SINK];
}

/** The configured sinks. Building one connects nothing: JetStream connects on its first send. */
export function createConfiguredSinks(config: CollectorConfig, logger: Logger): Sink[] {
  const sinks: Sink[] = [];
  const js = config.sinks.jetstream;
  if (js) {
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
  const hook = config.sinks.webhook;
  if (hook) sinks.push(createWebhookSink({ url: hook.url, headers: hook.headers, batchSize: hook.batchSize }));
  return sinks;
}

export interface Forwarder {
  readonly store: CollectorStore;
  readonly outbox: Outbox;
  /** The configured sinks and the profile projector (the outbox drives both). */
  readonly sinks: readonly Sink[];
  readonly projector: ProfileProjector;
  close(drainMs: number): Promise<void>;
}

/**
 * The half of a collector that owns the log's way out: the outbox to the sinks and periodic compaction.
 * In a single process it shares the store with ingestion; with `--workers N` it runs in the primary.
 */
export function startForwarder(config: CollectorConfig, options: StartCollectorOptions & { readonly store: CollectorStore }): Forwarder {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const projector = createProfileProjector({
    events: toAsyncEventStore(store),
    profiles: toAsyncProfileStore(store.profiles),
    decisionLog: store.decisionLog,
    logger,
    identity: config.identity,
    now,
    onChange: (sourceId, change) => {
      if (change.type === 'merged') return;
      logger.info({ source: sourceId, change: change.type, profileIds: 'profileIds' in change ? change.profileIds : undefined }, 'identity change');
    },
  });
  void projector.start().catch((error: unknown) => logger.error({ err: error }, 'rebuilding the identity graphs failed'));
  const sinks = [...(options.sinks ? [...options.sinks] : createConfiguredSinks(config, logger)), projector];
  const outbox = createOutbox({ store, sinks, logger });
  outbox.start();
  const retention = {
    ...(config.retention.maxAge === undefined ? {} : { maxAgeMs: config.retention.maxAge }),
    ...(config.retention.maxEvents === undefined ? {} : { maxEvents: config.retention.maxEvents }),
  };
  const compaction = setInterval(() => {
    store
      .compact(now(), retention, sinks.map((sink) => sink.name))
      .then((removed) => {
        if (removed.removedEvents + removed.removedDedup > 0) logger.info(removed, 'compacted the store');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'compaction failed'));
  }, COMPACT_EVERY_MS);
  compaction.unref();
  return {
    store,
    outbox,
    sinks,
    projector,
    async close(drainMs) {
      clearInterval(compaction);
      if (sinks.length > 0 && drainMs > 0) await outbox.drain(drainMs);
      await outbox.stop();
      await Promise.allSettled(sinks.map((sink) => sink.close()));
    },
  };
}

/**
 * Watches the live features and scores of every model that carries training reference bins (`tailor train`
 * writes them into the ONNX metadata) and exposes PSI/KS and a drift status on /metrics.
 */
function createSourceDriftMonitor(sources: ReadonlyMap<string, SourceDecisions>, settings: CollectorConfig['drift'], logger: Logger): DriftMonitor | undefined {
  const models = [];
  const seen = new Set<string>();
  for (const source of sources.values()) {
    const { models: watched, skipped } = driftModelsOf(source.scorers);
    for (const model of watched) {
      if (seen.has(model.id)) continue; // two sources sharing a model file: watch it once
      seen.add(model.id);
      models.push(model);
    }
    for (const skip of skipped) logger.info({ source: source.sourceId, model: skip.model, reason: skip.reason }, 'model not watched for drift');
  }
  return models.length === 0 ? undefined : createDriftMonitor({ models, thresholds: { warn: settings.warn, alert: settings.alert }, minCount: settings.minCount, windowMs: settings.window });
}

export interface IngestServer {
  readonly url: string;
  readonly port: number;
  readonly handler: Handler;
  readonly metrics: CollectorMetrics;
  /** Stops accepting and waits for the requests in flight to be answered. */
  close(): Promise<void>;
}

export interface IngestOptions {
  readonly logger: Logger;
  readonly store: CollectorStore;
  readonly configDir?: string;
  readonly now?: () => number;
  /** Names of the sinks whose cursors bound how far ingestion may run ahead of them. */
  readonly sinkNames: readonly string[];
  /** Called after each append that stored something (wakes the outbox, here or in another process). */
  readonly onAppended: () => void;
  /** Per-sink status for the metrics, where the outbox runs in this process. */
  readonly sinkStatus?: () => ReadonlyArray<{ sink: string; lag: number; healthy: boolean }>;
  /** The text `/metrics` serves; defaults to this process's registry (a cluster worker asks its primary). */
  readonly metricsText?: () => Promise<string>;
  /** This process's share of each source's rate limit (1 / number of worker processes). */
  readonly rateShare?: number;
  /** Profile reads and erasure for `/v1/profiles/:id`. */
  readonly profiles?: ProfileService;
  /** False where accepted events do not go to `store` (cluster mode): /metrics then reports no local log size. */
  readonly localLog?: boolean;
  /** Offer outcomes not in the profiles yet, for frequency caps (cluster mode: Redis). */
  readonly recentOutcomes?: DecisionServiceOptions['recentOutcomes'];
  /** Where decisions look people up; default the store's own profiles (cluster mode: the shared store). */
  readonly profileReader?: Pick<AsyncProfileStore, 'findProfile'>;
}

/** The HTTP half of a collector: handler, validators, rate limits and the node:http server. */
export async function startIngest(config: CollectorConfig, options: IngestOptions): Promise<IngestServer> {
  const { logger, store } = options;
  const now = options.now ?? Date.now;
  const sources: Source[] = [];
  for (const source of config.sources) {
    sources.push(source.plan === undefined ? source : { ...source, trackingPlan: await loadTrackingPlan(source.plan, options.configDir ?? process.cwd()) });
  }
  const decisionSources = new Map<string, SourceDecisions>();
  for (const source of sources) {
    if (source.decisions !== undefined) decisionSources.set(source.id, loadSourceDecisions(source.id, source.decisions, options.configDir ?? process.cwd()));
  }
  const drift = createSourceDriftMonitor(decisionSources, config.drift, logger);
  const decisions =
    decisionSources.size === 0
      ? undefined
      : createDecisionService({
          profiles: options.profileReader ?? toAsyncProfileStore(store.profiles),
          ...(options.recentOutcomes === undefined ? {} : { recentOutcomes: options.recentOutcomes }),
          sources: decisionSources,
          features: profileFeatures,
          log: (sourceId, record) => store.decisionLog.append(sourceId, record),
          candidateSampleRate: config.decisionLog.candidateSampleRate,
          ...(drift === undefined ? {} : { onScored: (modelId, features, scores) => drift.observe(modelId, features, scores) }),
          now,
          onProfileError: (error, sourceId) => logger.warn({ err: error, source: sourceId }, 'profile lookup failed; deciding without the profile'),
        });
  const validators = new Map<string, EventValidator>(
    sources.map((source) => [source.id, createEventValidator({ ...(source.trackingPlan ? { plan: source.trackingPlan } : {}), limits: config.limits })]),
  );
  const metrics = createCollectorMetrics({
    ...(options.localLog === false ? {} : { logEvents: () => store.stats().events, logBytes: () => store.stats().bytes }),
    ...(options.sinkStatus ? { sinkLag: options.sinkStatus } : {}),
  });
  if (drift !== undefined) registerDriftGauges(metrics.registry, drift);
  const share = options.rateShare ?? 1;
  let closing = false;
  const handler = createHandler({
    config,
    keys: createKeyRing(sources),
    validators,
    store,
    limiter: createRateLimiter((id) => {
      const limit = sources.find((source) => source.id === id)?.rateLimit ?? { perSecond: 1, burst: 1 };
      return { perSecond: limit.perSecond * share, burst: Math.max(1, limit.burst * share) };
    }),
    metrics,
    logger,
    now,
    overloaded: () => {
      if (options.sinkNames.length === 0) return undefined;
      const last = store.lastSeq();
      for (const sink of options.sinkNames) if (last - store.getCursor(sink) > config.maxSinkLag) return BACKLOG_RETRY_AFTER_S;
      return undefined;
    },
    appended: options.onAppended,
    ready: () => !closing,
    ...(options.metricsText ? { metricsText: options.metricsText } : {}),
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(decisions ? { decisions } : {}),
  });

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
  return {
    url,
    port: address.port,
    handler,
    metrics,
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // In-flight requests finish (their appends commit and they get their answers) before the store closes.
      const deadline = Date.now() + 30_000;
      while (listener.pending() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      server.closeAllConnections();
      await stopped;
    },
  };
}

/**
 * Starts a collector in this process: LMDB store in `config.dataDir`, the outbox to the configured sinks,
 * and an HTTP server on `config.host:config.port` (port 0 picks a free one).
 *
 * @example
 * const collector = await startCollector(parseCollectorConfig({ sources: [{ id: 'web', writeKeys: ['wk_web_123'] }] }), { logger: pino() });
 */
export async function startCollector(config: CollectorConfig, options: StartCollectorOptions): Promise<Collector> {
  const { logger } = options;
  mkdirSync(config.dataDir, { recursive: true });
  const store = createLmdbStore({ dataDir: config.dataDir, dedupWindowMs: config.dedupWindow });
  const forwarder = startForwarder(config, { ...options, store });
  const ingest = await startIngest(config, {
    logger,
    store,
    ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
    ...(options.now === undefined ? {} : { now: options.now }),
    sinkNames: forwarder.sinks.map((sink) => sink.name),
    onAppended: () => forwarder.outbox.notify(),
    sinkStatus: () => forwarder.outbox.status().map(({ sink, lag, healthy }) => ({ sink, lag, healthy })),
    profiles: createProfileService(toAsyncProfileStore(store.profiles), createTargetResolver(config.identity), (sourceId, target) => forwarder.projector.deleteProfile(sourceId, target)),
  }).catch(async (error: unknown) => {
    await forwarder.close(0);
    await store.close();
    throw error;
  });
  logger.info({ url: ingest.url, dataDir: config.dataDir, sources: config.sources.map((s) => s.id), sinks: forwarder.sinks.map((s) => s.name) }, 'collector listening');
  let closed = false;
  return {
    url: ingest.url,
    port: ingest.port,
    handler: ingest.handler,
    fetch: toFetchHandler(ingest.handler, '127.0.0.1'),
    store,
    outbox: forwarder.outbox,
    projector: forwarder.projector,
    metrics: ingest.metrics,
    async close({ drainMs = 5_000 } = {}) {
      if (closed) return;
      closed = true;
      await ingest.close();
      await forwarder.close(drainMs);
      await store.close();
      logger.info({ url: ingest.url }, 'collector stopped');
    },
  };
}
