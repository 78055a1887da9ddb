import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { retailEvent } from './fixtures';
import type { Benchmark, Figure } from './harness';
import { startServer } from './processes';

const KEY = 'wk_bench_0123456789';
const BATCH = 100;
const SECONDS = Number(process.env.TAILOR_BENCH_SECONDS ?? 10);

/**
 * A body template whose messageIds get a fresh prefix per request, so the collector's dedup never turns
 * the benchmark into a cache hit: every request is stored and fsynced for real.
 */
function template(events: Array<Record<string, unknown>>, wrap: (events: unknown[]) => unknown): (prefix: string) => string {
  // Printable: JSON.stringify escapes control characters, and an escaped marker would never be found.
  const marker = '~~tailor-id~~';
  const parts = JSON.stringify(wrap(events.map((event, i) => ({ ...event, messageId: `${marker}${i}` })))).split(marker);
  if (parts.length !== events.length + 1) throw new Error(`bench template: expected ${events.length} messageId markers, found ${parts.length - 1}`);
  return (prefix) => parts.join(prefix);
}

interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function load(url: string, path: string, body: (prefix: string) => string, options: { connections: number; seconds: number; rate?: number }): Promise<LoadResult> {
  let n = 0;
  const run = Math.random().toString(36).slice(2, 8);
  const result = await autocannon({
    url: url + path,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate === undefined ? {} : { overallRate: options.rate }),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
        setupRequest: (request) => ({ ...request, body: body(`${run}-${++n}-`) }),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

const benchmark: Benchmark = {
  name: 'collector',
  description: `Collector ingest over HTTP with durable (fsynced LMDB) acks, each server in its own process and autocannon in this one, ${SECONDS} s per run, on one 2-core machine.`,
  async run() {
    const events = Array.from({ length: BATCH }, (_, i) => retailEvent(i));
    const batchBody = template(events, (batch) => ({ batch }));
    const singleBody = template([{ ...retailEvent(1), writeKey: KEY, sentAt: new Date().toISOString() }], (batch) => batch[0]);
    const dataDir = mkdtempSync(join(tmpdir(), 'tailor-bench-'));
    const figures: Figure[] = [];
    const bare = await startServer('bench/servers/bare-http.ts');
    const collectorArgs = (dir: string, workers: number) => ['collector', '--port', '0', '--data-dir', dir, '--write-key', KEY, '--log-level', 'warn', '--rate-limit', '100000000', '--workers', String(workers)];
    const collector = await startServer('packages/node/src/cli.ts', collectorArgs(dataDir, 1));
    const clusterDir = mkdtempSync(join(tmpdir(), 'tailor-bench-cluster-'));
    let cluster: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      // Warm both up so the JIT and LMDB's map are hot before measuring.
      await load(bare.url, '/v1/batch', batchBody, { connections: 8, seconds: 2 });
      await load(collector.url, '/v1/batch', batchBody, { connections: 8, seconds: 2 });

      const baseBatch = await load(bare.url, '/v1/batch', batchBody, { connections: 16, seconds: SECONDS });
      const batched = await load(collector.url, '/v1/batch', batchBody, { connections: 16, seconds: SECONDS });
      const baseEvents = baseBatch.requestsPerSecond * BATCH;
      const ingest = batched.requestsPerSecond * BATCH;
      figures.push(
        { name: 'bare node:http, read + JSON.parse, 100-event batches', value: baseEvents, unit: 'events/s', note: `${Math.round(batchBody('x').length / 1024)} KB bodies, 16 connections` },
        {
          name: 'collector, 100-event batches, durable acks',
          value: ingest,
          unit: 'events/s',
          baseline: { name: 'bare node:http', value: baseEvents },
          ratio: ingest / baseEvents,
          budget: { text: '≥ 0.5× bare node:http', met: ingest / baseEvents >= 0.5 },
          note: `p99 ${batched.p99} ms; non-2xx ${batched.non2xx}, errors ${batched.errors}`,
        },
      );

      // The same machine's second core, used the way a deployment would: `--workers 2`.
      cluster = await startServer('packages/node/src/cli.ts', collectorArgs(clusterDir, 2));
      await load(cluster.url, '/v1/batch', batchBody, { connections: 8, seconds: 2 });
      const clustered = await load(cluster.url, '/v1/batch', batchBody, { connections: 16, seconds: SECONDS });
      await cluster.stop();
      cluster = undefined;
      const clusterIngest = clustered.requestsPerSecond * BATCH;
      figures.push({
        name: 'collector --workers 2, 100-event batches, durable acks',
        value: clusterIngest,
        unit: 'events/s',
        baseline: { name: 'bare node:http', value: baseEvents },
        ratio: clusterIngest / baseEvents,
        budget: { text: '≥ 0.5× bare node:http', met: clusterIngest / baseEvents >= 0.5 },
        note: `p99 ${clustered.p99} ms; non-2xx ${clustered.non2xx}, errors ${clustered.errors}`,
      });

      const baseSingle = await load(bare.url, '/v1/t', singleBody, { connections: 50, seconds: SECONDS });
      const single = await load(collector.url, '/v1/t', singleBody, { connections: 50, seconds: SECONDS });
      figures.push(
        { name: 'bare node:http, single-event requests', value: baseSingle.requestsPerSecond, unit: 'req/s', note: `p99 ${baseSingle.p99} ms, 50 connections` },
        {
          name: 'collector, single-event requests (analytics.js /v1/t)',
          value: single.requestsPerSecond,
          unit: 'req/s',
          baseline: { name: 'bare node:http', value: baseSingle.requestsPerSecond },
          ratio: single.requestsPerSecond / baseSingle.requestsPerSecond,
          budget: { text: '≥ 10,000 req/s', met: single.requestsPerSecond >= 10_000 },
          note: `non-2xx ${single.non2xx}, errors ${single.errors}`,
        },
        {
          name: 'collector, single-event p99 latency at max load',
          value: single.p99,
          unit: 'ms',
          budget: { text: 'p99 ≤ 20 ms', met: single.p99 <= 20 },
          note: `p50 ${single.p50} ms`,
        },
      );

      const half = Math.max(1, Math.floor(single.requestsPerSecond / 2));
      const halfLoad = await load(collector.url, '/v1/t', singleBody, { connections: 50, seconds: SECONDS, rate: half });
      const baseHalf = await load(bare.url, '/v1/t', singleBody, { connections: 50, seconds: SECONDS, rate: half });
      figures.push(
        { name: `ack latency p50 at half load (${half} req/s)`, value: halfLoad.p50, unit: 'ms', baseline: { name: 'bare node:http p50', value: baseHalf.p50 }, ...(baseHalf.p50 > 0 ? { ratio: halfLoad.p50 / baseHalf.p50 } : {}) },
        { name: `ack latency p99 at half load (${half} req/s)`, value: halfLoad.p99, unit: 'ms', baseline: { name: 'bare node:http p99', value: baseHalf.p99 }, ...(baseHalf.p99 > 0 ? { ratio: halfLoad.p99 / baseHalf.p99 } : {}), note: `achieved ${Math.round(halfLoad.requestsPerSecond)} req/s` },
      );
    } finally {
      await cluster?.stop();
      await collector.stop();
      await bare.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(clusterDir, { recursive: true, force: true });
    }
    return figures;
  },
};

export default benchmark;
