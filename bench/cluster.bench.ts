import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { createClusterFixture, SECRET, type ClusterFixture } from '../packages/node/test/cluster-harness';
import { basicAuth, WRITE_KEY } from '../packages/node/test/collector-harness';
import { killHard, spawnTailor, type CollectorProcess } from '../packages/node/test/collector-process';
import { retailEvent } from './fixtures';
import { percentile, type Benchmark, type Figure } from './harness';
import { startServer } from './processes';

const SECONDS = Number(process.env.TAILOR_BENCH_SECONDS ?? 12);
const WARMUP_SECONDS = 3;
const SIZES = (process.env.TAILOR_BENCH_CLUSTER_SIZES ?? '1,2,4').split(',').map(Number);
const BATCH = 20;
/** Total keep-alive connections of the load generator, spread evenly over the collectors (a multiple of 4). */
const CONNECTIONS = 32;
const SHOPPERS = 50_000;
/** A freshness sample starts this often during the window: ~120 samples in 12 s. */
const SAMPLE_EVERY_MS = 100;
/** The steady load of the first phase, and how often a freshness sample starts in it (~100 samples). */
const PACED_EVENTS = 400;
const PACED_SECONDS = 8;
const PACED_SAMPLE_EVERY_MS = 75;
const DRAIN_SECONDS = 20;
const SAMPLE_TIMEOUT_MS = 15_000;
const PARTITIONS = 8;
const DECISIONS = fileURLToPath(new URL('../examples/collector/decisions.json', import.meta.url));
const AUTH = basicAuth(WRITE_KEY);
const HEADERS = { authorization: AUTH, 'content-type': 'application/json' };

/**
 * Request bodies of 20 retail events from 4 shoppers (of a pool of 50k), fresh messageIds per request so
 * nothing is a dedup hit. Markers are printable: JSON.stringify would escape a control character.
 */
function batchBodies(run: string): (n: number) => string {
  const events = Array.from({ length: BATCH }, (_, i) => {
    const event = retailEvent(i);
    return { ...event, messageId: `@@M${i}@@`, anonymousId: `a-@@S${i}@@`, ...(event.userId === undefined ? {} : { userId: `u-@@S${i}@@` }) };
  });
  const pieces = JSON.stringify({ batch: events }).split(/@@([MS]\d+)@@/);
  return (n) => {
    let out = '';
    for (let k = 0; k < pieces.length; k++) {
      const piece = pieces[k] as string;
      if (k % 2 === 0) out += piece;
      else out += piece[0] === 'M' ? `${run}-${n}-${piece.slice(1)}` : String((n * 4 + (Number(piece.slice(1)) % 4)) % SHOPPERS);
    }
    return out;
  };
}

/** Sustained load until stopped; counts acknowledged events as they come, so any window can be read off. */
function startLoad(urls: readonly string[], run: string, eventsPerSecond?: number) {
  const body = batchBodies(run);
  let n = 0;
  let acked = 0;
  let failed = 0;
  let finish: (result: autocannon.Result) => void = () => {};
  const finished = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const instance = autocannon(
    {
    // autocannon spreads connections over several URLs; its types only admit one.
    url: urls.map((url) => `${url}/v1/batch`) as unknown as string,
    connections: CONNECTIONS,
    duration: 600,
    timeout: 30,
    ...(eventsPerSecond === undefined ? {} : { overallRate: eventsPerSecond / BATCH }),
    requests: [{ method: 'POST', headers: HEADERS, setupRequest: (request) => ({ ...request, body: body(n++) }) }],
    },
    (_error, result) => finish(result),
  );
  instance.on('response', (_client: unknown, status: number) => (status === 200 ? (acked += BATCH) : failed++));
  return {
    acked: () => acked,
    failed: () => failed,
    async stop() {
      instance.stop();
      const result = await finished;
      return { p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
    },
  };
}

async function post(url: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url + path, { method: 'POST', headers: HEADERS, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** One event for a fresh user to `a`, then `POST /v1/decide` on `b` until it names a profile: ms from the 200. */
async function freshnessSample(a: string, b: string, userId: string): Promise<number | 'timeout' | 'rejected'> {
  const event = { type: 'track', event: 'Product Viewed', messageId: `${userId}-0`, userId, anonymousId: `anon-${userId}`, properties: { product_id: 'sku-1', category: 'shoes', price: 30 } };
  const ack = await post(a, '/v1/batch', { batch: [event] }).catch(() => ({ status: 0 }));
  if (ack.status !== 200) return 'rejected';
  const acked = performance.now();
  for (;;) {
    const decision = await post(b, '/v1/decide', { userId, placements: [{ id: 'home-hero' }] }).catch(() => undefined);
    const elapsed = performance.now() - acked;
    if (decision?.json.profileId !== undefined) return elapsed;
    if (elapsed > SAMPLE_TIMEOUT_MS) return 'timeout';
    // Poll resolution ~2% of the wait so far: fine for fast answers, no decide storm for slow ones.
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, elapsed / 50)));
  }
}

