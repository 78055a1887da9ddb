import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../../../packages/browser/test/chromium-page';
import { startTestCollector, WRITE_KEY } from '../../../packages/node/test/collector-harness';
import { describeWithService } from '../../../packages/test-utils/src/require-service';

const HERE = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(HERE, 'dist');
const DECISIONS = fileURLToPath(new URL('../../collector/decisions.json', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../../../docs/storefront.png', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const TRACKING_PATHS = /\/v1\/(batch|b|events|t|i|p|s|g|a|track|identify|page|screen|group|alias)$/;

/** The built storefront (`npm run build` builds it before the tests) on its own origin. */
async function serveStorefront(): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('examples/storefront/dist is missing: run `npm run build` first');
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    let file = join(DIST, path);
    if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html');
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The demo storefront in Debian's Chromium against a real collector with the demo decision config:
 * offers follow behaviour within one page view, denied consent means generic offers and no tracking,
 * and an offline spell loses nothing.
 */
describeWithService('chromium', 'storefront in Chromium against a real collector', () => {
  let browser: Browser;
  let collector: Awaited<ReturnType<typeof startTestCollector>>;
  let shop: Awaited<ReturnType<typeof serveStorefront>>;

  beforeAll(async () => {
    [browser, collector, shop] = await Promise.all([
      launchChromium(),
      startTestCollector({ sources: [{ id: 'web', writeKeys: [WRITE_KEY], decisions: DECISIONS, rateLimit: { perSecond: 100_000, burst: 100_000 } }] }),
      serveStorefront(),
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await collector?.stop();
  });

  const open = async (context: BrowserContext, hash = '#/'): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${shop.url}/?${new URLSearchParams({ tailor_endpoint: collector.url, tailor_key: WRITE_KEY })}${hash}`);
    await page.getByTestId('consent-banner').waitFor();
    return page;
  };
  const offerOf = (page: Page, placement: string) => page.getByTestId(`offer-${placement}`).getAttribute('data-offer-id');
  const stored = (anonymousId: string) => [...collector.store.scan({ sourceId: 'web' })].filter((e) => e.event.anonymousId === anonymousId);

  it('offers follow behaviour within the same page view', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await open(context);
    await page.getByTestId('consent-accept').click();
    await expect.poll(() => offerOf(page, 'home-hero'), { timeout: 10_000 }).toBe('welcome-10');
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });
    const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);

    await page.getByTestId('nav-category-shoes').click();
    await page.getByTestId('category-title').waitFor();
    const cards = page.locator('[data-testid^="product-card-"]');
    await cards.first().click();
    await page.getByTestId('product-title').waitFor();
    await page.getByTestId('add-to-cart').click();
    await page.goBack();
    await cards.nth(1).click();
    await page.getByTestId('product-title').waitFor();
    // The sidebar offer changes from the generic one to the shoe offer while the shopper browses.
    await expect.poll(() => offerOf(page, 'product-sidebar'), { timeout: 10_000 }).toBe('shoes-20');
    await page.evaluate(() => (window.location.hash = '#/'));
    await expect.poll(() => offerOf(page, 'home-hero'), { timeout: 10_000 }).toBe('shoes-20');
    // All of it happened in one document: hash navigations only, no reload.
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(loads);
    expect(navigations.every((url) => url.startsWith(shop.url))).toBe(true);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    // What the shopper did reached the collector, as one person.
    const anonymousId = await page.evaluate(() => document.cookie.match(/tlr_aid=([^;]+)/)?.[1] ?? '');
    await expect.poll(() => stored(decodeURIComponent(anonymousId)).filter((e) => e.event.type === 'track').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await context.close();
  });

  it('denied consent: generic offers and not one tracking request', async () => {
    const context = await browser.newContext();
    const tracking: string[] = [];
    context.on('request', (request) => {
      if (TRACKING_PATHS.test(new URL(request.url()).pathname)) tracking.push(request.url());
    });
    const page = await open(context);
    await page.getByTestId('consent-deny').click();
    await page.getByTestId('nav-category-shoes').click();
    const cards = page.locator('[data-testid^="product-card-"]');
    await cards.first().click();
    await page.getByTestId('add-to-cart').click();
    await page.goBack();
    await cards.nth(1).click();
    await page.getByTestId('product-title').waitFor();
    await expect.poll(() => page.getByTestId('offer-product-sidebar').getAttribute('data-status'), { timeout: 10_000 }).toBe('ready');
    const offer = await offerOf(page, 'product-sidebar');
    expect(['welcome-10', 'free-shipping']).toContain(offer);
    await page.waitForTimeout(1_500); // longer than the SDK's flush interval
    expect(tracking).toEqual([]);
    await context.close();
  });

  it('offline and back: nothing the shopper did is lost', async () => {
    const context = await browser.newContext();
    const page = await open(context);
    await page.getByTestId('consent-accept').click();
    await page.waitForTimeout(500);
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('offline-badge').isVisible()).toBe(true);
    await page.getByTestId('nav-category-bags').click();
    const cards = page.locator('[data-testid^="product-card-"]');
    await cards.first().click();
    await page.getByTestId('add-to-cart').click();
    const anonymousId = decodeURIComponent(await page.evaluate(() => document.cookie.match(/tlr_aid=([^;]+)/)?.[1] ?? ''));
    const added = () => stored(anonymousId).filter((e) => e.event.type === 'track' && (e.event as { event: string }).event === 'Product Added');
    await page.waitForTimeout(1_000);
    expect(added()).toHaveLength(0);
    await context.setOffline(false);
    await expect.poll(() => added().length, { timeout: 15_000 }).toBe(1);
    const views = stored(anonymousId).filter((e) => e.event.type === 'track' && (e.event as { event: string }).event === 'Product Viewed');
    expect(views).toHaveLength(1);
    await context.close();
  });
});
