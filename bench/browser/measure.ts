import { setTimeout as sleep } from 'node:timers/promises';
import { launchFresh } from './chromium';
import type { BenchWindow, PageKind } from './pages';
import type { BenchServer } from './server';

/** One burst on one fresh browser. Durations in milliseconds. */
export interface BurstRun {
  readonly kind: PageKind;
  /** CDP `TaskDuration` growth from before the burst until settled: all main-thread tasks. */
  readonly taskMs: number;
  /**
   * The part of `taskMs` spent in the harness's own `page.evaluate` tasks (CDP `DevToolsCommandDuration`):
   * the synchronous loop plus the microtasks it queued. The rest ran in tasks the SDK scheduled later
   * (timers, IndexedDB and fetch callbacks).
   */
  readonly callingTaskMs: number;
  /** CDP `ScriptDuration`: JavaScript run in those later tasks (not promise jobs run inside a DevTools command). */
  readonly scriptMs: number;
  /** The synchronous `for` loop of `track()` calls alone, by `performance.now()` in the page. */
  readonly loopMs: number;
  /** Distinct events the server had when `flush()` resolved. */
  readonly deliveredAtFlush: number;
  /** Distinct events the server had once settled. */
  readonly delivered: number;
  readonly duplicates: number;
  /** POST bodies the server could not decode (neither JSON nor msgpack). */
  readonly undecodable: number;
  /** From the first `track()` until the server had every event (or the time-out). */
  readonly deliveryMs: number;
  readonly timedOut: boolean;
  readonly blocked: readonly string[];
  /** Uncaught errors during the burst (reported, not fatal: delivery shows whether they mattered). */
  readonly pageErrors: readonly string[];
  /** Console errors during the burst, e.g. "Failed to load resource: net::ERR_INSUFFICIENT_RESOURCES". */
  readonly consoleErrors: readonly string[];
  readonly requests: Readonly<Record<string, number>>;
}

export interface BurstOptions {
  readonly calls: number;
  /** Quiet time after the SDK settled, so the tasks it scheduled last are counted too. */
  readonly idleMs: number;
  /** How long to wait for the server to receive every event. */
  readonly deliveryTimeoutMs: number;
}

function metric(result: { metrics: Array<{ name: string; value: number }> }, name: string, required = false): number {
  // A metric that never ticked (ScriptDuration on an idle page) is absent rather than 0.
  const found = result.metrics.find((entry) => entry.name === name);
  if (!found && required) throw new Error(`CDP Performance.getMetrics has no ${name}`);
  return (found?.value ?? 0) * 1000; // seconds → ms
}

/**
 * Opens `kind`'s page in a fresh Chromium, waits for the SDK to be ready, then measures a burst of `calls`
 * `track()` calls: main-thread time (CDP Performance domain) from just before the burst until the SDK has
 * flushed, the server has every event, and the page has been idle for `idleMs`.
 */
export async function measureBurst(kind: PageKind, server: BenchServer, options: BurstOptions): Promise<BurstRun> {
  server.reset();
  const browser = await launchFresh();
  try {
    const { page, context } = browser;
    await page.goto(`${server.origin}/${kind}.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as Partial<BenchWindow>).__ready !== undefined, undefined, { timeout: 30_000 });
    // No named functions inside evaluate callbacks: tsx's keepNames would wrap them in a __name() the page lacks.
    await page.evaluate(() => (window as unknown as BenchWindow).__ready.then(() => true));
    await sleep(300); // let start-up work that follows ready() (settings, storage) finish
    const failures = [...browser.pageErrors, ...browser.consoleErrors];
    if (failures.length > 0) throw new Error(`${kind} page failed to start:\n${failures.slice(0, 10).join('\n')}`);

    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const before = await cdp.send('Performance.getMetrics');
    const started = Date.now();
    const loopMs = await page.evaluate((calls) => {
      const sdk = (window as unknown as BenchWindow).__sdk;
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) sdk.track(i);
      return performance.now() - t0;
    }, options.calls);
    await page.evaluate(() => (window as unknown as BenchWindow).__sdk.flush().then(() => true));
    const deliveredAtFlush = server.received().events;

    const expected = kind === 'baseline' ? 0 : options.calls;
    let timedOut = false;
    while (server.received().events < expected) {
      if (Date.now() - started > options.deliveryTimeoutMs) {
        timedOut = true;
        break;
      }
      await sleep(20);
    }
    const deliveryMs = Date.now() - started;
    await sleep(options.idleMs);
    const after = await cdp.send('Performance.getMetrics');
    await cdp.detach();

    const received = server.received();
    return {
      kind,
      taskMs: metric(after, 'TaskDuration', true) - metric(before, 'TaskDuration', true),
      callingTaskMs: metric(after, 'DevToolsCommandDuration') - metric(before, 'DevToolsCommandDuration'),
      scriptMs: metric(after, 'ScriptDuration') - metric(before, 'ScriptDuration'),
      loopMs,
      deliveredAtFlush,
      delivered: received.events,
      duplicates: received.duplicates,
      undecodable: received.undecodable,
      deliveryMs,
      timedOut,
      blocked: [...browser.blocked],
      pageErrors: [...browser.pageErrors],
      consoleErrors: [...browser.consoleErrors],
      requests: received.requests,
    };
  } finally {
    await browser.close();
  }
}
