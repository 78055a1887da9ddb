import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCompactModel, loadModel } from '@tailor/core';
import { buildLinearClassifierModel } from '../../test-utils/src/onnx-models';
import { exportOnnx } from '../src/training/onnx-export';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadSourceDecisions } from '../src/collector/decisions';
import { basicAuth, OTHER_KEY, startTestCollector, WRITE_KEY } from './collector-harness';

const FEATURES = ['session.product_views', 'session.cart_value', 'rfm.orders_total'];
const model = buildLinearClassifierModel({
  seed: 7,
  features: FEATURES.length,
  metadata: { 'tailor.model_id': 'propensity', 'tailor.model_version': '3', 'tailor.feature_names': JSON.stringify(FEATURES) },
});

const DECISIONS = {
  version: 'test-1',
  placements: [{ id: 'home-hero', slots: 1, channel: 'web' }],
  offers: [
    { id: 'welcome', placements: ['home-hero'], value: 5, creative: { title: 'Welcome: 10% off' } },
    { id: 'shoe-sale', placements: ['home-hero'], value: 50, creative: { title: 'Shoes: 20% off' }, eligibility: { 'features.affinity.category.shoes': { $gt: 0 } }, modelId: 'propensity' },
    { id: 'vip-lounge', placements: ['home-hero'], value: 80, creative: { title: 'VIP' }, eligibility: { 'profile.traits.tier': 'gold' } },
  ],
  defaults: { 'home-hero': ['welcome'] },
  models: [{ id: 'propensity', version: '3', url: 'propensity.onnx' }],
  policies: [{ id: 'shoe-cap', scope: 'offer', match: { offers: ['shoe-sale'] }, maxImpressions: { count: 2, window: '1d' } }],
};

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function decisionFiles(config: unknown = DECISIONS): string {
  const dir = mkdtempSync(join(tmpdir(), 'tailor-decisions-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'propensity.onnx'), model.bytes);
  writeFileSync(join(dir, 'decisions.json'), JSON.stringify(config));
  return join(dir, 'decisions.json');
}

async function post(url: string, path: string, body: unknown, key = WRITE_KEY): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: basicAuth(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const decideHero = (url: string, extra: Record<string, unknown> = {}) => post(url, '/v1/decide', { anonymousId: 'visitor-1', placements: [{ id: 'home-hero' }], ...extra });

describe('collector: POST /v1/decide', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  async function start() {
    const collector = await startTestCollector({ decisionLog: { candidateSampleRate: 1 }, sources: [{ id: 'web', writeKeys: [WRITE_KEY], decisions: decisionFiles(), rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } }, { id: 'other', writeKeys: [OTHER_KEY] }] });
    stop = collector.stop;
    return collector;
  }

  it('answers in the documented shape, and the offer follows behaviour within moments', async () => {
    const collector = await start();
    const first = await decideHero(collector.url);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ decisionId: expect.any(String), configVersion: 'test-1', ttlMs: expect.any(Number), experiments: [] });
    expect(first.body.placements).toEqual([{ placementId: 'home-hero', items: [expect.objectContaining({ offerId: 'welcome', rank: 1, selectionProbability: 1, reasons: expect.any(Array), creative: { title: 'Welcome: 10% off' } })] }]);

    const views = [1, 2].map((n) => ({ type: 'track', messageId: `v${n}`, anonymousId: 'visitor-1', event: 'Product Viewed', properties: { product_id: `s${n}`, category: 'Shoes', price: 90 } }));
    expect((await post(collector.url, '/v1/batch', { batch: views })).status).toBe(200);
    let offer = '';
    let decision: Record<string, any> = {};
    for (let attempt = 0; attempt < 100 && offer !== 'shoe-sale'; attempt++) {
      decision = (await decideHero(collector.url)).body;
      offer = decision.placements[0].items[0]?.offerId;
      if (offer !== 'shoe-sale') await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(offer).toBe('shoe-sale');
    expect(decision.profileId).toMatch(/^p_/);
    // The propensity is the model's score on the person's features, as Tailor's evaluator computes it.
    const item = decision.placements[0].items[0];
    const loaded = loadModel(model.bytes);
    if (!loaded.ok) throw new Error(loaded.error);
    expect(item.scoreParts.propensity).toBeGreaterThan(0);
    expect(item.scoreParts.propensity).toBeLessThan(1);
    expect(item.score).toBeCloseTo(item.scoreParts.propensity * item.scoreParts.contextWeight * item.scoreParts.value * item.scoreParts.levers, 6);
    expect(decision.models).toEqual([{ id: 'propensity', version: '3' }]);
  });

  it('applies frequency caps from Offer Viewed outcomes', async () => {
    const collector = await start();
    const events = [
      ...[1, 2].map((n) => ({ type: 'track', messageId: `v${n}`, anonymousId: 'visitor-1', event: 'Product Viewed', properties: { product_id: `s${n}`, category: 'Shoes' } })),
      ...[1, 2].map((n) => ({ type: 'track', messageId: `o${n}`, anonymousId: 'visitor-1', event: 'Offer Viewed', properties: { decision_id: `d${n}`, offer_id: 'shoe-sale', placement_id: 'home-hero' } })),
    ];
    await post(collector.url, '/v1/batch', { batch: events });
    await collector.outbox.drain(5_000);
    const capped = (await decideHero(collector.url)).body;
    expect(capped.placements[0].items[0].offerId).toBe('welcome');
  });

  it('uses no profile data without personalization consent', async () => {
    const collector = await start();
    await post(collector.url, '/v1/batch', { batch: [{ type: 'identify', messageId: 'i1', anonymousId: 'visitor-1', userId: 'u1', traits: { tier: 'gold' } }] });
    await collector.outbox.drain(5_000);
    const personalized = (await decideHero(collector.url, { userId: 'u1' })).body;
    expect(personalized.placements[0].items[0].offerId).toBe('vip-lounge');
    const anonymous = (await decideHero(collector.url, { userId: 'u1', consent: { personalization: false } })).body;
    expect(anonymous.profileId).toBeUndefined();
    expect(anonymous.policy.mode).toBe('non-personalized');
    expect(anonymous.placements[0].items.map((i: { offerId: string }) => i.offerId)).toEqual(['welcome']);
  });

  it('logs every decision with its candidates and selection probabilities', async () => {
    const collector = await start();
    const { body } = await decideHero(collector.url);
    await collector.store.decisionLog.flush();
    const records = [...collector.store.decisionLog.scan({ sourceId: 'web' })];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ decisionId: body.decisionId, configVersion: 'test-1', consent: { personalization: true }, placements: [{ placementId: 'home-hero', items: [{ offerId: 'welcome', selectionProbability: 1 }] }] });
    expect(records[0]?.candidates.map((candidate) => [candidate.offerId, candidate.status])).toEqual(
      expect.arrayContaining([
        ['welcome', 'shown'],
        ['shoe-sale', 'excluded'],
      ]),
    );
  });

  it('keeps decisions made on devices in the same log (Decision Logged events)', async () => {
    const collector = await start();
    const record = { type: 'decision', schemaVersion: 1, decisionId: 'device-d1', timestamp: Date.now(), consent: { personalization: true }, mode: 'personalized', context: {}, configVersion: 'test-1', configHash: 'h', policy: { exploration: 'greedy', version: 'v', mode: 'personalized' }, models: [], experiments: [], placements: [{ placementId: 'home-hero', items: [{ offerId: 'welcome', rank: 1, score: 5, selectionProbability: 1, selection: 'greedy' }] }], candidates: [] };
    await post(collector.url, '/v1/batch', { batch: [{ type: 'track', messageId: 'dl1', anonymousId: 'visitor-1', event: 'Decision Logged', properties: { record } }] });
    await collector.outbox.drain(5_000);
    await collector.store.decisionLog.flush();
    expect([...collector.store.decisionLog.scan({ sourceId: 'web' })]).toEqual([expect.objectContaining({ decisionId: 'device-d1', origin: 'device', sourceId: 'web' })]);
  });

  it('gives the decision config a new ETag when only a model file changed, and the same one for the same files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailor-decisions-etag-'));
    try {
      const examples = fileURLToPath(new URL('../../../examples/collector/', import.meta.url));
      mkdirSync(join(dir, 'models'));
      copyFileSync(join(examples, 'decisions.json'), join(dir, 'decisions.json'));
      copyFileSync(join(examples, 'models', 'propensity.onnx'), join(dir, 'models', 'propensity.onnx'));
      const etag = () => loadSourceDecisions('web', 'decisions.json', dir).published.etag;
      const before = etag();
      expect(etag()).toBe(before);
      // An unknown protobuf field (number 999, varint 1) at the end: the same model, other bytes.
      appendFileSync(join(dir, 'models', 'propensity.onnx'), Uint8Array.from([0xb8, 0x3e, 0x01]));
      expect(etag()).not.toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves the decision config with an ETag, and the models it names', async () => {
    const collector = await start();
    const response = await fetch(`${collector.url}/v1/decision-config`, { headers: { authorization: basicAuth(WRITE_KEY) } });
    expect(response.status).toBe(200);
    const etag = response.headers.get('etag') as string;
    const published = (await response.json()) as { version: string; hash: string; config: { models: Array<{ url: string; sha256: string }> } };
    expect(published.version).toBe('test-1');
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await fetch(`${collector.url}/v1/decision-config`, { headers: { authorization: basicAuth(WRITE_KEY), 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const modelRef = published.config.models[0] as { url: string; sha256: string };
    expect(modelRef.url).toBe('/v1/models/propensity');
    const bytes = new Uint8Array(await (await fetch(`${collector.url}${modelRef.url}`, { headers: { authorization: basicAuth(WRITE_KEY) } })).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(modelRef.sha256);
  });

  it('serves the compact form of each model, which scores as the ONNX file does', async () => {
    const collector = await start();
    const published = (await (await fetch(`${collector.url}/v1/decision-config`, { headers: { authorization: basicAuth(WRITE_KEY) } })).json()) as { config: { models: Array<{ compactUrl: string; sha256: string }> } };
    const modelRef = published.config.models[0] as { compactUrl: string; sha256: string };
    expect(modelRef.compactUrl).toBe('/v1/models/propensity/compact');
    const response = await fetch(`${collector.url}${modelRef.compactUrl}`, { headers: { authorization: basicAuth(WRITE_KEY) } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const etag = response.headers.get('etag') as string;
    expect(etag).toBe(`"${modelRef.sha256}-compact"`);
    const compact = loadCompactModel(await response.json());
    const onnx = loadModel(model.bytes);
    if (!compact.ok || !onnx.ok) throw new Error('both forms should load');
    const rows = Float32Array.of(3, 120, 1, 0, 0, 0);
    expect(Array.from(compact.scorer.score(rows, 2))).toEqual(Array.from(onnx.scorer.score(rows, 2)));
    const again = await fetch(`${collector.url}${modelRef.compactUrl}`, { headers: { authorization: basicAuth(WRITE_KEY), 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const other = await fetch(`${collector.url}/v1/models/propensity/weights`, { headers: { authorization: basicAuth(WRITE_KEY) } });
    expect(other.status).toBe(404);
  });

  it('explains bad requests and refuses what it cannot answer', async () => {
    const collector = await start();
    const bad = await post(collector.url, '/v1/decide', { placements: [], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((issue: { path: string }) => issue.path)).toEqual(expect.arrayContaining(['placements', '']));
    expect((await post(collector.url, '/v1/decide', { placements: [{ id: 'home-hero' }] }, OTHER_KEY)).status).toBe(404);
    const noKey = await fetch(`${collector.url}/v1/decide`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    const unknownPlacement = await post(collector.url, '/v1/decide', { placements: [{ id: 'nowhere' }] });
    expect(unknownPlacement.body.placements[0]).toMatchObject({ placementId: 'nowhere', items: [], reason: 'unknown-placement' });
  });

  it('watches the model for drift against its training reference bins and reports it on /metrics', async () => {
    // A model as `tailor train` writes it: reference bins of each feature and of the score in the metadata.
    const bins = (edges: number[]) => ({ edges, proportions: [...edges.map(() => 1 / (edges.length + 1)), 1 / (edges.length + 1)], missing: 0, count: 1000 });
    const trained = exportOnnx(
      { kind: 'logistic', featureNames: FEATURES, weights: Float64Array.of(0.3, 0.01, 0.2), intercept: -1 },
      { modelId: 'propensity', modelVersion: '3', metadata: { 'tailor.reference_bins': JSON.stringify({ 'session.product_views': bins([1, 3, 6]), 'session.cart_value': bins([50, 100, 200]), 'rfm.orders_total': bins([1, 2, 4]), score: bins([0.3, 0.5, 0.7]) }) } },
    );
    const file = decisionFiles();
    writeFileSync(join(file, '..', 'propensity.onnx'), trained);
    const collector = await startTestCollector({ sources: [{ id: 'web', writeKeys: [WRITE_KEY], decisions: file, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } }] });
    stop = collector.stop;
    // Everyone looks at one shoe and nothing else: far from the training distribution.
    const people = Array.from({ length: 220 }, (_, i) => `drift-${i}`);
    await post(collector.url, '/v1/batch', { batch: people.map((id, i) => ({ type: 'track', messageId: `d${i}`, anonymousId: id, event: 'Product Viewed', properties: { product_id: 's', category: 'Shoes' } })) });
    await collector.outbox.drain(10_000);
    for (const id of people) await decideHero(collector.url, { anonymousId: id });
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/tailor_model_feature_psi\{model="propensity",version="3",feature="rfm\.orders_total"\} [0-9.]+/);
    expect(metrics).toMatch(/tailor_model_drift_status\{model="propensity",version="3"\} 2/);
  });

  it('refuses to start with a broken decision config, naming the problem', async () => {
    await expect(
      startTestCollector({ sources: [{ id: 'web', writeKeys: [WRITE_KEY], decisions: decisionFiles({ ...DECISIONS, offers: [{ id: 'x', value: -1 }] }) }] }),
    ).rejects.toThrow(/offers\[0\]\.value/);
    await expect(
      startTestCollector({ sources: [{ id: 'web', writeKeys: [WRITE_KEY], decisions: decisionFiles({ ...DECISIONS, offers: [{ id: 'x', value: 1, modelId: 'nope' }] }) }] }),
    ).rejects.toThrow(/model "nope"/);
  });
});
