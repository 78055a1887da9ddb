import { hasChromium, CHROMIUM } from './browser/chromium';
import { measureBurst, type BurstRun } from './browser/measure';
import { BENCH_EVENT, WRITE_KEY, buildPages, type PageKind } from './browser/pages';
import { startBenchServer } from './browser/server';
import { median, type Benchmark, type Figure } from './harness';

const CALLS = 2000;
const ROUNDS = Number(process.env.TAILOR_BENCH_ROUNDS ?? 3);
const IDLE_MS = 200;
const SEGMENT = '@segment/analytics-next';
const TAILOR = '@tailor/browser';

const perCallUs = (ms: number) => (ms * 1000) / CALLS;
const pct = (n: number) => (100 * n) / CALLS;

function describeRequests(runs: readonly BurstRun[]): string {
  const keys = new Set(runs.flatMap((run) => Object.keys(run.requests)));
  const paths = [...keys].filter((key) => !/\.(js|html)$/.test(key)).sort();
  const blocked = runs.reduce((sum, run) => sum + run.blocked.length, 0);
  const errors = [...runs.flatMap((run) => run.pageErrors), ...runs.flatMap((run) => run.consoleErrors)];
  const kinds = [...new Set(errors.map((text) => text.replace(/^Failed to load resource: /, '').slice(0, 80)))].slice(0, 3);
  const worst = Math.max(...runs.map((run) => run.pageErrors.length + run.consoleErrors.length));
  const undecodable = runs.reduce((sum, run) => sum + run.undecodable, 0);
  return (
    `requests: ${paths.join(', ') || 'none'}; blocked off-host: ${blocked}` +
    (undecodable > 0 ? `; ${undecodable} POST bodies undecodable` : '') +
    (errors.length > 0 ? `; page/console errors in the worst run: ${worst} (${kinds.join(' | ')})` : '; no page or console errors')
  );
}

const benchmark: Benchmark = {
  name: 'browser',
  description:
    `A burst of ${CALLS.toLocaleString('en-US')} track() calls in real Chromium (headless, fresh user-data dir per run, requests only to a local server), ` +
    `${ROUNDS} interleaved rounds (empty page, Tailor, analytics-next), medians. Main-thread time = CDP Performance TaskDuration from just before the burst ` +
    `until the SDK has flushed, the server holds every event and the page idled ${IDLE_MS} ms, minus the same on a page whose track() is a no-op.`,
  async run() {
    if (!hasChromium()) throw new Error(`browser benchmark needs Chromium at ${CHROMIUM} (apt-get install -y chromium, or set TAILOR_CHROMIUM)`);
    const { assets, sizes } = await buildPages();
    const server = await startBenchServer({ assets, writeKey: WRITE_KEY, countedEvent: BENCH_EVENT });
    const runs: Record<PageKind, BurstRun[]> = { baseline: [], tailor: [], segment: [] };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        runs.baseline.push(await measureBurst('baseline', server, { calls: CALLS, idleMs: IDLE_MS, deliveryTimeoutMs: 0 }));
        runs.tailor.push(await measureBurst('tailor', server, { calls: CALLS, idleMs: IDLE_MS, deliveryTimeoutMs: 30_000 }));
        runs.segment.push(await measureBurst('segment', server, { calls: CALLS, idleMs: IDLE_MS, deliveryTimeoutMs: 120_000 }));
      }
    } finally {
      await server.close();
    }

    // Each SDK run minus the empty-page run of the same round, so drift across rounds cancels too.
    const net = (kind: 'tailor' | 'segment', field: (run: BurstRun) => number) =>
      median(runs[kind].map((run, i) => field(run) - field(runs.baseline[i] as BurstRun)));
    const stats = (kind: 'tailor' | 'segment') => ({
      taskUs: perCallUs(net(kind, (run) => run.taskMs)),
      perRun: runs[kind].map((run, i) => perCallUs(run.taskMs - (runs.baseline[i] as BurstRun).taskMs).toFixed(0)).join(' / '),
      callingUs: perCallUs(net(kind, (run) => run.callingTaskMs)),
      laterUs: perCallUs(net(kind, (run) => run.taskMs - run.callingTaskMs)),
      scriptUs: perCallUs(net(kind, (run) => run.scriptMs)),
      callsPerSecond: median(runs[kind].map((run) => CALLS / (run.loopMs / 1000))),
      loopUs: perCallUs(median(runs[kind].map((run) => run.loopMs))),
      delivered: Math.min(...runs[kind].map((run) => run.delivered)),
      deliveredAtFlush: Math.min(...runs[kind].map((run) => run.deliveredAtFlush)),
      duplicates: Math.max(...runs[kind].map((run) => run.duplicates)),
      deliveryMs: median(runs[kind].map((run) => run.deliveryMs)),
      timedOut: runs[kind].filter((run) => run.timedOut).length,
    });
    const tailor = stats('tailor');
    const segment = stats('segment');
    const baselineTaskMs = median(runs.baseline.map((run) => run.taskMs));
    const ratio = tailor.taskUs / segment.taskUs;
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB min`;
    const split = (sdk: typeof tailor) =>
      `runs ${sdk.perRun} µs; in the calling task ${sdk.callingUs.toFixed(1)} µs (loop alone ${sdk.loopUs.toFixed(1)}), in tasks scheduled later ${sdk.laterUs.toFixed(1)} µs (JS ${sdk.scriptUs.toFixed(1)})`;

    const figures: Figure[] = [
      {
        name: `track() main-thread time per call — ${SEGMENT}`,
        value: segment.taskUs,
        unit: 'µs',
        note: `${split(segment)}; standard delivery (1 request per event); page script ${kb(sizes.segment)}`,
      },
      {
        name: `track() main-thread time per call — ${TAILOR}`,
        value: tailor.taskUs,
        unit: 'µs',
        baseline: { name: SEGMENT, value: segment.taskUs },
        ratio,
        budget: { text: `≤ 1/10 of ${SEGMENT}`, met: ratio <= 0.1 },
        note: `${split(tailor)}; page script ${kb(sizes.tailor)}; empty-page run (${baselineTaskMs.toFixed(1)} ms per burst) subtracted`,
      },
      { name: `track() calls/s, synchronous loop — ${SEGMENT}`, value: segment.callsPerSecond, unit: 'calls/s' },
      {
        name: `track() calls/s, synchronous loop — ${TAILOR}`,
        value: tailor.callsPerSecond,
        unit: 'calls/s',
        baseline: { name: SEGMENT, value: segment.callsPerSecond },
        ratio: tailor.callsPerSecond / segment.callsPerSecond,
      },
      {
        name: `events delivered — ${SEGMENT}`,
        value: pct(segment.delivered),
        unit: '%',
        note: `worst of ${ROUNDS} runs; all ${CALLS} received after ${(segment.deliveryMs / 1000).toFixed(1)} s (median)${segment.timedOut > 0 ? `; ${segment.timedOut} run(s) timed out at 120 s` : ''}; duplicates ${segment.duplicates}; ${describeRequests(runs.segment)}`,
      },
      {
        name: `events delivered — ${TAILOR}`,
        value: pct(tailor.delivered),
        unit: '%',
        budget: { text: '100% delivered', met: tailor.delivered === CALLS && tailor.duplicates === 0 },
        note: `worst of ${ROUNDS} runs; ${pct(tailor.deliveredAtFlush).toFixed(1)}% already received when flush() resolved; all received after ${(tailor.deliveryMs / 1000).toFixed(2)} s (median); duplicates ${tailor.duplicates}; ${describeRequests(runs.tailor)}`,
      },
    ];
    return figures;
  },
};

export default benchmark;
