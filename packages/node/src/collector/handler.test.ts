import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createEventValidator, defineTrackingPlan, SILENT_LOGGER } from '@tailor/core';
import * as z from 'zod';
import { createMemoryEventStore } from '../../../test-utils/src/memory-event-store';
import { createKeyRing } from './auth';
import { parseCollectorConfig, type CollectorConfigInput, type Source } from './config';
import { createHandler } from './handler';
import { toFetchHandler } from './http-adapter';
import { createCollectorMetrics } from './metrics';
import type { ProfileService } from './profile-routes';
import { createRateLimiter } from './rate-limit';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const WEB_KEY = 'wk_web_0123456789';
const POS_KEY = 'wk_pos_0123456789';
const TILL_SECRET = 'sk_till_0123456789abcdefghijklmn';

/** The signature scheme, written out independently of the client's helper so each checks the other. */
function sign(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
}

function setup(overrides: Partial<CollectorConfigInput> = {}, extra: { overloaded?: () => number | undefined; plan?: ReturnType<typeof defineTrackingPlan>; profiles?: ProfileService } = {}) {
  const config = parseCollectorConfig({
    sources: [
      { id: 'web', writeKeys: [WEB_KEY], allowedOrigins: ['https://shop.example', 'https://*.shop.example'] },
      { id: 'pos', writeKeys: [POS_KEY], secretKeys: ['sk_pos_0123456789abcdefghijklmn'], rateLimit: { perSecond: 1, burst: 2 } },
      { id: 'till', secretKeys: [TILL_SECRET], requireSignature: true },
    ],
    ...overrides,
  });
  const store = createMemoryEventStore();
  const sources = config.sources as Source[];
  const metrics = createCollectorMetrics({ logEvents: () => store.stats().events, logBytes: () => 0, sinkLag: () => [] });
  let now = NOW;
  const handler = createHandler({
    config,
    keys: createKeyRing(sources),
    validators: new Map(sources.map((s) => [s.id, createEventValidator({ limits: config.limits, ...(extra.plan && s.id === 'web' ? { plan: extra.plan } : {}) })])),
    store,
    limiter: createRateLimiter((id) => sources.find((s) => s.id === id)?.rateLimit ?? { perSecond: 1, burst: 1 }),
    metrics,
    logger: SILENT_LOGGER,
    now: () => now,
    overloaded: extra.overloaded ?? (() => undefined),
    appended: () => {},
    ready: () => true,
    ...(extra.profiles === undefined ? {} : { profiles: extra.profiles }),
  });
  const fetch = toFetchHandler(handler, '203.0.113.77');
  const stored = (sourceId?: string) => [...store.scan(sourceId === undefined ? {} : { sourceId })];
  return { fetch, store, stored, metrics, advance: (ms: number) => (now += ms) };
}

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://collector.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
  });
const track = (messageId: string, extra: Record<string, unknown> = {}) => ({ type: 'track', event: 'Signed In', messageId, anonymousId: 'a-1', ...extra });

