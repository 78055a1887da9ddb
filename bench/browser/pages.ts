import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { APP_BUNDLE } from '../esbuild-options';
import type { Asset } from './server';

/** The repository root: esbuild resolves packages from here. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const WRITE_KEY = 'wk_bench';
/** The event every page's `__sdk.track(i)` sends; the server counts deliveries by this name. */
export const BENCH_EVENT = 'Product Viewed';

/** What each page script puts on `window` for the harness. */
export interface BenchWindow {
  __sdk: { track(i: number): void; flush(): Promise<void> };
  /** Resolves once the SDK has loaded (ids read from storage, settings fetched, plugins registered). */
  __ready: Promise<unknown>;
}

export type PageKind = 'baseline' | 'tailor' | 'segment';

/**
 * The page scripts, as an app would write them. The baseline page does the same harness work (a module
 * script, the same evaluate calls) around a no-op `track`, so page and harness overhead cancel out.
 */
const ENTRIES: Record<PageKind, string> = {
  baseline: `
    const w = window as any;
    w.__sdk = { track: (i: number) => {}, flush: () => Promise.resolve() };
    w.__ready = Promise.resolve();
  `,
  tailor: `
    import { createTailor } from '@tailor/browser';
    const t = createTailor({ writeKey: '${WRITE_KEY}', endpoint: location.origin });
    const w = window as any;
    w.__sdk = { track: (i: number) => t.track('${BENCH_EVENT}', { product_id: 'p-' + i, price: 10 }), flush: () => t.flush() };
    w.__ready = t.ready();
  `,
  // analytics.js has no flush(): its events go out one request each as they are processed; the harness
  // waits for the server to have them all.
  segment: `
    import { AnalyticsBrowser } from '@segment/analytics-next';
    const analytics = AnalyticsBrowser.load(
      { writeKey: '${WRITE_KEY}', cdnURL: location.origin },
      { integrations: { 'Segment.io': { apiHost: location.host + '/v1', protocol: 'http' } } },
    );
    const w = window as any;
    w.__sdk = { track: (i: number) => { void analytics.track('${BENCH_EVENT}', { product_id: 'p-' + i, price: 10 }); }, flush: () => Promise.resolve() };
    w.__ready = analytics.ready();
  `,
};

const HTML = (kind: PageKind) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${kind}</title><link rel="icon" href="data:,"></head>` +
  `<body><h1>${kind}</h1><script type="module" src="/${kind}.js"></script></body></html>`;

/** Builds each page script (esbuild, minified, ESM, browser; workspace packages from their TS sources). */
export async function buildPages(): Promise<{ assets: Map<string, Asset>; sizes: Record<PageKind, number> }> {
  const assets = new Map<string, Asset>();
  const sizes = {} as Record<PageKind, number>;
  for (const kind of Object.keys(ENTRIES) as PageKind[]) {
    const result = await build({
      stdin: { contents: ENTRIES[kind], resolveDir: ROOT, loader: 'ts', sourcefile: `${kind}-page.ts` },
      ...APP_BUNDLE,
      logLevel: 'error',
    });
    const code = result.outputFiles[0]?.text ?? '';
    sizes[kind] = Buffer.byteLength(code);
    assets.set(`/${kind}.js`, { type: 'text/javascript; charset=utf-8', body: code });
    assets.set(`/${kind}.html`, { type: 'text/html; charset=utf-8', body: HTML(kind) });
  }
  return { assets, sizes };
}
