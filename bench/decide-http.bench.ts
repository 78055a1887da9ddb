import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { buildLinearClassifierModel } from '../packages/test-utils/src/onnx-models';
import type { Benchmark, Figure } from './harness';
import { startServer } from './processes';

export const KEY = 'wk_bench_0123456789';
const SECONDS = Number(process.env.TAILOR_BENCH_SECONDS ?? 10);
const RATE = 2_000;
const FRESHNESS_SAMPLES = 300;
const auth = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;

export const FEATURES = ['session.product_views', 'session.add_to_carts', 'session.cart_value', 'rfm.orders_total', 'price.discount_share'];
const CATEGORIES = ['shoes', 'outerwear', 'bags', 'denim', 'knitwear', 'accessories', 'sport', 'beauty'];

/** 200 offers over two placements, most with rules on features or context, half scored by a linear model. */
export function decisionConfig(): unknown {
  const offers = Array.from({ length: 200 }, (_, i) => {
    const category = CATEGORIES[i % CATEGORIES.length] as string;
    return {
      id: `offer-${i}`,
      placements: [i % 2 === 0 ? 'home-hero' : 'product-sidebar'],
      value: 5 + (i % 37),
      creative: { title: `${category} ${i}` },
      tags: [category],
      ...(i % 5 === 0 ? {} : { eligibility: { [`features.affinity.category.${category}`]: { $gte: (i % 7) / 50 } } }),
      ...(i % 3 === 0 ? { applicability: { 'context.page': { $in: ['home', 'product', 'category'] } } } : {}),
      ...(i % 2 === 0 ? { modelId: 'propensity' } : {}),
      levers: { margin: i % 11 },
    };
  });
  return {
    version: 'bench-1',
    placements: [
      { id: 'home-hero', slots: 1, channel: 'web' },
      { id: 'product-sidebar', slots: 3, channel: 'web' },
    ],
    offers,
    defaults: { 'home-hero': ['offer-0'] },
    models: [{ id: 'propensity', version: '1', url: 'propensity.onnx' }],
    policies: [{ id: 'cap', scope: 'offer', maxImpressions: { count: 3, window: '1d' } }],
  };
}

