import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDecisionClient } from '../packages/node/src/client/decisions';
import { buildLinearClassifierModel } from '../packages/test-utils/src/onnx-models';
import { FEATURES, KEY, decisionConfig } from './decide-http.bench';
import type { Benchmark, Figure } from './harness';
import { startServer } from './processes';

const SECRET = 'sk_bench_0123456789abcdefghijklmn';
const CALLS = 5_000;
const PEOPLE = 200;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function time(calls: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await fn(i);
    samples.push((performance.now() - start) * 1000);
  }
  return samples;
}

const benchmark: Benchmark = {
  name: 'node-decisions',
  description: `@tailor/node createDecisionClient against a collector in its own process (200 offers, rules, linear model): ${CALLS} sequential decide() calls over ${PEOPLE} people, in process with warm config and profile caches, with the decision cache, and remote (POST /v1/decide) as the baseline, in the same run.`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'tailor-bench-node-decisions-'));
    const model = buildLinearClassifierModel({ seed: 3, features: FEATURES.length, metadata: { 'tailor.model_id': 'propensity', 'tailor.model_version': '1', 'tailor.feature_names': JSON.stringify(FEATURES) } });
    writeFileSync(join(dir, 'propensity.onnx'), model.bytes);
    writeFileSync(join(dir, 'decisions.json'), JSON.stringify(decisionConfig()));
    writeFileSync(join(dir, 'tailor.config.json'), JSON.stringify({ dataDir: join(dir, 'data'), log: { level: 'warn' }, sources: [{ id: 'web', writeKeys: [KEY], secretKeys: [SECRET], decisions: join(dir, 'decisions.json'), rateLimit: { perSecond: 1e8, burst: 1e8 } }] }));
    const collector = await startServer('packages/node/src/cli.ts', ['collector', '--port', '0', '--config', join(dir, 'tailor.config.json')]);
    const figures: Figure[] = [];
    try {
      const events = Array.from({ length: PEOPLE }, (_, p) => ({ type: 'track', messageId: `seed-${p}`, userId: `user-${p}`, event: 'Product Viewed', properties: { product_id: 'sku', category: ['shoes', 'bags', 'denim'][p % 3], price: 40 } }));
      await fetch(`${collector.url}/v1/batch`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify({ batch: events }) });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const call = (i: number) => ({ userId: `user-${i % PEOPLE}`, placements: [{ id: 'home-hero' }, { id: 'product-sidebar' }], context: { page: 'product' } });

      const local = createDecisionClient({ endpoint: collector.url, secretKey: SECRET, mode: 'local', profileTtlMs: 3_600_000 });
      const cached = createDecisionClient({ endpoint: collector.url, secretKey: SECRET, mode: 'local', profileTtlMs: 3_600_000, cache: { ttlMs: 3_600_000 } });
      const remote = createDecisionClient({ endpoint: collector.url, secretKey: SECRET, mode: 'remote' });
      // Warm: config, models, every person's profile, the JIT.
      for (let i = 0; i < PEOPLE * 2; i++) await Promise.all([local.decide(call(i)), cached.decide(call(i)), remote.decide(call(i))]);
      const remoteSamples = await time(CALLS, (i) => remote.decide(call(i)));
      const localSamples = await time(CALLS, (i) => local.decide(call(i)));
      const cachedSamples = await time(CALLS, (i) => cached.decide(call(i)));
      const remoteP50 = percentile(remoteSamples, 50);
      figures.push(
        { name: 'remote decide() (POST /v1/decide), p50', value: remoteP50, unit: 'µs', note: `p99 ${percentile(remoteSamples, 99).toFixed(0)} µs` },
        {
          name: 'in-process decide(), warm config + profile cache, p50',
          value: percentile(localSamples, 50),
          unit: 'µs',
          baseline: { name: 'remote p50', value: remoteP50 },
          ratio: percentile(localSamples, 50) / remoteP50,
          note: `p99 ${percentile(localSamples, 99).toFixed(0)} µs; 2 placements over 200 offers with rules and a linear model`,
        },
        {
          name: 'in-process decide(), decision cache hit, p50',
          value: percentile(cachedSamples, 50),
          unit: 'µs',
          baseline: { name: 'remote p50', value: remoteP50 },
          ratio: percentile(cachedSamples, 50) / remoteP50,
          note: `p99 ${percentile(cachedSamples, 99).toFixed(1)} µs; hit rate ${(cached.stats().hitRate * 100).toFixed(1)}%`,
        },
      );
      local.close();
      cached.close();
      remote.close();
    } finally {
      await collector.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};

export default benchmark;