interface Freshness {
  /** Ms from ack to a decision naming the profile, sorted; a sample that timed out counts as SAMPLE_TIMEOUT_MS. */
  readonly samples: number[];
  readonly timeouts: number;
  readonly rejected: number;
}

/** Starts a sample every `everyMs` for `windowMs`; resolves when all have an answer. */
async function sampleFreshness(a: string, b: string, run: string, windowMs: number, everyMs: number): Promise<Freshness> {
  const pending: Array<Promise<number | 'timeout' | 'rejected'>> = [];
  const began = performance.now();
  for (let i = 0; performance.now() - began < windowMs; i++) {
    pending.push(freshnessSample(a, b, `fresh-${run}-${i}`));
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  const results = await Promise.all(pending);
  const samples = results.filter((r) => r !== 'rejected').map((r) => (r === 'timeout' ? SAMPLE_TIMEOUT_MS : r)).sort((x, y) => x - y);
  return { samples, timeouts: results.filter((r) => r === 'timeout').length, rejected: results.filter((r) => r === 'rejected').length };
}

function describeFreshness(fresh: Freshness): string {
  const timeouts = fresh.timeouts === 0 ? '' : `, ${fresh.timeouts} not visible within ${SAMPLE_TIMEOUT_MS / 1000} s (counted as ${SAMPLE_TIMEOUT_MS / 1000} s: a lower bound)`;
  return `${fresh.samples.length} samples${timeouts}${fresh.rejected === 0 ? '' : `, ${fresh.rejected} events rejected`}`;
}

// ---- where the CPU went: /proc, in clock ticks -------------------------------------------------------------

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function cpuTicks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return 0;
  }
}

function pidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

type Roles = Record<string, () => number[]>;

/** CPU per role (in cores) between `start()` and `end()`, and how busy the whole machine was. */
function cpuMeter(roles: Roles) {
  const read = () => ({
    at: performance.now(),
    self: process.cpuUsage(),
    machine: machineTicks(),
    roles: Object.fromEntries(Object.entries(roles).map(([role, pids]) => [role, pids().reduce((sum, pid) => sum + cpuTicks(pid), 0)])),
  });
  const first = read();
  return () => {
    const last = read();
    const seconds = (last.at - first.at) / 1000;
    const cores = Object.fromEntries(Object.entries(last.roles).map(([role, ticks]) => [role, (ticks - (first.roles[role] ?? 0)) / TICKS / seconds]));
    cores['load generator'] = (last.self.user + last.self.system - first.self.user - first.self.system) / 1e6 / seconds;
    const machine = (last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total);
    // Whatever else ran on the machine meanwhile (other test runs): the figures are only as quiet as this.
    cores['everything else'] = Math.max(0, machine * cpus().length - Object.values(cores).reduce((sum, value) => sum + value, 0));
    return `CPU in cores: ${Object.entries(cores).map(([role, value]) => `${role} ${value.toFixed(2)}`).join(', ')}; machine ${(machine * 100).toFixed(0)}% busy`;
  };
}

