import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import type { CallOptions } from '@tailor/core';
import { createTailorNode } from '../packages/node/src/client/client';
import { createLmdbStore } from '../packages/node/src/collector/lmdb-store';
import { retailEvent } from './fixtures';
import { median, type Benchmark, type Figure } from './harness';
import { startServer } from './processes';

const KEY = 'wk_bench_0123456789';
const EVENTS = Number(process.env.TAILOR_BENCH_CLIENT_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.TAILOR_BENCH_CLIENT_ROUNDS ?? 3);
/** Events handed over per macrotask: a server tracks from request handlers, between which I/O runs. */
const SLICE = 1_000;

type Fixture = Record<string, unknown> & { messageId: string; event: string; timestamp: string; userId?: string; anonymousId: string };

interface Sdk {
  readonly name: string;
  /** Hands every event to the SDK and resolves once it says all were delivered. */
  run(url: string, events: readonly Fixture[]): Promise<{ errors: number }>;
}

interface RunResult {
  readonly seconds: number;
  readonly cpuMicros: number;
  readonly stored: number;
  readonly errors: number;
}

const tailor: Sdk = {
  name: '@tailor/node (msgpack, /v1/events)',
  async run(url, events) {
    let errors = 0;
    const client = createTailorNode({
      writeKey: KEY,
      endpoint: url,
      flushAt: 100,
      flushInterval: 1_000,
      // analytics-node has no queue bound; ours (100k by default) would refuse part of a 200k burst.
      maxQueuedEvents: events.length,
      onError: (problem) => {
        if (problem.type !== 'retrying') errors++;
      },
    });
    for (let i = 0; i < events.length; i++) {
      const { userId, anonymousId, event, properties, context, timestamp, messageId } = events[i] as Fixture;
      const result = client.track({ ...(userId === undefined ? {} : { userId }), anonymousId, event, properties: properties as Record<string, unknown>, context: context as CallOptions['context'], timestamp, messageId });
      if (!result.ok) errors++;
      if ((i + 1) % SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await client.close();
    return { errors };
  },
};

const segment: Sdk = {
  name: '@segment/analytics-node (JSON, /v1/batch)',
  async run(url, events) {
    let errors = 0;
    const analytics = new Analytics({ writeKey: KEY, host: url, path: '/v1/batch', flushAt: 100, flushInterval: 1_000, maxRetries: 3 });
    analytics.on('error', () => errors++);
    for (let i = 0; i < events.length; i++) {
      const { userId, anonymousId, event, properties, context, timestamp, messageId } = events[i] as Fixture;
      analytics.track({ ...(userId === undefined ? {} : { userId }), anonymousId, event, properties: properties as Record<string, unknown>, context: context as object, timestamp, messageId });
      if ((i + 1) % SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await analytics.closeAndFlush({ timeout: 600_000 });
    return { errors };
  },
};

/** One SDK against a fresh collector child process: time and CPU from the first call until it says all were delivered. */
async function measure(sdk: Sdk, events: readonly Fixture[]): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tailor-bench-client-'));
  const collector = await startServer('packages/node/src/cli.ts', ['collector', '--port', '0', '--data-dir', dataDir, '--write-key', KEY, '--log-level', 'warn', '--rate-limit', '100000000']);
  try {
    globalThis.gc?.();
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const { errors } = await sdk.run(collector.url, events);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    await collector.stop(); // SIGTERM: the collector closes its store, so the count below is final
    const store = createLmdbStore({ dataDir });
    const stored = store.stats().events;
    await store.close();
    return { seconds, cpuMicros: used.user + used.system, stored, errors };
  } finally {
    await collector.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  name: 'node-client',
  description: `${EVENTS.toLocaleString('en-US')} typical retail events handed by one process to a real collector child process (its own fresh LMDB store each run, durable acks), timed from the first call until the SDK's close resolved; @tailor/node next to @segment/analytics-node, both with 100-event batches and a 1 s flush interval, handed ${SLICE} events per macrotask, ${ROUNDS} interleaved rounds (order alternating), medians. Both rates are bounded by the collector, which shares the machine's cores with this process.`,
  async run() {
    const events = Array.from({ length: EVENTS }, (_, i) => retailEvent(i) as Fixture);
    const results = new Map<Sdk, RunResult[]>([[tailor, []], [segment, []]]);
    for (let round = 0; round < ROUNDS; round++) {
      // A B, B A, A B …: going first or second in a round (a warmer JIT, a neighbour's load) evens out.
      for (const sdk of round % 2 === 0 ? [tailor, segment] : [segment, tailor]) results.get(sdk)?.push(await measure(sdk, events));
    }
    const summary = (sdk: Sdk) => {
      const runs = results.get(sdk) as RunResult[];
      return {
        rate: median(runs.map((run) => EVENTS / run.seconds)),
        cpuPerEvent: median(runs.map((run) => run.cpuMicros / EVENTS)),
        stored: Math.min(...runs.map((run) => run.stored)),
        errors: Math.max(...runs.map((run) => run.errors)),
        runs: runs.map((run) => `${Math.round(EVENTS / run.seconds).toLocaleString('en-US')}`).join(' / '),
      };
    };
    const base = summary(segment);
    const ours = summary(tailor);
    const note = (s: ReturnType<typeof summary>) =>
      `runs ${s.runs} events/s; client CPU ${s.cpuPerEvent.toFixed(1)} µs/event; stored ${s.stored.toLocaleString('en-US')} of ${EVENTS.toLocaleString('en-US')} (worst run); errors ${s.errors}`;
    const figures: Figure[] = [
      { name: `events/s to close() — ${segment.name}`, value: base.rate, unit: 'events/s', note: note(base) },
      {
        name: `events/s to close() — ${tailor.name}`,
        value: ours.rate,
        unit: 'events/s',
        baseline: { name: '@segment/analytics-node', value: base.rate },
        ratio: ours.rate / base.rate,
        note: note(ours),
      },
      {
        // Both rates are bounded by the collector sharing this machine's cores; the client's own cost is not.
        name: 'client CPU per event (process user + system) — @tailor/node',
        value: ours.cpuPerEvent,
        unit: 'µs',
        baseline: { name: '@segment/analytics-node', value: base.cpuPerEvent },
        ratio: ours.cpuPerEvent / base.cpuPerEvent,
        note: 'lower is better: build, encode, batch, HTTP; from the first call to close()',
      },
    ];
    return figures;
  },
};

export default benchmark;
