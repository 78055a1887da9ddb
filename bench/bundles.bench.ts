import { measureSplitBundle, type SplitBundleReport } from './browser/bundle-size';
import { BUDGETS } from './budgets';
import type { Benchmark, Figure } from './harness';

/** "Init + one track" as each SDK's quick start writes it. */
const ENTRIES = {
  tailor: `
    import { createTailor } from '@tailor/browser';
    export const tailor = createTailor({ writeKey: 'wk_web', endpoint: 'https://t.shop.example' });
    tailor.track('Product Viewed', { product_id: 'p-1', price: 10 });
  `,
  segment: `
    import { AnalyticsBrowser } from '@segment/analytics-next';
    export const analytics = AnalyticsBrowser.load({ writeKey: 'wk_web' });
    analytics.track('Product Viewed', { product_id: 'p-1', price: 10 });
  `,
  rudderstack: `
    import { RudderAnalytics } from '@rudderstack/analytics-js';
    export const analytics = new RudderAnalytics();
    analytics.load('wk_web', 'https://dataplane.shop.example');
    analytics.track('Product Viewed', { product_id: 'p-1', price: 10 });
  `,
  decisions: `
    import { createTailor } from '@tailor/browser';
    import { createDecisions } from '@tailor/browser/decisions';
    export const tailor = createTailor({ writeKey: 'wk_web', endpoint: 'https://t.shop.example' });
    export const decisions = createDecisions(tailor);
    decisions.decide('home-hero', { page: 'home' });
  `,
  posthog: `
    import posthog from 'posthog-js';
    posthog.init('phc_web', { api_host: 'https://ph.shop.example' });
    posthog.capture('Product Viewed', { product_id: 'p-1', price: 10 });
    export { posthog };
  `,
} as const;

const LABEL = {
  tailor: '@tailor/browser',
  decisions: '@tailor/browser + /decisions',
  segment: '@segment/analytics-next',
  rudderstack: '@rudderstack/analytics-js',
  posthog: 'posthog-js',
} as const;

const RUNTIME_NOTE: Partial<Record<keyof typeof ENTRIES, string>> = {
  segment: 'also fetches its CDN settings and, per those settings, destinations and plugins at run time',
  rudderstack: 'loads its plugins (queue, storage, …) from its CDN at run time; those are not counted',
};

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const benchmark: Benchmark = {
  name: 'bundles',
  description:
    'Browser bundle of "init + one track" per SDK: esbuild (browser, ESM, minified, code splitting), gzip -9 per chunk. ' +
    'The figure is the initial download (entry + statically imported chunks); lazy chunks are in the note.',
  async run() {
    const reports = {} as Record<keyof typeof ENTRIES, SplitBundleReport>;
    for (const name of Object.keys(ENTRIES) as Array<keyof typeof ENTRIES>) reports[name] = await measureSplitBundle(ENTRIES[name]);
    const tailor = reports.tailor.initialGzipped;
    const figures: Figure[] = [
      {
        name: `${LABEL.tailor}, init + track, min+gzip`,
        value: tailor,
        unit: 'B',
        budget: { text: `≤ ${BUDGETS.browserEntryBytes / 1024} KB`, met: tailor <= BUDGETS.browserEntryBytes },
        note: `${kb(reports.tailor.initialMinified)} minified; ${reports.tailor.chunks} chunk(s), ${kb(reports.tailor.totalGzipped)} gzip in all`,
      },
      {
        name: `${LABEL.decisions}, init + one on-device decision, min+gzip`,
        value: reports.decisions.initialGzipped,
        unit: 'B',
        baseline: { name: LABEL.tailor, value: tailor },
        ratio: reports.decisions.initialGzipped / tailor,
        budget: { text: `≤ ${BUDGETS.browserWithDecisionsBytes / 1024} KB`, met: reports.decisions.initialGzipped <= BUDGETS.browserWithDecisionsBytes },
        note: `${kb(reports.decisions.initialMinified)} minified: decide(), conditions, contact policies, exploration, experiments, the feature spec and the compact model evaluators (~2.8 KB gzip of it; the ONNX reader stays on /onnx)`,
      },
    ];
    for (const name of ['segment', 'rudderstack', 'posthog'] as const) {
      const report = reports[name];
      figures.push({
        name: `${LABEL[name]}, init + track, min+gzip (initial)`,
        value: report.initialGzipped,
        unit: 'B',
        note: [
          `${kb(report.initialMinified)} minified`,
          `${report.chunks} chunk(s), ${kb(report.totalGzipped)} gzip with lazy chunks`,
          RUNTIME_NOTE[name],
        ]
          .filter(Boolean)
          .join('; '),
      });
    }
    for (const name of ['segment', 'rudderstack', 'posthog'] as const) {
      figures.push({
        name: `${LABEL.tailor} against ${LABEL[name]}`,
        value: tailor,
        unit: 'B',
        baseline: { name: LABEL[name], value: reports[name].initialGzipped },
        ratio: tailor / reports[name].initialGzipped,
      });
    }
    return figures;
  },
};

export default benchmark;