// ---- what the processors and PostgreSQL say ----------------------------------------------------------------

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function processorMetrics(processors: readonly CollectorProcess[]) {
  const texts = await Promise.all(processors.map((p) => fetch(`${p.url}/metrics`).then((r) => r.text()).catch(() => '')));
  const sum = (name: string) => texts.reduce((total, text) => total + metric(text, name), 0);
  return {
    batchSum: sum('tailor_processor_batch_duration_seconds_sum'),
    batchCount: sum('tailor_processor_batch_duration_seconds_count'),
    projectSum: sum('tailor_processor_project_duration_seconds_sum'),
    projected: sum('tailor_processor_events_projected_total'),
    projectorLag: sum('tailor_processor_projector_lag_events'),
  };
}

async function logHead(client: pg.Client, schema: string): Promise<number> {
  return Number((await client.query<{ n: string }>(`SELECT last_seq AS n FROM ${schema}.log_head`)).rows[0]?.n ?? 0);
}

/** Samples PostgreSQL every 200 ms: how many sessions are running, and how many wait on a lock. */
function lockSampler(connectionString: string) {
  const client = new pg.Client({ connectionString });
  let samples = 0;
  let active = 0;
  let waiting = 0;
  let headWaiting = 0;
  let stopped = false;
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      const rows = (
        await client.query<{ lock: boolean; head: boolean }>(
          "SELECT wait_event_type = 'Lock' AS lock, query LIKE '%log_head%FOR UPDATE%' AS head FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
        )
      ).rows;
      samples++;
      active += rows.length;
      waiting += rows.filter((row) => row.lock).length;
      headWaiting += rows.filter((row) => row.lock && row.head).length;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return async () => {
    stopped = true;
    await loop.finally(() => client.end());
    const mean = (value: number) => (value / Math.max(1, samples)).toFixed(1);
    return `PostgreSQL sessions: ${mean(active)} active, ${mean(waiting)} waiting on a lock (${mean(headWaiting)} on the log_head row)`;
  };
}

// ---- one configuration ---------------------------------------------------------------------------------------

