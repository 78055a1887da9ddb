import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDecisionClient, type DecisionClient } from '../src/client/decisions';
import { buildLinearClassifierModel } from '../../test-utils/src/onnx-models';
import { basicAuth, startTestCollector, WRITE_KEY } from './collector-harness';

const SECRET = 'sk_web_0123456789abcdefghijklmn';
const FEATURES = ['session.product_views', 'rfm.orders_total'];
const DECISIONS = {
  version: 'client-1',
  placements: [
    { id: 'email-hero', slots: 1, channel: 'email' },
    { id: 'signage', slots: 2, channel: 'kiosk' },
  ],
  offers: [
    { id: 'generic', placements: ['email-hero', 'signage'], value: 5, creative: { title: 'New in' } },
    { id: 'gold-perk', placements: ['email-hero'], value: 40, eligibility: { 'profile.traits.tier': 'gold' }, modelId: 'propensity', creative: { title: 'Gold perk' } },
    { id: 'rain-gear', placements: ['signage'], value: 20, eligibility: { 'context.weather': 'rain' }, creative: { title: 'Umbrellas' } },
  ],
  defaults: { 'email-hero': ['generic'] },
  models: [{ id: 'propensity', version: '1', url: 'propensity.onnx' }],
  experiments: [{ key: 'email-layout', variations: [{ key: 'a' }, { key: 'b' }], hashAttribute: 'profileId', fallbackAttribute: 'anonymousId' }],
};

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function decisionFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tailor-client-decisions-'));
  dirs.push(dir);
  const model = buildLinearClassifierModel({ seed: 11, features: FEATURES.length, metadata: { 'tailor.model_id': 'propensity', 'tailor.model_version': '1', 'tailor.feature_names': JSON.stringify(FEATURES) } });
  writeFileSync(join(dir, 'propensity.onnx'), model.bytes);
  writeFileSync(join(dir, 'decisions.json'), JSON.stringify(DECISIONS));
  return join(dir, 'decisions.json');
}

describe('createDecisionClient against a real collector', () => {
  let stop: (() => Promise<void>) | undefined;
  const clients: DecisionClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await stop?.();
    stop = undefined;
  });

  async function setup() {
    const collector = await startTestCollector({ sources: [{ id: 'web', writeKeys: [WRITE_KEY], secretKeys: [SECRET], decisions: decisionFile(), rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } }] });
    stop = collector.stop;
    const events = [
      { type: 'identify', messageId: 'i1', userId: 'u-gold', anonymousId: 'web-1', traits: { tier: 'gold' } },
      { type: 'identify', messageId: 'i2', userId: 'u-basic', traits: { tier: 'basic' } },
    ];
    await fetch(`${collector.url}/v1/batch`, { method: 'POST', headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ batch: events }) });
    await collector.outbox.drain(5_000);
    const make = (options: Partial<Parameters<typeof createDecisionClient>[0]> = {}) => {
      const client = createDecisionClient({ endpoint: collector.url, secretKey: SECRET, ...options });
      clients.push(client);
      return client;
    };
    return { collector, make };
  }

  it('decides in process like the collector does, and experiments hash the resolved profile id', async () => {
    const { make } = await setup();
    const local = make({ mode: 'local' });
    const remote = make({ mode: 'remote' });
    for (const userId of ['u-gold', 'u-basic']) {
      const call = { userId, placements: [{ id: 'email-hero' }], context: { channel: 'email' } };
      const [a, b] = await Promise.all([local.decide(call), remote.decide(call)]);
      expect(a.source).toBe('local');
      expect(b.source).toBe('remote');
      expect(a.profileId).toBe(b.profileId);
      expect(a.placements[0]?.items.map((item) => item.offerId)).toEqual(b.placements[0]?.items.map((item) => item.offerId));
      expect(a.placements[0]?.items[0]?.score).toBeCloseTo(b.placements[0]?.items[0]?.score as number, 6);
      // Same person, same variation on every channel: both hash the profile id.
      expect(a.experiments.find((e) => e.experimentKey === 'email-layout')).toMatchObject({ hashAttribute: 'profileId', hashValue: a.profileId, variationKey: b.experiments[0]?.variationKey });
    }
    expect((await local.decide({ userId: 'u-gold', placements: [{ id: 'email-hero' }] })).placements[0]?.items[0]?.offerId).toBe('gold-perk');
    expect(local.stats()).toMatchObject({ configVersion: 'client-1', configRefreshes: 1 });
  });

  it('serves repeated decisions from its cache, stale while revalidating, and reports the hit rate', async () => {
    const { make } = await setup();
    let clock = 1_000_000;
    const client = make({ mode: 'local', cache: { ttlMs: 1_000, staleMs: 5_000 }, platform: { clock: { now: () => clock } } });
    const call = { anonymousId: 'kiosk-7', placements: [{ id: 'signage', slots: 2 }], context: { weather: 'rain' } };
    const first = await client.decide(call);
    expect(first.source).toBe('local');
    expect(first.placements[0]?.items.map((item) => item.offerId)).toEqual(['rain-gear', 'generic']);
    expect((await client.decide(call)).source).toBe('cache');
    clock += 2_000;
    const stale = await client.decide(call);
    expect(stale.source).toBe('stale-cache');
    expect(stale.decisionId).toBe(first.decisionId);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the background refresh lands
    const refreshed = await client.decide(call);
    expect(refreshed.source).toBe('cache');
    expect(refreshed.decisionId).not.toBe(first.decisionId);
    expect(client.stats()).toMatchObject({ cacheHits: 2, staleHits: 1, cacheMisses: 1, hitRate: 0.75 });
  });

  it('decides without the profile when it cannot be read, and rejects bad options clearly', async () => {
    const { make } = await setup();
    const writeKeyOnly = make({ secretKey: undefined, writeKey: WRITE_KEY, mode: 'local' });
    const result = await writeKeyOnly.decide({ userId: 'u-gold', placements: [{ id: 'email-hero' }] });
    expect(result.profileId).toBeUndefined();
    expect(result.placements[0]?.items[0]?.offerId).toBe('generic');
    expect(() => createDecisionClient({ endpoint: 'collector.local', secretKey: SECRET })).toThrow(/endpoint/);
    expect(() => createDecisionClient({ endpoint: 'http://127.0.0.1:1' })).toThrow(/secretKey/);
  });
});
