import type { Browser, BrowserContext, Page } from 'playwright';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestCollector, WRITE_KEY } from '../../node/test/collector-harness';
import { describeWithService } from '../../test-utils/src/require-service';
import { launchChromium, startSdkPage } from './chromium-page';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
declare global {
  interface Window {
    tailor: import('@tailor/browser').TailorClient<Record<string, Record<string, unknown>>>;
  }
}

/**
 * The browser SDK in Debian's Chromium against a real collector (LMDB on disk), on separate origins so
 * CORS is real too. Every test reads what the collector stored, and its duplicate counter.
 */
describeWithService('chromium', '@tailor/browser in Chromium against a real collector', () => {
  let browser: Browser;
  let collector: Collector;
  let site: Awaited<ReturnType<typeof startSdkPage>>;

  beforeAll(async () => {
    [browser, collector, site] = await Promise.all([launchChromium(), startTestCollector(), startSdkPage()]);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await collector?.stop();
  });

  const pageUrl = (options: Record<string, string> = {}) => `${site.url}?${new URLSearchParams({ key: WRITE_KEY, endpoint: collector.url, ...options })}`;
  const stored = (event: string) => [...collector.store.scan({ sourceId: 'web' })].filter((e) => e.event.type === 'track' && (e.event as { event: string }).event === event);
  const duplicates = async () => Number(/tailor_events_duplicate_total\{source="web"\} (\d+)/.exec(await (await fetch(`${collector.url}/metrics`)).text())?.[1] ?? 0);
  const open = async (context: BrowserContext, options?: Record<string, string>): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(pageUrl(options));
    await page.waitForFunction(() => window.tailor !== undefined);
    return page;
  };
  const track = (page: Page, event: string, count: number, prefix: string) =>
    page.evaluate(({ event, count, prefix }) => {
      for (let i = 0; i < count; i++) window.tailor.track(event, { product_id: `${prefix}-${i}` });
    }, { event, count, prefix });
  const waitFor = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('offline → queued → reload → online: every event delivered exactly once', async () => {
    const context = await browser.newContext();
    await context.newPage(); // a blank tab keeps the browser session alive while the shop tab is closed
    const page = await open(context);
    await page.evaluate(() => window.tailor.ready());
    await context.setOffline(true);
    await track(page, 'Offline Viewed', 5, 'off');
    await page.evaluate(() => window.tailor.flush()); // fails: offline, events stay in IndexedDB
    // The tab goes away while offline (its pagehide send fails too). With runBeforeUnload, close() returns before
    // the tab is gone: wait for it, or setOffline below races a closing target ("has been closed").
    const gone = new Promise<void>((resolve) => page.once('close', () => resolve()));
    await page.close({ runBeforeUnload: true });
    await gone;
    expect(stored('Offline Viewed')).toHaveLength(0);
    await context.setOffline(false);
    const again = await open(context); // the shopper comes back: a new page load
    await waitFor('the queued events', () => stored('Offline Viewed').length >= 5);
    await again.evaluate(() => window.tailor.flush());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ids = stored('Offline Viewed').map((e) => e.event.messageId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    await context.close();
  });

  it('two tabs tracking at once: one sender, no duplicates', async () => {
    const context = await browser.newContext();
    const [tabA, tabB] = await Promise.all([open(context), open(context)]);
    const before = await duplicates();
    await Promise.all([track(tabA, 'Tab Event', 40, 'a'), track(tabB, 'Tab Event', 40, 'b')]);
    await Promise.all([tabA.evaluate(() => window.tailor.flush()), tabB.evaluate(() => window.tailor.flush())]);
    await waitFor('80 events', () => stored('Tab Event').length >= 80);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stored('Tab Event')).toHaveLength(80);
    expect(await duplicates()).toBe(before); // not even the collector's dedup was needed
    await context.close();
  });

  it('consent denied: zero requests reach the collector', async () => {
    const context = await browser.newContext();
    const toCollector: string[] = [];
    context.on('request', (request) => {
      if (request.url().startsWith(collector.url)) toCollector.push(request.url());
    });
    const page = await open(context, { deny: '1', interval: '50' });
    await track(page, 'Denied Viewed', 10, 'd');
    await page.evaluate(() => window.tailor.flush());
    await page.evaluate(() => window.tailor.consent({ measurement: false }));
    await track(page, 'Denied Viewed', 10, 'e');
    await page.evaluate(() => window.tailor.flush());
    await page.close({ runBeforeUnload: true }); // pagehide must not leak them either
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(toCollector).toEqual([]);
    expect(stored('Denied Viewed')).toHaveLength(0);
    await context.close();
  });

  it('pagehide: pending events are delivered on the way out', async () => {
    const context = await browser.newContext();
    const page = await open(context, { interval: '600000' });
    await page.evaluate(() => window.tailor.ready());
    await track(page, 'Unload Viewed', 3, 'u');
    await page.goto('about:blank');
    await waitFor('events sent at pagehide', () => stored('Unload Viewed').length >= 3);
    expect(stored('Unload Viewed')).toHaveLength(3);
    await context.close();
  });

  it('IndexedDB blocked: still delivers from memory', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      IDBFactory.prototype.open = function () {
        throw new DOMException('blocked by the test', 'SecurityError');
      };
    });
    const page = await open(context);
    await page.evaluate(() => window.tailor.ready());
    expect(await page.evaluate(() => window.tailor.getSnapshot().durable)).toBe(false);
    await track(page, 'Memory Viewed', 4, 'm');
    await page.evaluate(() => window.tailor.flush());
    await waitFor('events from memory', () => stored('Memory Viewed').length >= 4);
    expect(stored('Memory Viewed')).toHaveLength(4);
    await context.close();
  });

  it('sets the first-party anonymous-id cookie only with consent', async () => {
    const context = await browser.newContext();
    const page = await open(context, { deny: '1' });
    await page.evaluate(() => window.tailor.ready());
    expect((await context.cookies()).map((c) => c.name)).not.toContain('tlr_aid');
    await page.evaluate(() => window.tailor.consent({ measurement: true }));
    const cookie = (await context.cookies()).find((c) => c.name === 'tlr_aid');
    expect(cookie?.value).toBe(await page.evaluate(() => window.tailor.getAnonymousId()));
    await context.close();
  });
});
