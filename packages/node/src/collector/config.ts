import { SEGMENT_LIMITS, TailorError, type TrackingPlan } from '@tailor/core';
import * as z from 'zod';
import { parseDuration } from './duration';

const duration = (what: string) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} must be a duration such as "30s", "15m", "24h", "7d" or a number of milliseconds` });
      return z.NEVER;
    }
    return ms;
  });

const ORIGIN = /^(\*|https?:\/\/(\*\.)?[a-z0-9.-]+(:\d+)?)$/i;

export const sourceConfigSchema = z.strictObject({
  /** Names the source in logs, metrics, the store and JetStream subjects. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'source id must be 1-64 letters, digits, "_" or "-", starting with a letter or digit'),
  /** Public write keys (browsers, apps): they identify the source, they do not prove anything. */
  writeKeys: z.array(z.string().min(8, 'write keys must be at least 8 characters')).default([]),
  /** Secret keys for backend sources; a request signed with one may set context.ip itself. */
  secretKeys: z.array(z.string().min(24, 'secret keys must be at least 24 characters')).default([]),
  /** Browser origins allowed to send (CORS); `*` for any. Default: any. */
  allowedOrigins: z.array(z.string().regex(ORIGIN, 'origins look like "https://shop.example", "https://*.shop.example" or "*"')).default(['*']),
  /** Token bucket per source: sustained requests per second and burst size (default 10,000/s, burst 20,000). */
  rateLimit: z.strictObject({ perSecond: z.number().positive(), burst: z.number().positive() }).default({ perSecond: 10_000, burst: 20_000 }),
  /**
   * Require requests made with a secret key to carry an `x-tailor-signature` HMAC of the body (POS gateways,
   * backends): a tampered or replayed batch is refused. A signature that is present is always checked.
   */
  requireSignature: z.boolean().default(false),
  /** Path of a module whose default export is a tracking plan (`defineTrackingPlan(...)`); default: the retail catalog. */
  plan: z.string().optional(),
  /** Path of the source's decision config (JSON: offers, placements, policies, models, experiments); enables /v1/decide. */
  decisions: z.string().optional(),
}).refine((source) => source.writeKeys.length + source.secretKeys.length > 0, { message: 'a source needs at least one write key or secret key', path: ['writeKeys'] });

/** Where a cluster's collectors and processors meet: JetStream for the log, PostgreSQL (and Redis) for state. */
export const clusterConfigSchema = z.strictObject({
  nats: z.union([z.string().regex(/^(nats|tls):\/\//, 'NATS URLs look like "nats://127.0.0.1:4222"'), z.array(z.string().regex(/^(nats|tls):\/\//, 'NATS URLs look like "nats://127.0.0.1:4222"')).min(1)]),
  postgres: z.string().regex(/^postgres(ql)?:\/\//, 'the PostgreSQL URL looks like "postgres://user@127.0.0.1:5432/tailor"'),
  /** Schema of the shared tables; give each cluster its own. */
  schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'schema must be a lowercase SQL identifier').default('tailor'),
  /** Redis for hot profile reads, e.g. "redis://127.0.0.1:6379". Without it decisions read PostgreSQL. */
  redis: z.string().regex(/^rediss?:\/\//, 'the Redis URL looks like "redis://127.0.0.1:6379"').optional(),
  stream: z.string().regex(/^[A-Za-z0-9_-]+$/, 'stream names are letters, digits, "_" and "-"').default('TAILOR_INGEST'),
  subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'subjectPrefix is dot-separated tokens, e.g. "tailor.ingest"').default('tailor.ingest'),
  /** Identity partitions of the stream: the most processors that can share ingestion. Fixed once the stream exists. */
  partitions: z.number().int().min(1).max(1024).default(16),
  /** Stream replicas (3 on a three-node JetStream cluster: an ack then means a majority has the event). */
  replicas: z.number().int().min(1).max(5).default(1),
  /** JetStream's dedup window for client retries; PostgreSQL's dedup (dedupWindow) backs it for longer ones. */
  duplicateWindow: duration('cluster.duplicateWindow').default(600_000),
  /** How long the stream keeps events: how long processors may be down without losing any. */
  maxAge: duration('cluster.maxAge').default(7 * 86_400_000),
});

export type ClusterConfig = z.output<typeof clusterConfigSchema>;

export const collectorConfigSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8787),
  dataDir: z.string().min(1).default('./.tailor-data'),
  sources: z.array(sourceConfigSchema).min(1, 'configure at least one source (or pass --write-key)'),
  limits: z
    .strictObject({
      maxEventBytes: z.number().int().positive().default(SEGMENT_LIMITS.maxEventBytes),
      maxBatchBytes: z.number().int().positive().default(SEGMENT_LIMITS.maxBatchBytes),
      maxBatchEvents: z.number().int().positive().default(SEGMENT_LIMITS.maxBatchEvents),
    })
    .default({ maxEventBytes: SEGMENT_LIMITS.maxEventBytes, maxBatchBytes: SEGMENT_LIMITS.maxBatchBytes, maxBatchEvents: SEGMENT_LIMITS.maxBatchEvents }),
  dedupWindow: duration('dedupWindow').default(86_400_000),
  /** Zero the last octet of IPv4 (last 80 bits of IPv6) before storing. */
  anonymizeIp: z.boolean().default(false),
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  trustProxy: z.boolean().default(false),
  retention: z.strictObject({ maxAge: duration('retention.maxAge').optional(), maxEvents: z.number().int().positive().optional() }).default({}),
  sinks: z
    .strictObject({
      jetstream: z
        .strictObject({
          servers: z.union([z.string(), z.array(z.string()).min(1)]),
          stream: z.string().regex(/^[A-Za-z0-9_-]+$/, 'stream names are letters, digits, "_" and "-"').default('TAILOR_EVENTS'),
          subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'subjectPrefix is dot-separated tokens, e.g. "tailor.events"').default('tailor.events'),
          replicas: z.number().int().min(1).max(5).default(1),
          duplicateWindow: duration('sinks.jetstream.duplicateWindow').default(86_400_000),
        })
        .optional(),
      webhook: z.strictObject({ url: z.url(), headers: z.record(z.string(), z.string()).default({}), batchSize: z.number().int().positive().default(100) }).optional(),
    })
    .default({}),
  /**
   * Cluster mode (`tailor collector --mode cluster`, `tailor processor`): collectors publish to a JetStream
   * stream partitioned by identity and answer once JetStream has acked; processors apply it to PostgreSQL.
   */
  cluster: clusterConfigSchema.optional(),
  /** How events are resolved to people (see @tailor/core's identity graph for the rules and guards). */
  identity: z
    .strictObject({
      /** Keep email and phone keys as SHA-256 digests, so keys and tombstones hold no plain contact data. */
      hashIdentifiers: z.boolean().default(true),
      /** Country calling code for phone numbers written without one, e.g. "44". */
      defaultCountryCode: z.string().regex(/^[1-9][0-9]{0,2}$/, 'defaultCountryCode is a calling code such as "1" or "44"').optional(),
      /** What `alias.previousId` is: an anonymousId (browser) or an older userId (server-side renames). */
      aliasPreviousIdType: z.enum(['anonymousId', 'userId']).default('anonymousId'),
      /** The most identifiers one profile may hold before joins are refused. */
      maxClusterSize: z.number().int().min(2).optional(),
    })
    .default({ hashIdentifiers: true, aliasPreviousIdType: 'anonymousId' }),
  /** What the decision log keeps: every decision, and for this share of them every candidate too (off-policy evaluation samples). */
  decisionLog: z.strictObject({ candidateSampleRate: z.number().min(0).max(1).default(0.1) }).default({ candidateSampleRate: 0.1 }),
  /** Drift monitoring of models that carry training reference bins (PSI per feature and score on /metrics). */
  drift: z
    .strictObject({
      /** PSI at which a feature or score is reported as `warn` (1) and `alert` (2). */
      warn: z.number().positive().default(0.1),
      alert: z.number().positive().default(0.25),
      /** Values a feature needs in the window before its PSI is published. */
      minCount: z.number().int().positive().default(200),
      /** Figures cover the last one to two windows of traffic. */
      window: duration('drift.window').default(86_400_000),
    })
    .refine((drift) => drift.alert >= drift.warn, { message: 'drift.alert must be >= drift.warn', path: ['alert'] })
    .default({ warn: 0.1, alert: 0.25, minCount: 200, window: 86_400_000 }),
  /** Ingestion answers 503 once a sink is this many events behind (the local log keeps everything). */
  maxSinkLag: z.number().int().positive().default(1_000_000),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).default({ level: 'info' }),
});

/** What a processor reads from a collector config: the cluster, identity rules, dedup window and log level. */
export const processorConfigSchema = collectorConfigSchema.pick({ identity: true, dedupWindow: true, log: true }).extend({ cluster: clusterConfigSchema });

export type ProcessorConfig = z.output<typeof processorConfigSchema>;

/**
 * Validates a processor's settings; keys a processor has no use for (sources, sinks, port…) are ignored, so a
 * cluster's collectors and processors can share one config file.
 */
export function parseProcessorConfig(input: Record<string, unknown>, origin = 'config'): ProcessorConfig {
  const relevant = Object.fromEntries(Object.entries(input).filter(([key]) => key in processorConfigSchema.shape));
  const result = processorConfigSchema.safeParse(relevant);
  if (result.success) return result.data;
  throw configError(origin, issueLines(result.error.issues), 'processor');
}

export type CollectorConfigInput = z.input<typeof collectorConfigSchema>;
export type CollectorConfig = z.output<typeof collectorConfigSchema>;
export type SourceConfig = z.output<typeof sourceConfigSchema>;

/** A source as the collector runs it: config plus its loaded tracking plan. */
export interface Source extends SourceConfig {
  readonly trackingPlan?: TrackingPlan;
}

/**
 * Validates a collector config and explains every problem at once, one line per field, e.g.
 * `sources[0].writeKeys[0]: write keys must be at least 8 characters`.
 */
export function parseCollectorConfig(input: unknown, origin = 'config'): CollectorConfig {
  const result = collectorConfigSchema.safeParse(input);
  if (result.success) {
    const ids = new Set<string>();
    const keys = new Map<string, string>();
    for (const source of result.data.sources) {
      if (ids.has(source.id)) throw configError(origin, [`sources: the id "${source.id}" is used twice`]);
      ids.add(source.id);
      for (const key of [...source.writeKeys, ...source.secretKeys]) {
        const owner = keys.get(key);
        if (owner !== undefined) throw configError(origin, [`sources: a key is shared by "${owner}" and "${source.id}"; each key must name one source`]);
        keys.set(key, source.id);
      }
    }
    return result.data;
  }
  throw configError(origin, issueLines(result.error.issues));
}

function issueLines(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
    return `${path || '(root)'}: ${issue.message}`;
  });
}

function configError(origin: string, lines: string[], kind: 'collector' | 'processor' = 'collector'): TailorError {
  return new TailorError('invalid_config', `${origin} is not a valid ${kind} config:\n  - ${lines.join('\n  - ')}`);
}
