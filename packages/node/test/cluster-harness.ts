import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { POSTGRES_URL, REDIS_URL } from '../../test-utils/src/cluster-services';
import { basicAuth, WRITE_KEY } from './collector-harness';
import { killHard, spawnTailor, type CollectorProcess } from './collector-process';
import { dropSchema, freshSchema } from './storage-helpers';

export const SECRET = 'sk_cluster_0123456789abcdefghij';
const DECISIONS = fileURLToPath(new URL('../../../examples/collector/decisions.json', import.meta.url));

/**
 * A cluster of real `tailor collector --mode cluster` and `tailor processor` child processes sharing one
 * config: the machine's NATS, a fresh PostgreSQL schema, Redis, and a stream of their own.
 */
export interface ClusterFixture {
  readonly dir: string;
  readonly schema: string;
  readonly connectionString: string;
  readonly stream: string;
  readonly collectors: CollectorProcess[];
  readonly processors: CollectorProcess[];
  startCollector(): Promise<CollectorProcess>;
  startProcessor(): Promise<CollectorProcess>;
  /** Rows of the shared log, in seq order. */
  storedEvents(): Promise<Array<{ seq: number; messageId: string; anonymousId: string | null; i: number | null }>>;
  /** SIGKILLs every process, drops the schema and the stream. */
  destroy(): Promise<void>;
}

export async function createClusterFixture(options: { connectionString?: string; partitions?: number; redis?: boolean } = {}): Promise<ClusterFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tailor-cluster-'));
  const schema = freshSchema();
  const id = randomBytes(5).toString('hex');
  const stream = `TAILOR_CLUSTER_TEST_${id.toUpperCase()}`;
  const connectionString = options.connectionString ?? POSTGRES_URL;
  const config = join(dir, 'tailor.cluster.json');
  writeFileSync(
    config,
    JSON.stringify({
      sources: [{ id: 'shop', writeKeys: [WRITE_KEY], secretKeys: [SECRET], decisions: DECISIONS, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } }],
      cluster: {
        nats: 'nats://127.0.0.1:4222',
        postgres: connectionString,
        schema,
        ...(options.redis === false ? {} : { redis: REDIS_URL }),
        stream,
        subjectPrefix: `tailortest.cluster${id}`,
        partitions: options.partitions ?? 8,
        maxAge: '1h',
      },
    }),
  );
  const collectors: CollectorProcess[] = [];
  const processors: CollectorProcess[] = [];
  let n = 0;
  return {
    dir,
    schema,
    connectionString,
    stream,
    collectors,
    processors,
    async startCollector() {
      const child = await spawnTailor('collector', ['--mode', 'cluster', '--config', config, '--port', '0', '--data-dir', join(dir, `collector-${n++}`)], { timeoutMs: 60_000 });
      collectors.push(child);
      return child;
    },
    async startProcessor() {
      const child = await spawnTailor('processor', ['--config', config, '--port', '0'], { timeoutMs: 60_000 });
      processors.push(child);
      return child;
    },
    async storedEvents() {
      const client = new pg.Client({ connectionString });
      await client.connect();
      try {
        const result = await client.query<{ seq: string; id: string; a: string | null; i: string | null }>(
          `SELECT seq, event->>'messageId' AS id, event->>'anonymousId' AS a, event->'properties'->>'i' AS i FROM ${schema}.events ORDER BY seq`,
        );
        return result.rows.map((row) => ({ seq: Number(row.seq), messageId: row.id, anonymousId: row.a, i: row.i === null ? null : Number(row.i) }));
      } finally {
        await client.end();
      }
    },
    async destroy() {
      await Promise.all([...collectors, ...processors].map((p) => killHard(p.child)));
      await dropSchema(schema, connectionString).catch(() => undefined);
      const { connect } = await import('@nats-io/transport-node');
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A shopper's numbered event: `i` is its place in the shopper's own sequence. */
export function shopperEvent(shopper: number, i: number, run: string) {
  return {
    type: 'track',
    event: 'Product Viewed',
    messageId: `${run}-s${shopper}-${i}`,
    anonymousId: `anon-${run}-${shopper}`,
    ...(i % 5 === 4 ? { userId: `user-${run}-${shopper}` } : {}),
    properties: { i, product_id: `sku-${i % 7}`, price: 10 + (i % 3) },
    timestamp: new Date(Date.UTC(2026, 10, 24, 12, 0, 0) + i * 1000).toISOString(),
  };
}

type Batch = ReadonlyArray<Record<string, unknown>>;

/**
 * Sends lanes of batches, one worker per lane, each batch to the next collector in turn. A lane's batches go
 * one after another (the next only once the last was acknowledged), so a shopper kept in one lane has a
 * causal order that the shared log must keep. A failed batch (dead collector, 5xx) is retried with the same
 * messageIds on the next collector, as a client would. Returns the acknowledged ids.
 */
export async function sendRoundRobin(urls: () => readonly string[], lanes: ReadonlyArray<readonly Batch[]>, options: { onAck?: (count: number) => void } = {}): Promise<Set<string>> {
  const acked = new Set<string>();
  let turn = 0;
  const send = async (batch: Batch) => {
    for (let attempt = 0; ; attempt++) {
      const targets = urls();
      const url = targets[turn++ % targets.length] as string;
      try {
        const response = await fetch(`${url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        if (response.status === 200) {
          for (const event of batch) acked.add(event.messageId as string);
          options.onAck?.(acked.size);
          return;
        }
      } catch {
        // a collector that died mid-request: retry elsewhere
      }
      if (attempt > 200) throw new Error(`batch ${String(batch[0]?.messageId)} was never acknowledged`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await Promise.all(
    lanes.map(async (lane) => {
      for (const batch of lane) await send(batch);
    }),
  );
  return acked;
}

/** `shoppers` shoppers with `perShopper` events each, in `lanes` lanes of batches of `batchSize` (a shopper stays in one lane). */
export function shopperLanes(run: string, shoppers: number, perShopper: number, lanes: number, batchSize: number): Batch[][] {
  const result: Batch[][] = Array.from({ length: lanes }, () => []);
  for (let lane = 0; lane < lanes; lane++) {
    const mine = Array.from({ length: shoppers }, (_, s) => s).filter((s) => s % lanes === lane);
    const events: Array<Record<string, unknown>> = [];
    for (let i = 0; i < perShopper; i++) for (const s of mine) events.push(shopperEvent(s, i, run));
    for (let start = 0; start < events.length; start += batchSize) (result[lane] as Batch[]).push(events.slice(start, start + batchSize));
  }
  return result;
}

/** Events of each shopper in the order the shared log holds them must be in the order they were sent. */
export function outOfOrder(rows: ReadonlyArray<{ anonymousId: string | null; i: number | null }>): string[] {
  const last = new Map<string, number>();
  const problems: string[] = [];
  for (const row of rows) {
    if (row.anonymousId === null || row.i === null) continue;
    const before = last.get(row.anonymousId) ?? -1;
    if (row.i < before) problems.push(`${row.anonymousId}: ${row.i} after ${before}`);
    last.set(row.anonymousId, row.i);
  }
  return problems;
}