async function post(url: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(url + path, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const benchmark: Benchmark = {
  name: 'decide-http',
  description: `POST /v1/decide on a collector (own process, 200 offers with rules and a linear model, LMDB profiles) at ${RATE} req/s for ${SECONDS} s with autocannon, next to a bare node:http server answering a fixed JSON at the same rate; and event → next decision freshness (${FRESHNESS_SAMPLES} samples).`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'tailor-bench-decide-'));
    const model = buildLinearClassifierModel({ seed: 3, features: FEATURES.length, metadata: { 'tailor.model_id': 'propensity', 'tailor.model_version': '1', 'tailor.feature_names': JSON.stringify(FEATURES) } });
    writeFileSync(join(dir, 'propensity.onnx'), model.bytes);
    writeFileSync(join(dir, 'decisions.json'), JSON.stringify(decisionConfig()));
    writeFileSync(
      join(dir, 'tailor.config.json'),
      JSON.stringify({ dataDir: join(dir, 'data'), log: { level: 'warn' }, sources: [{ id: 'web', writeKeys: [KEY], decisions: join(dir, 'decisions.json'), rateLimit: { perSecond: 1e8, burst: 1e8 } }] }),
    );
    const bare = await startServer('bench/servers/bare-http.ts');
    const collector = await startServer('packages/node/src/cli.ts', ['collector', '--port', '0', '--config', join(dir, 'tailor.config.json')]);
    const figures: Figure[] = [];
    try {
      // People with history, so decisions read real profiles.
      const people = 200;
      const events = Array.from({ length: people }, (_, p) =>
        Array.from({ length: 5 }, (_, e) => ({ type: 'track', messageId: `seed-${p}-${e}`, anonymousId: `person-${p}`, event: 'Product Viewed', properties: { product_id: `sku-${e}`, category: CATEGORIES[(p + e) % CATEGORIES.length], price: 20 + e } })),
      ).flat();
      for (let i = 0; i < events.length; i += 500) await post(collector.url, '/v1/batch', { batch: events.slice(i, i + 500) });
      await new Promise((resolve) => setTimeout(resolve, 500));

      let n = 0;
      const decideRequest = () => JSON.stringify({ anonymousId: `person-${n++ % people}`, placements: [{ id: 'home-hero' }, { id: 'product-sidebar' }], context: { page: 'product' } });
      const run = (url: string, path: string, seconds: number) =>
        autocannon({
          url: url + path,
          connections: 20,
          duration: seconds,
          overallRate: RATE,
          requests: [{ method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, setupRequest: (request) => ({ ...request, body: decideRequest() }) }],
        });
      await run(collector.url, '/v1/decide', 2); // warm-up
      await run(bare.url, '/v1/decide', 2);
      const baseline = await run(bare.url, '/v1/decide', SECONDS);
      const decided = await run(collector.url, '/v1/decide', SECONDS);
      figures.push(
        { name: `bare node:http at ${RATE} req/s, p99`, value: baseline.latency.p99, unit: 'ms', note: `p50 ${baseline.latency.p50} ms, ${Math.round(baseline.requests.average)} req/s` },
        {
          name: `POST /v1/decide at ${RATE} req/s, p99`,
          value: decided.latency.p99,
          unit: 'ms',
          baseline: { name: 'bare node:http p99', value: baseline.latency.p99 },
          ratio: decided.latency.p99 / Math.max(baseline.latency.p99, 0.001),
          budget: { text: 'p99 ≤ 5 ms at 2k req/s', met: decided.latency.p99 <= 5 && decided.requests.average >= RATE * 0.95 },
          note: `p50 ${decided.latency.p50} ms, ${Math.round(decided.requests.average)} req/s served, non-2xx ${decided.non2xx}, errors ${decided.errors + decided.timeouts}; 2 placements over 200 offers per request`,
        },
      );

      // Freshness: a new visitor views two products of a category; how long until a decision uses it?
      const samples: number[] = [];
      for (let i = 0; i < FRESHNESS_SAMPLES; i++) {
        const anonymousId = `fresh-${i}`;
        const category = CATEGORIES[i % CATEGORIES.length];
        const before = (await post(collector.url, '/v1/decide', { anonymousId, placements: [{ id: 'product-sidebar' }], context: { page: 'product' } })).json.profileId;
        const views = [0, 1].map((e) => ({ type: 'track', messageId: `fresh-${i}-${e}`, anonymousId, event: 'Product Viewed', properties: { product_id: `p${e}`, category, price: 30 } }));
        const ack = await post(collector.url, '/v1/batch', { batch: views });
        if (ack.status !== 200 || before !== undefined) throw new Error('freshness setup failed');
        const acked = performance.now();
        for (;;) {
          const decision = (await post(collector.url, '/v1/decide', { anonymousId, placements: [{ id: 'product-sidebar' }], context: { page: 'product' } })).json;
          if (decision.profileId !== undefined) break;
          if (performance.now() - acked > 5_000) throw new Error('the event never reached a decision');
        }
        samples.push(performance.now() - acked);
      }
      const p99 = percentile(samples, 99);
      figures.push({
        name: 'event accepted → visible to the next decision, p99',
        value: p99,
        unit: 'ms',
        budget: { text: 'p99 ≤ 20 ms', met: p99 <= 20 },
        note: `p50 ${percentile(samples, 50).toFixed(1)} ms; from the 200 of POST /v1/batch to the first POST /v1/decide that sees the new profile (polling, so it includes one decide round trip)`,
      });
    } finally {
      await collector.stop();
      await bare.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};

export default benchmark;