interface Measured {
  /** Events/s acknowledged during the saturating window. */
  readonly acked: number;
  /** Events/s that reached the shared PostgreSQL log during the same window (cluster only). */
  readonly logged?: number;
  /** Every event acknowledged, paced and saturating phases and freshness probes included. */
  readonly ackedTotal: number;
  readonly ack: { p50: number; p99: number; errors: number; non2xx: number };
  /** Freshness at a steady PACED_EVENTS/s, and under the saturating load. */
  readonly calm: Freshness;
  readonly saturated: Freshness;
  readonly notes: { readonly cpu: string; readonly pipeline: string[] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(options: { urls: string[]; a: string; b: string; run: string; roles: Roles; cluster?: { fixture: ClusterFixture; pg: pg.Client } }): Promise<Measured> {
  const { urls, a, b, run, cluster } = options;
  // 1. A steady load well below capacity: how fresh are decisions in normal operation?
  const paced = startLoad(urls, `${run}p`, PACED_EVENTS);
  await sleep(2_000);
  const calm = await sampleFreshness(a, b, `${run}p`, PACED_SECONDS * 1000, PACED_SAMPLE_EVERY_MS);
  await paced.stop();
  // 2. Saturating load: throughput, and freshness while it runs.
  const load = startLoad(urls, run);
  await sleep(WARMUP_SECONDS * 1000);
  const cpu = cpuMeter(options.roles);
  const locks = cluster === undefined ? undefined : lockSampler(cluster.fixture.connectionString);
  const before = { acked: load.acked(), at: performance.now(), log: cluster && (await logHead(cluster.pg, cluster.fixture.schema)), metrics: cluster && (await processorMetrics(cluster.fixture.processors)) };
  const freshness = sampleFreshness(a, b, run, SECONDS * 1000, SAMPLE_EVERY_MS);
  await sleep(SECONDS * 1000);
  const seconds = (performance.now() - before.at) / 1000;
  const acked = (load.acked() - before.acked) / seconds;
  const notes = { cpu: cpu(), pipeline: [] as string[] };
  let logged: number | undefined;
  if (cluster !== undefined && before.log !== undefined && before.metrics !== undefined) {
    logged = ((await logHead(cluster.pg, cluster.fixture.schema)) - before.log) / seconds;
    const after = await processorMetrics(cluster.fixture.processors);
    const batches = after.batchCount - before.metrics.batchCount;
    const appendSeconds = after.batchSum - before.metrics.batchSum;
    notes.pipeline.push(
      `appends: ${batches} partition batches of ${((logged * seconds) / Math.max(1, batches)).toFixed(1)} events on average, ${((1000 * appendSeconds) / Math.max(1, batches)).toFixed(0)} ms each (tailor_processor_batch_duration_seconds)`,
      `projector: ${Math.round((after.projected - before.metrics.projected) / seconds)} events/s, in a projection step ${((100 * (after.projectSum - before.metrics.projectSum)) / seconds).toFixed(0)}% of the time, lag ${after.projectorLag} events at window end`,
    );
  }
  const saturated = await freshness;
  const ack = await load.stop();
  if (locks !== undefined) notes.pipeline.push(await locks());
  const probes = calm.samples.length + saturated.samples.length;
  return { acked, ackedTotal: paced.acked() + load.acked() + probes, ...(logged === undefined ? {} : { logged }), ack, calm, saturated, notes };
}

/** After the load: does every acknowledged event reach the shared log? Waits up to DRAIN_SECONDS for the backlog. */
async function drained(fixture: ClusterFixture, client: pg.Client, acked: number): Promise<string> {
  const began = performance.now();
  let head = await logHead(client, fixture.schema);
  const first = head;
  while (head < acked && performance.now() - began < DRAIN_SECONDS * 1000) {
    await sleep(250);
    head = await logHead(client, fixture.schema);
  }
  const waited = (performance.now() - began) / 1000;
  const n = (value: number) => value.toLocaleString('en-US');
  return head >= acked
    ? `all ${n(acked)} acked events were in the log ${waited.toFixed(1)} s after the load stopped`
    : `${n(head)} of ${n(acked)} acked events in the log ${DRAIN_SECONDS} s after the load stopped (still draining at ${n(Math.round((head - first) / waited))} events/s)`;
}

function freshnessFigures(label: string, paced: Freshness, saturated: Freshness, base?: Measured): Figure[] {
  const figure = (name: string, fresh: Freshness, p: number, baseFresh: Freshness | undefined): Figure => {
    const value = percentile(fresh.samples, p);
    const baseValue = baseFresh === undefined ? undefined : percentile(baseFresh.samples, p);
    return {
      name: `${label}: ${name}, p${p}`,
      value,
      unit: 'ms',
      ...(baseValue === undefined ? {} : { baseline: { name: `single-node p${p}`, value: baseValue }, ratio: value / baseValue }),
      ...(p === 99 ? { budget: { text: 'p99 ≤ 20 ms', met: value <= 20 }, note: describeFreshness(fresh) } : {}),
    };
  };
  const calm = `event → decision at ${PACED_EVENTS} events/s`;
  const busy = 'event → decision under the saturating load';
  return [figure(calm, paced, 50, base?.calm), figure(calm, paced, 99, base?.calm), figure(busy, saturated, 50, base?.saturated), figure(busy, saturated, 99, base?.saturated)];
}

const benchmark: Benchmark = {
  name: 'cluster',
  description: `Cluster mode on one 2-core machine (NATS JetStream, PostgreSQL, Redis and autocannon on the same cores): N \`tailor collector --mode cluster\` + N \`tailor processor\` child processes for N = ${SIZES.join(', ')}, ${PARTITIONS} partitions, ${CONNECTIONS} keep-alive connections of ${BATCH}-event batches spread over the collectors, ${WARMUP_SECONDS} s warm-up then a ${SECONDS} s window; freshness (event to collector A, decide polled on collector B) first at a steady ${PACED_EVENTS} events/s for ${PACED_SECONDS} s, then every ${SAMPLE_EVERY_MS} ms during the saturating window. Baselines in the same run: the single-node collector (LMDB) under the same load, and a bare node:http server parsing the same bodies.`,
  async run() {
    const figures: Figure[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'tailor-bench-cluster-'));
    const services: Roles = { postgres: () => pidsNamed('postgres'), nats: () => pidsNamed('nats-server'), redis: () => pidsNamed('redis-server') };
    try {
      // Bare node:http: the ingest budget's yardstick.
      const bare = await startServer('bench/servers/bare-http.ts');
      let bareEvents: number;
      try {
        const load = startLoad([bare.url], 'bare');
        await new Promise((resolve) => setTimeout(resolve, WARMUP_SECONDS * 1000));
        const from = { acked: load.acked(), at: performance.now() };
        await new Promise((resolve) => setTimeout(resolve, 6_000));
        bareEvents = (load.acked() - from.acked) / ((performance.now() - from.at) / 1000);
        await load.stop();
      } finally {
        await bare.stop();
      }
      figures.push({ name: 'bare node:http, read + JSON.parse, 20-event batches', value: bareEvents, unit: 'events/s', note: `${CONNECTIONS} connections` });
      const ingestBudget = (value: number) => ({ text: `≥ 0.5× bare node:http (${Math.round(bareEvents).toLocaleString('en-US')} events/s)`, met: value >= 0.5 * bareEvents });

      // The single-node collector: same source, keys, decisions and load.
      const config = join(dir, 'tailor.single.json');
      writeFileSync(config, JSON.stringify({ sources: [{ id: 'shop', writeKeys: [WRITE_KEY], secretKeys: [SECRET], decisions: DECISIONS, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } }] }));
      const single = await spawnTailor('collector', ['--config', config, '--port', '0', '--data-dir', join(dir, 'single')], { timeoutMs: 60_000 });
      let base: Measured;
      try {
        base = await measure({ urls: [single.url], a: single.url, b: single.url, run: 'single', roles: { collector: () => [single.child.pid ?? 0], ...services } });
      } finally {
        await killHard(single.child);
      }
      figures.push(
        { name: 'single-node collector: acked under saturating load', value: base.acked, unit: 'events/s', budget: ingestBudget(base.acked), note: `ack p50 ${base.ack.p50} ms, p99 ${base.ack.p99} ms; non-2xx ${base.ack.non2xx}, errors ${base.ack.errors}; ${base.notes.cpu}` },
        ...freshnessFigures('single-node collector', base.calm, base.saturated),
      );

      for (const n of SIZES) {
        const fixture = await createClusterFixture({ partitions: PARTITIONS });
        const client = new pg.Client({ connectionString: fixture.connectionString });
        await client.connect();
        try {
          // Processors first, so the stream, its consumers and the schema exist before the load.
          for (let i = 0; i < n; i++) await fixture.startProcessor();
          await Promise.all(Array.from({ length: n }, () => fixture.startCollector()));
          const urls = fixture.collectors.map((c) => c.url);
          const m = await measure({
            urls,
            a: urls[0] as string,
            b: (urls[1] ?? urls[0]) as string,
            run: `n${n}`,
            roles: { collectors: () => fixture.collectors.map((c) => c.child.pid ?? 0), processors: () => fixture.processors.map((p) => p.child.pid ?? 0), ...services },
            cluster: { fixture, pg: client },
          });
          const tail = await drained(fixture, client, m.ackedTotal);
          const label = `cluster N=${n}`;
          const baseline = { name: 'single-node collector', value: base.acked };
          figures.push(
            { name: `${label}: acked by the collectors`, value: m.acked, unit: 'events/s', baseline, ratio: m.acked / base.acked, budget: ingestBudget(m.acked), note: `ack p50 ${m.ack.p50} ms, p99 ${m.ack.p99} ms; non-2xx ${m.ack.non2xx}, errors ${m.ack.errors}; ${m.notes.cpu}` },
            { name: `${label}: appended to the PostgreSQL log`, value: m.logged ?? Number.NaN, unit: 'events/s', baseline, ratio: (m.logged ?? Number.NaN) / base.acked, note: `${m.notes.pipeline.join('; ')}; ${tail}` },
            ...freshnessFigures(label, m.calm, m.saturated, base),
          );
        } finally {
          await client.end();
          await fixture.destroy();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};

export default benchmark;
