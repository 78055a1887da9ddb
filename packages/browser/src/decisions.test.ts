import { hashDecisionConfig, parseDecisionConfig, toCompactModel, type TransportRequest, type TransportResponse } from '@tailor/core';
import { createFakePlatform, type FakePlatform } from '@tailor/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildLinearClassifierModel } from '../../test-utils/src/onnx-models';
import { createFakeLockManager } from '../../test-utils/src/fake-web-locks';
import { createTailor, type TailorClient } from './client';
import { createDecisions } from './decisions';
import { createScorer } from './onnx';
import type { TailorDecisions } from './decisions-types';

const FEATURES = ['session.product_views', 'session.add_to_carts'];
const model = buildLinearClassifierModel({ seed: 5, features: FEATURES.length, metadata: { 'tailor.model_id': 'propensity', 'tailor.model_version': '1', 'tailor.feature_names': JSON.stringify(FEATURES) } });
const compactModel = (() => {
  const converted = toCompactModel(model.bytes);
  if (!converted.ok) throw new Error(converted.error);
  return converted.model;
})();

/** The config as the collector publishes it: by default with the compact form of the model, as it serves one. */
function publishedConfig(version = 'device-1', welcomeValue = 5, compactForm = true) {
  const parsed = parseDecisionConfig({
    version,
    placements: [{ id: 'home-hero', slots: 1, channel: 'web' }],
    offers: [
      { id: 'welcome', placements: ['home-hero'], value: welcomeValue, creative: { title: 'Welcome' } },
      { id: 'shoe-sale', placements: ['home-hero'], value: 50, eligibility: { 'features.affinity.category.shoes': { $gt: 0 } }, modelId: 'propensity', creative: { title: 'Shoes' } },
    ],
    defaults: { 'home-hero': ['welcome'] },
    models: [{ id: 'propensity', version: '1', url: '/v1/models/propensity' }],
    policies: [{ id: 'cap', scope: 'offer', match: { offers: ['shoe-sale'] }, maxImpressions: { count: 1, window: '1d' } }],
    experiments: [],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const models = parsed.config.models.map((ref) => ({ ...ref, ...(compactForm ? { compactUrl: `/v1/models/${ref.id}/compact` } : {}) }));
  return { version, hash: hashDecisionConfig(parsed.config), config: { ...parsed.config, models } };
}

interface Server {
  published: ReturnType<typeof publishedConfig>;
  configStatus: number;
  configRequests: number;
  decideBodies: unknown[];
  /** Requests for model files (ONNX) and compact models. */
  onnxRequests: number;
  compactRequests: number;
  batches: Array<{ batch: Array<Record<string, any>> }>;
}

/** A collector stand-in behind the platform transport (config, decide, batches) and fetch (model bytes). */
function serve(platform: FakePlatform): Server {
  const server: Server = { published: publishedConfig(), configStatus: 200, configRequests: 0, decideBodies: [], onnxRequests: 0, compactRequests: 0, batches: [] };
  const respond = (status: number, body: string, headers: Record<string, string> = {}): TransportResponse => ({ status, header: (name) => headers[name.toLowerCase()] ?? null, text: async () => body });
  (platform as { transport: { send(request: TransportRequest): Promise<TransportResponse> } }).transport = {
    async send(request) {
      if (request.url.endsWith('/v1/decision-config')) {
        server.configRequests++;
        if (server.configStatus !== 200) return respond(server.configStatus, '{}');
        const published = server.published;
        if (request.headers['if-none-match'] === `"${published.hash}"`) return respond(304, '');
        return respond(200, JSON.stringify(published), { etag: `"${published.hash}"` });
      }
      if (request.url.endsWith('/v1/models/propensity/compact')) {
        server.compactRequests++;
        return respond(200, JSON.stringify(compactModel), { 'content-type': 'application/json' });
      }
      if (request.url.endsWith('/v1/decide')) {
        server.decideBodies.push(JSON.parse(request.body as string));
        return respond(200, JSON.stringify({ decisionId: 'server-1', placements: [{ placementId: 'home-hero', items: [{ offerId: 'welcome', rank: 1, score: 5, selectionProbability: 1, reasons: ['server'], creative: { title: 'Welcome' } }] }], experiments: [], policy: { mode: 'personalized' }, ttlMs: 60_000 }));
      }
      if (request.url.endsWith('/v1/batch')) server.batches.push(JSON.parse(request.body as string));
      return respond(200, '{"success":true}');
    },
  };
  vi.stubGlobal('fetch', async (url: string) => {
    if (!String(url).endsWith('/v1/models/propensity')) return new Response('', { status: 404 });
    server.onnxRequests++;
    return new Response(new Blob([model.bytes as BlobPart]), { status: 200 });
  });
  return server;
}

describe('createDecisions (on the device)', () => {
  let platform: FakePlatform;
  let server: Server;
  const clients: TailorClient[] = [];
  const decisionSets: TailorDecisions[] = [];
  const setup = (options: Parameters<typeof createDecisions>[1] = {}) => {
    const client = createTailor({ writeKey: 'wk_device', endpoint: 'https://t.shop.example', platform, flushInterval: 10, storage: 'memory' });
    clients.push(client as unknown as TailorClient);
    const decisions = createDecisions(client, { redecideDelayMs: 0, ...options });
    decisionSets.push(decisions);
    return { client, decisions };
  };
  beforeEach(() => {
    platform = createFakePlatform({ realClock: true });
    server = serve(platform);
    Object.defineProperty(navigator, 'locks', { value: createFakeLockManager(), configurable: true });
    document.cookie = 'tlr_aid=; Max-Age=0; Path=/';
    localStorage.clear();
  });
  afterEach(() => {
    for (const decisions of decisionSets.splice(0)) decisions.close();
    for (const client of clients.splice(0)) client.close();
    vi.unstubAllGlobals();
  });

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(check()).toBe(true);
  };

  it('decides on the device and changes the offer when behaviour changes the features', async () => {
    const { client, decisions } = setup();
    const first = await decisions.decide('home-hero', { page: 'home' });
    expect(first).toMatchObject({ status: 'ready', source: 'device', offers: [{ offerId: 'welcome', rank: 1, selectionProbability: 1 }] });
    expect(server.decideBodies).toHaveLength(0);
    const seen: string[] = [];
    decisions.subscribe(() => seen.push(decisions.getPlacement('home-hero', { page: 'home' }).offers[0]?.offerId ?? '-'));
    client.track('Product Viewed', { product_id: 'p1', category: 'Shoes', price: 80 });
    await until(() => decisions.getPlacement('home-hero', { page: 'home' }).offers[0]?.offerId === 'shoe-sale');
    const now = decisions.getPlacement('home-hero', { page: 'home' });
    expect(now.source).toBe('device');
    expect(now.decisionId).not.toBe(first.decisionId);
    expect(seen).toContain('shoe-sale');
    // The same context with keys in another order is the same placement state.
    expect(decisions.getPlacement('home-hero', { page: 'home' })).toBe(now);
  });

  it('records outcomes as events with the decision id, and applies frequency caps on the device', async () => {
    const { client, decisions } = setup();
    client.track('Product Viewed', { product_id: 'p1', category: 'Shoes' });
    await until(() => true);
    const shown = await decisions.decide('home-hero');
    expect(shown.offers[0]?.offerId).toBe('shoe-sale');
    decisions.recordOutcome({ decisionId: shown.decisionId as string, placementId: 'home-hero', offerId: 'shoe-sale', type: 'impression' });
    await client.flush();
    const outcome = server.batches.flatMap((b) => b.batch).find((event) => event.event === 'Offer Viewed');
    expect(outcome?.properties).toEqual({ decision_id: shown.decisionId, offer_id: 'shoe-sale', placement_id: 'home-hero' });
    const after = await decisions.decide('home-hero', { visit: 2 });
    expect(after.offers[0]?.offerId).toBe('welcome'); // capped at one impression a day
  });

  it("sends each device decision to the collector's decision log, and outcomes do not trigger new decisions", async () => {
    const { client, decisions } = setup();
    const state = await decisions.decide('home-hero');
    let changes = 0;
    decisions.subscribe(() => changes++);
    decisions.recordOutcome({ decisionId: state.decisionId as string, placementId: 'home-hero', offerId: 'welcome', type: 'impression' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changes).toBe(0);
    await client.flush();
    const logged = server.batches.flatMap((b) => b.batch).filter((event) => event.event === 'Decision Logged');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.properties.record).toMatchObject({
      type: 'decision',
      decisionId: state.decisionId,
      configVersion: 'device-1',
      placements: [{ placementId: 'home-hero', items: [{ offerId: 'welcome', selectionProbability: 1 }] }],
      excluded: { eligibility: 1 },
    });
  });

  it('uses no features without personalization consent', async () => {
    const { client, decisions } = setup();
    client.track('Product Viewed', { product_id: 'p1', category: 'Shoes' });
    client.consent({ personalization: false });
    const state = await decisions.decide('home-hero', { denied: true });
    expect(state.offers.map((offer) => offer.offerId)).toEqual(['welcome']);
    expect(state.reasons).toContain('non-personalized');
  });

  it('falls back to the collector when the config cannot be loaded, and to the defaults when that fails too', async () => {
    server.configStatus = 503;
    const { decisions } = setup();
    const state = await decisions.decide('home-hero');
    expect(state).toMatchObject({ status: 'ready', source: 'server', decisionId: 'server-1' });
    expect(server.decideBodies[0]).toMatchObject({ placements: [{ id: 'home-hero' }], consent: { personalization: true }, anonymousId: expect.any(String) });
  });

  it('picks up a new config version without a reload and decides the placements in use again', async () => {
    const { decisions } = setup();
    const before = await decisions.decide('home-hero');
    expect(before.offers[0]?.score).toBe(5);
    server.published = publishedConfig('device-2', 7);
    await decisions.refresh();
    const after = decisions.getPlacement('home-hero');
    expect(after.status).toBe('ready');
    expect(after.offers[0]?.score).toBe(7);
    expect(after.decisionId).not.toBe(before.decisionId);
  });

  it('reuses a fresh cached config (no request) and follows the person from anonymous to known', async () => {
    const first = setup();
    await first.decisions.decide('home-hero');
    expect(server.configRequests).toBe(1);
    first.client.track('Product Viewed', { product_id: 'p1', category: 'Shoes' });
    first.client.identify('u-1');
    await until(() => first.decisions.getPlacement('home-hero').offers[0]?.offerId === 'shoe-sale');
    // Another page load of the same origin: the config comes from IndexedDB, the features moved to u-1.
    const second = setup();
    const state = await second.decisions.decide('home-hero', { reload: true });
    expect(server.configRequests).toBe(1);
    expect(state.offers[0]?.offerId).toBe('shoe-sale');
  });

  it('scores with the compact form of a model, never fetching the ONNX file', async () => {
    const { client, decisions } = setup();
    client.track('Product Viewed', { product_id: 'p1', category: 'Shoes' });
    await until(() => true);
    const state = await decisions.decide('home-hero', { compact: true });
    expect(state).toMatchObject({ source: 'device', offers: [{ offerId: 'shoe-sale' }] });
    expect(server.compactRequests).toBe(1);
    expect(server.onnxRequests).toBe(0);
  });

  it('without a compact form, leaves offers scored by the model to the collector, unless createScorer reads the ONNX file', async () => {
    server.published = publishedConfig('device-1', 5, false);
    const plain = setup();
    expect(await plain.decisions.decide('home-hero')).toMatchObject({ source: 'server', decisionId: 'server-1' });
    expect(server.onnxRequests).toBe(0);
    const withReader = setup({ createScorer: (bytes) => createScorer(bytes) });
    expect(await withReader.decisions.decide('home-hero', { reader: true })).toMatchObject({ source: 'device' });
    expect(server.onnxRequests).toBe(1);
  });
});