describe('collector handler: Segment endpoints', () => {
  it('accepts /v1/track with Basic auth and implies the type from the path', async () => {
    const { fetch, stored } = setup();
    const { type: _type, ...withoutType } = track('m-1');
    const response = await fetch(post('/v1/track', withoutType, { authorization: basic(WEB_KEY) }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, accepted: 1, stored: 1, duplicates: 0, rejected: 0, issues: [] });
    expect(stored('web').map((e) => e.event)).toMatchObject([{ type: 'track', messageId: 'm-1', receivedAt: new Date(NOW).toISOString() }]);
  });

  it('accepts analytics.js standard mode: /v1/t with writeKey and sentAt in the body, correcting clock skew', async () => {
    const { fetch, stored } = setup();
    const deviceAhead = 3_600_000;
    const body = { ...track('m-2'), writeKey: WEB_KEY, timestamp: new Date(NOW + deviceAhead - 500).toISOString(), sentAt: new Date(NOW + deviceAhead).toISOString() };
    const response = await fetch(post('/v1/t', body, { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 test' }));
    expect(response.status).toBe(200);
    const [event] = stored('web').map((e) => e.event as Record<string, unknown>);
    expect(event).toMatchObject({ timestamp: new Date(NOW - 500).toISOString(), originalTimestamp: body.timestamp, context: { ip: '203.0.113.77', userAgent: 'Mozilla/5.0 test' } });
    expect(event).not.toHaveProperty('writeKey');
  });

  it('answers every short path and call type', async () => {
    const { fetch, stored } = setup();
    const calls: Array<[string, Record<string, unknown>]> = [
      ['/v1/i', { userId: 'u-1', traits: { tier: 'gold' } }],
      ['/v1/p', { anonymousId: 'a-1', name: 'Home' }],
      ['/v1/s', { userId: 'u-1', name: 'Cart' }],
      ['/v1/g', { userId: 'u-1', groupId: 'g-1' }],
      ['/v1/a', { userId: 'u-1', previousId: 'a-1' }],
      ['/v1/identify', { userId: 'u-2' }],
      ['/v1/page', { anonymousId: 'a-2' }],
      ['/v1/screen', { anonymousId: 'a-2' }],
      ['/v1/group', { userId: 'u-2', groupId: 'g-2' }],
      ['/v1/alias', { userId: 'u-2', previousId: 'a-2' }],
    ];
    for (const [index, [path, body]] of calls.entries()) {
      const response = await fetch(post(path, { ...body, messageId: `s-${index}` }, { 'x-write-key': WEB_KEY }));
      expect(response.status, path).toBe(200);
    }
    expect(stored().map((e) => e.event.type)).toEqual(['identify', 'page', 'screen', 'group', 'alias', 'identify', 'page', 'screen', 'group', 'alias']);
  });

  it('names the mismatch when a single-call path gets another type', async () => {
    const { fetch } = setup();
    const response = await fetch(post('/v1/identify', track('m-3'), { 'x-write-key': WEB_KEY }));
    expect(response.status).toBe(400);
    expect((await response.json()).issues[0]).toMatchObject({ path: 'type', message: expect.stringContaining('takes "identify" calls') });
  });

  it('merges batch-level context and integrations into each item, the item winning', async () => {
    const { fetch, stored } = setup();
    const body = {
      batch: [track('b-1'), track('b-2', { context: { locale: 'fr-FR' }, integrations: { Braze: false } })],
      context: { locale: 'en-GB', channel: 'web' },
      integrations: { All: true },
      writeKey: WEB_KEY,
    };
    expect((await fetch(post('/v1/batch', body))).status).toBe(200);
    expect(stored().map((e) => [e.event.context?.locale, e.event.context?.channel, e.event.integrations])).toEqual([
      ['en-GB', 'web', { All: true }],
      ['fr-FR', 'web', { All: true, Braze: false }],
    ]);
  });

  it('takes gzip bodies (rudder-sdk-node) and msgpack on /v1/events', async () => {
    const { fetch, stored } = setup();
    const gz = gzipSync(Buffer.from(JSON.stringify({ batch: [track('g-1')] })));
    expect((await fetch(post('/v1/batch', new Uint8Array(gz), { 'content-encoding': 'gzip', authorization: basic(WEB_KEY) }))).status).toBe(200);
    const mp = pack({ batch: [track('mp-1'), track('mp-2')] });
    expect((await fetch(post('/v1/events', new Uint8Array(mp), { 'content-type': 'application/msgpack', 'x-write-key': WEB_KEY }))).status).toBe(200);
    const bare = pack([track('mp-3')]);
    expect((await fetch(post('/v1/events', new Uint8Array(bare), { 'content-type': 'application/msgpack', 'x-write-key': WEB_KEY }))).status).toBe(200);
    expect(stored().map((e) => e.event.messageId)).toEqual(['g-1', 'mp-1', 'mp-2', 'mp-3']);
  });

  it('serves analytics.js settings for a write key, pointing it back at this host', async () => {
    const { fetch } = setup();
    const response = await fetch(new Request(`http://collector.test/v1/projects/${WEB_KEY}/settings`, { headers: { host: 'collect.shop.example' } }));
    expect(response.status).toBe(200);
    expect((await response.json()).integrations['Segment.io']).toMatchObject({ apiKey: WEB_KEY, apiHost: expect.stringMatching(/\/v1$/) });
    expect((await fetch(new Request('http://collector.test/v1/projects/nope/settings'))).status).toBe(404);
  });
});

describe('collector handler: auth, tenancy and limits', () => {
  it('answers 401 for a missing or unknown key, naming what to do', async () => {
    const { fetch, stored } = setup();
    const missing = await fetch(post('/v1/batch', { batch: [track('x')] }));
    expect(missing.status).toBe(401);
    expect((await missing.json()).message).toMatch(/Basic user.*X-Write-Key.*writeKey/);
    expect((await fetch(post('/v1/batch', { batch: [track('x')] }, { authorization: basic('nope-nope-nope') }))).status).toBe(401);
    expect((await fetch(post('/v1/batch', { batch: [track('x')], writeKey: 'nope-nope-nope' }))).status).toBe(401);
    expect(stored()).toEqual([]);
  });

  it('keeps sources apart: the same messageId in two sources is two events; dedup is per source', async () => {
    const { fetch, stored } = setup();
    for (const key of [WEB_KEY, POS_KEY, WEB_KEY]) await fetch(post('/v1/batch', { batch: [track('same')] }, { 'x-write-key': key }));
    expect(stored('web')).toHaveLength(1);
    expect(stored('pos')).toHaveLength(1);
    const again = await fetch(post('/v1/batch', { batch: [track('same')] }, { 'x-write-key': WEB_KEY }));
    expect(await again.json()).toMatchObject({ success: true, accepted: 1, stored: 0, duplicates: 1 });
  });

  it('accepts a secret key as Bearer or Basic', async () => {
    const { fetch, stored } = setup();
    expect((await fetch(post('/v1/batch', { batch: [track('sk-1')] }, { authorization: 'Bearer sk_pos_0123456789abcdefghijklmn' }))).status).toBe(200);
    expect(stored('pos')).toHaveLength(1);
  });

  it('stores the valid events of a mixed batch and answers 207 with per-event issues', async () => {
    const { fetch, stored } = setup();
    const body = { batch: [track('ok-1'), { type: 'track', messageId: 'bad-1', anonymousId: 'a' }, track('ok-2'), 'garbage'], writeKey: WEB_KEY };
    const response = await fetch(post('/v1/batch', body));
    expect(response.status).toBe(207);
    const answer = await response.json();
    expect(answer).toMatchObject({ success: false, accepted: 2, rejected: 2 });
    expect(answer.issues.map((i: { index: number; path: string }) => [i.index, i.path])).toEqual([[1, 'event'], [3, '']]);
    expect(stored().map((e) => e.event.messageId)).toEqual(['ok-1', 'ok-2']);
  });

  it('answers 400 when nothing in the body is valid, and for bodies that are not JSON', async () => {
    const { fetch } = setup();
    expect((await fetch(post('/v1/batch', { batch: [{ type: 'track' }] }, { 'x-write-key': WEB_KEY }))).status).toBe(400);
    const broken = await fetch(post('/v1/batch', '{"batch": [', { 'x-write-key': WEB_KEY }));
    expect(broken.status).toBe(400);
    expect((await broken.json()).message).toMatch(/not valid JSON/);
    expect((await fetch(post('/v1/batch', { events: [] }, { 'x-write-key': WEB_KEY }))).status).toBe(400);
  });

  it('names the limit for oversize batches', async () => {
    const { fetch } = setup({ limits: { maxBatchEvents: 3, maxBatchBytes: 2_000, maxEventBytes: 500 } });
    const many = await fetch(post('/v1/batch', { batch: [track('1'), track('2'), track('3'), track('4')] }, { 'x-write-key': WEB_KEY }));
    expect(many.status).toBe(400);
    expect((await many.json()).message).toBe('the batch has 4 events; the limit is 3 per batch');
    const big = await fetch(post('/v1/batch', { batch: [track('1', { properties: { blob: 'x'.repeat(3_000) } })] }, { 'x-write-key': WEB_KEY }));
    expect(big.status).toBe(413);
    expect((await big.json()).message).toMatch(/limit is 2000 bytes/);
    const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20));
    const bombed = await fetch(post('/v1/batch', new Uint8Array(bomb), { 'x-write-key': WEB_KEY, 'content-encoding': 'gzip' }));
    expect(bombed.status).toBe(413);
    const event = await fetch(post('/v1/batch', { batch: [track('1', { properties: { blob: 'x'.repeat(600) } })] }, { 'x-write-key': WEB_KEY }));
    const answer = await event.json();
    expect(answer, JSON.stringify(answer)).toHaveProperty('issues');
    expect(answer.issues[0]).toMatchObject({ code: 'too_large', message: expect.stringContaining('limit is 500 bytes per event') });
  });

  it('rate-limits per source with 429 and Retry-After, leaving other sources alone', async () => {
    const { fetch, advance } = setup();
    const send = (key: string, id: string) => fetch(post('/v1/batch', { batch: [track(id)] }, { 'x-write-key': key }));
    expect((await send(POS_KEY, 'r1')).status).toBe(200);
    expect((await send(POS_KEY, 'r2')).status).toBe(200);
    const limited = await send(POS_KEY, 'r3');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await send(WEB_KEY, 'w1')).status).toBe(200);
    advance(1_000);
    expect((await send(POS_KEY, 'r4')).status).toBe(200);
  });

  it('answers 503 with Retry-After while a sink is too far behind, storing nothing', async () => {
    const { fetch, stored } = setup({}, { overloaded: () => 5 });
    const response = await fetch(post('/v1/batch', { batch: [track('o-1')] }, { 'x-write-key': WEB_KEY }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(stored()).toEqual([]);
  });

  it('validates against the source’s tracking plan', async () => {
    const plan = defineTrackingPlan({ name: 'acme', events: { 'Gift Card Purchased': z.object({ amount: z.number().positive() }) }, unplannedEvents: 'reject' });
    const { fetch } = setup({}, { plan });
    const response = await fetch(post('/v1/batch', { batch: [track('p-1', { event: 'Gift Card Purchased', properties: { amount: -1 } }), track('p-2')] }, { 'x-write-key': WEB_KEY }));
    expect(response.status).toBe(400);
    expect((await response.json()).issues.map((i: { code: string }) => i.code)).toEqual(['too_small', 'unplanned_event']);
  });

  it('anonymizes IPs when configured and keeps an IP a backend set', async () => {
    const { fetch, stored } = setup({ anonymizeIp: true });
    await fetch(post('/v1/batch', { batch: [track('ip-1'), track('ip-2', { context: { ip: '2001:db8:85a3::8a2e:370:7334' } })] }, { 'x-write-key': WEB_KEY }));
    expect(stored().map((e) => e.event.context?.ip)).toEqual(['203.0.113.0', '2001:db8:85a3::']);
  });
});

describe('collector handler: signed requests (POS gateways)', () => {
  const body = JSON.stringify({ batch: [track('sig-1')] });
  const send = (fetch: (r: Request) => Promise<Response>, headers: Record<string, string>, text = body) =>
    fetch(post('/v1/batch', text, { authorization: `Bearer ${TILL_SECRET}`, ...headers }));

  it('accepts a correct signature, once', async () => {
    const { fetch, stored } = setup();
    const signature = sign(TILL_SECRET, body, NOW);
    expect((await send(fetch, { 'x-tailor-signature': signature })).status).toBe(200);
    expect(stored('till')).toHaveLength(1);
    const replay = await send(fetch, { 'x-tailor-signature': signature });
    expect(replay.status).toBe(401);
    expect((await replay.json()).message).toMatch(/replay/);
  });

  it('refuses a tampered body, a wrong secret, a stale or a missing signature with 401', async () => {
    const { fetch, stored } = setup();
    const tampered = await send(fetch, { 'x-tailor-signature': sign(TILL_SECRET, body, NOW) }, body.replace('sig-1', 'sig-2'));
    expect(tampered.status).toBe(401);
    expect((await tampered.json()).error).toBe('bad_signature');
    expect((await send(fetch, { 'x-tailor-signature': sign('sk_someone_else_0123456789abc', body, NOW) })).status).toBe(401);
    expect((await send(fetch, { 'x-tailor-signature': sign(TILL_SECRET, body, NOW - 301_000) })).status).toBe(401);
    const missing = await send(fetch, {});
    expect(missing.status).toBe(401);
    expect((await missing.json()).message).toMatch(/requires an x-tailor-signature/);
    expect(stored('till')).toEqual([]);
  });
});

describe('collector handler: CORS and operations', () => {
  it('answers preflights and allows configured origins (wildcard subdomains too)', async () => {
    const { fetch } = setup();
    const preflight = await fetch(new Request('http://collector.test/v1/batch', { method: 'OPTIONS', headers: { origin: 'https://shop.example' } }));
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const sub = await fetch(post('/v1/batch', { batch: [track('c-1')] }, { 'x-write-key': WEB_KEY, origin: 'https://m.shop.example' }));
    expect(sub.status).toBe(200);
    expect(sub.headers.get('access-control-allow-origin')).toBe('https://m.shop.example');
  });

  it('refuses an origin the source does not allow, storing nothing', async () => {
    const { fetch, stored } = setup();
    const response = await fetch(post('/v1/batch', { batch: [track('c-2')] }, { 'x-write-key': WEB_KEY, origin: 'https://evil.example' }));
    expect(response.status).toBe(403);
    expect((await response.json()).message).toMatch(/allowedOrigins/);
    expect(stored()).toEqual([]);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    const { fetch } = setup();
    await fetch(post('/v1/batch', { batch: [track('m-1'), { type: 'track' }] }, { 'x-write-key': WEB_KEY }));
    expect((await fetch(new Request('http://collector.test/healthz'))).status).toBe(200);
    expect((await fetch(new Request('http://collector.test/readyz'))).status).toBe(200);
    const metrics = await (await fetch(new Request('http://collector.test/metrics'))).text();
    expect(metrics).toMatch(/tailor_events_accepted_total\{source="web"\} 1/);
    expect(metrics).toMatch(/tailor_events_rejected_total\{source="web",reason="invalid_type"\} \d/);
    expect(metrics).toMatch(/tailor_http_request_duration_seconds_bucket/);
    expect(metrics).toMatch(/tailor_log_events 1/);
  });

  it('answers 404 with the routes that exist, and 405 for the wrong method', async () => {
    const { fetch } = setup();
    expect((await fetch(new Request('http://collector.test/v2/nope'))).status).toBe(404);
    expect((await fetch(new Request('http://collector.test/v1/batch'))).status).toBe(405);
  });
});

describe('collector handler: profiles', () => {
  const SECRET = 'sk_pos_0123456789abcdefghijklmn';
  const get = (path: string) => new Request(`http://collector.test${path}`, { headers: { authorization: basic(SECRET) } });
  const erase = async () => ({ status: 'not-found' }) as const;

  it('answers GET /v1/profiles/:id from an asynchronous profile read', async () => {
    const profile = { id: 'p_0123456789abcdef0123', sourceId: 'pos' };
    const { fetch } = setup({}, { profiles: { get: async (sourceId, target) => (sourceId === 'pos' && target === 'userId:u1' ? { status: 'found', profile: profile as never } : { status: 'not-found' }), delete: erase } });
    const found = await fetch(get('/v1/profiles/userId%3Au1'));
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual(profile);
    expect((await fetch(get('/v1/profiles/userId%3Au2'))).status).toBe(404);
  });

  it('answers 503 with retry-after when the profile store fails a read', async () => {
    const { fetch } = setup({}, { profiles: { get: () => Promise.reject(new Error('connection refused')), delete: erase } });
    const response = await fetch(get('/v1/profiles/userId%3Au1'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({ error: 'profiles_unavailable' });
  });
});
