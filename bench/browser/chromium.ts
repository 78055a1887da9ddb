import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../packages/test-utils/src/services';

/** The machine's Debian Chromium: the benchmarks never download a browser. */
export const CHROMIUM = process.env.TAILOR_CHROMIUM ?? CHROMIUM_PATH;

/** The tests' flags, plus: the browser process's own requests (which no route sees) cannot resolve any host. */
const ARGS = [...CHROMIUM_ARGS, '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];

/** Any URL that is not http(s)/ws(s) on 127.0.0.1. */
const NOT_LOCAL = /^(?!(?:https?|wss?):\/\/127\.0\.0\.1(?::\d+)?(?:[/?#]|$))/;

export interface FreshBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** URLs that were not on 127.0.0.1 and were aborted. */
  readonly blocked: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  readonly pageErrors: string[];
  /** `console.error` lines, including Chromium's own "Failed to load resource". */
  readonly consoleErrors: string[];
  close(): Promise<void>;
}

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * A new Chromium with its own empty user-data directory (on disk, so IndexedDB and localStorage are real
 * files as on a shopper's machine, not an incognito context's memory store) and no HTTP cache. Every
 * request that is not for 127.0.0.1 is aborted.
 */
export async function launchFresh(): Promise<FreshBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'tailor-bench-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      serviceWorkers: 'block',
      viewport: { width: 1280, height: 800 },
    });
    const blocked: string[] = [];
    const pageErrors: string[] = [];
    const consoleErrors: string[] = [];
    // A regular expression is matched inside Playwright's driver, so local requests are let through there
    // without a round trip to this handler; everything else lands here and is aborted.
    await context.route(NOT_LOCAL, (route) => {
      blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const opened = context;
    return {
      context: opened,
      page,
      blocked,
      pageErrors,
      consoleErrors,
      async close() {
        try {
          await opened.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await context?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
