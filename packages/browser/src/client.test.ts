import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventValidator } from '@tailor/core';
import { createFakePlatform, type FakePlatform } from '@tailor/test-utils';
import { createFakeLockManager } from '../../test-utils/src/fake-web-locks';
import { createTailor, type TailorClient, type TailorOptions } from './client';

type Batch = { batch: Array<Record<string, unknown>>; writeKey: string; sentAt: string };
const bodies = (platform: FakePlatform) => platform.delivered.filter((r) => !r.keepalive).map((r) => JSON.parse(r.body as string) as Batch);
const sentEvents = (platform: FakePlatform) => bodies(platform).flatMap((b) => b.batch);

describe('createTailor', () => {
  let platform: FakePlatform;
  const clients: TailorClient[] = [];
  const make = (options: Partial<TailorOptions> = {}, on: FakePlatform = platform) => {
    const client = createTailor({ writeKey: 'wk', endpoint: 'https://t.shop.example/', platform: on, flushInterval: 20, ...options });
    clients.push(client as unknown as TailorClient);
    return client;
  };
  beforeEach(() => {
    platform = createFakePlatform({ realClock: true });
    Object.defineProperty(navigator, 'locks', { value: createFakeLockManager(), configurable: true });
    localStorage.clear();
    document.cookie = 'tlr_aid=; Max-Age=0; Path=/';
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it('explains a missing writeKey', () => {
    expect(() => createTailor({ writeKey: '' })).toThrow('[tailor] createTailor: "writeKey" is required');
  });

  it('persists, batches and sends Segment batches that the contract accepts', async () => {
    const tailor = make();
    tailor.page('Home');
    tailor.track('Product Viewed', { product_id: 'p-1', price: 12.5, currency: 'EUR' });
    tailor.identify('u-1', { email: 'ada@example.com' });
    await tailor.flush();
    const [request] = platform.requests;
    expect(request).toMatchObject({ url: 'https://t.shop.example/v1/batch', method: 'POST', headers: { 'content-type': 'application/json' } });
    const events = sentEvents(platform);
    expect(events.map((e) => e.type)).toEqual(['page', 'track', 'alias', 'identify']);
    expect(bodies(platform)[0]?.writeKey).toBe('wk');
    const anonymousId = tailor.getAnonymousId();
    expect(events.every((e) => e.anonymousId === anonymousId)).toBe(true);
    expect(events[2]).toMatchObject({ type: 'alias', userId: 'u-1', previousId: anonymousId });
    expect(events[3]).toMatchObject({ userId: 'u-1', context: { channel: 'web', consent: { categoryPreferences: { measurement: true } } } });
    expect(createEventValidator().validateBatch(events).issues.map((i) => i.message)).toEqual([]);
    expect(tailor.getSnapshot()).toMatchObject({ ready: true, durable: true, userId: 'u-1' });
  });

  it('keeps events in IndexedDB across a reload when the collector is unreachable', async () => {
    platform.respondWith(new Error('offline'));
    const first = make();
    first.track('Cart Viewed', {});
    first.track('Checkout Started', {});
    await first.flush();
    first.close();
    expect(sentEvents(platform)).toEqual([]);
    // A new page load: a new client over the same IndexedDB and the same anonymous id.
    const online = createFakePlatform({ realClock: true });
    const second = make({}, online);
    await second.flush();
    expect(sentEvents(online).map((e) => e.event)).toEqual(['Cart Viewed', 'Checkout Started']);
    expect(second.getAnonymousId()).toBe(first.getAnonymousId());
  });

  it('sends once the flush interval passes, and backs off on 5xx honouring Retry-After', async () => {
    const tailor = make({ flushInterval: 10 });
    platform.respondWith(503);
    tailor.track('Cart Viewed', {});
    await vi.waitFor(() => expect(platform.requests.length).toBeGreaterThanOrEqual(1));
    const firstTry = platform.requests.length;
    platform.respondWith(200);
    await tailor.flush(); // still backing off: nothing new is sent
    expect(platform.requests.length).toBe(firstTry);
    await vi.waitFor(() => expect(sentEvents(platform).map((e) => e.event)).toEqual(['Cart Viewed']), { timeout: 4_000 });
    expect(platform.requests.length).toBe(firstTry + 1);
  });

  it('drops events the collector refuses as invalid (400) instead of retrying them forever', async () => {
    const tailor = make();
    platform.respondWith(400);
    tailor.track('Cart Viewed', {});
    await tailor.flush();
    platform.respondWith(200);
    tailor.track('Cart Shared', {});
    await tailor.flush();
    const attempts = platform.requests.flatMap((r) => (JSON.parse(r.body as string) as Batch).batch.map((e) => e.event));
    expect(attempts).toEqual(['Cart Viewed', 'Cart Shared']);
  });

  it('counts events dropped past the queue bound and reports them to the collector', async () => {
    platform.respondWith(new Error('offline'));
    const tailor = make({ queueLimits: { maxEvents: 3 } });
    for (let i = 0; i < 5; i++) tailor.track('Product Viewed', { product_id: `p-${i}` });
    await tailor.flush();
    platform.respondWith(200);
    await vi.waitFor(async () => {
      await tailor.flush();
      expect(sentEvents(platform).length).toBeGreaterThan(0);
    }, { timeout: 4_000 });
    const events = sentEvents(platform);
    expect(events.map((e) => e.event), JSON.stringify(platform.requests.length)).toContain('Tailor Events Dropped');
    expect(events.filter((e) => e.event === 'Product Viewed').map((e) => (e.properties as { product_id: string }).product_id)).toEqual(['p-2', 'p-3', 'p-4']);
    expect(events.find((e) => e.event === 'Tailor Events Dropped')).toMatchObject({ properties: { overflow: 2 } });
  });

  it('under default-deny sends and stores nothing until consent, then releases what was held', async () => {
    const tailor = make({ consent: { mode: 'default-deny', tcf: false, gpc: false } });
    tailor.track('Product Viewed', { product_id: 'p-1' });
    await tailor.flush();
    expect(platform.requests).toEqual([]);
    expect(localStorage.length).toBe(0);
    expect(document.cookie).not.toMatch(/tlr_aid=[^;]/);
    expect(localStorage.getItem('tailor.anonymousId')).toBeNull();
    expect((await indexedDB.databases()).map((d) => d.name)).toEqual(['tailor:wk']); // opened, but empty
    tailor.consent({ measurement: true });
    await tailor.flush();
    const events = sentEvents(platform);
    expect(events.map((e) => e.event)).toEqual(['Product Viewed', 'Consent Updated']);
    expect(events[0]).toMatchObject({ context: { consent: { categoryPreferences: { measurement: true } } } });
    expect(localStorage.getItem('tailor.anonymousId')).toBe(tailor.getAnonymousId());
  });

  it('drops events while measurement consent is refused', async () => {
    const tailor = make({ consent: { mode: 'default-deny', tcf: false, gpc: false } });
    tailor.consent({ measurement: false });
    tailor.track('Product Viewed', { product_id: 'p-1' });
    await tailor.flush();
    expect(platform.requests).toEqual([]);
  });

  it('hashes email and phone traits on the device and strips denylisted keys', async () => {
    const tailor = make({ pii: { hashEmail: true, hashPhone: true, defaultCountryCode: '44', denylist: ['password', /^card_/] } });
    tailor.identify('u-1', { email: ' Ada@Example.com ', phone: '07700 900123', name: 'Ada', password: 'x' });
    tailor.track('Payment Info Entered', { card_number: '4111', step: 2 } as never);
    await tailor.flush();
    const [, identify, track] = sentEvents(platform);
    expect(identify?.traits).toEqual({ email: expect.stringMatching(/^[0-9a-f]{64}$/), phone: expect.stringMatching(/^[0-9a-f]{64}$/), name: 'Ada' });
    expect(track?.properties).toEqual({ step: 2 });
  });

  it('ignores a cleared (empty) anonymous-id cookie or storage entry', () => {
    document.cookie = 'tlr_aid=; Path=/';
    localStorage.setItem('tailor.anonymousId', '');
    expect(make().getAnonymousId()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the ids across instances, and reset() starts over', async () => {
    const first = make();
    await first.ready();
    first.identify('u-9');
    const second = make();
    expect(second.getAnonymousId()).toBe(first.getAnonymousId());
    expect(second.getUserId()).toBe('u-9');
    second.reset();
    expect(second.getUserId()).toBeUndefined();
    expect(second.getAnonymousId()).not.toBe(first.getAnonymousId());
  });

  it('sends one batch from one tab when two tabs track at once', async () => {
    const tabA = make();
    const tabB = make({}, platform);
    await Promise.all([tabA.ready(), tabB.ready()]);
    tabA.track('Product Viewed', { product_id: 'a' });
    tabB.track('Product Viewed', { product_id: 'b' });
    await tabB.flush();
    await tabA.flush();
    await vi.waitFor(() => expect(sentEvents(platform).length).toBe(2));
    const ids = sentEvents(platform).map((e) => e.messageId);
    expect(new Set(ids).size).toBe(2);
  });

  it('notifies subscribers when identity or consent changes', async () => {
    const tailor = make();
    const seen: string[] = [];
    tailor.subscribe(() => seen.push(tailor.getSnapshot().userId ?? 'anonymous'));
    tailor.identify('u-1');
    tailor.consent({ advertising: false });
    expect(seen).toEqual(['u-1', 'u-1']);
  });

  it('starts a new session after 30 minutes without activity', async () => {
    let now = Date.UTC(2026, 10, 24, 9, 0);
    const clocked = { ...createFakePlatform(), clock: { now: () => now } };
    const tailor = make({}, clocked as FakePlatform);
    tailor.track('Cart Viewed', {});
    now += 29 * 60_000;
    tailor.track('Cart Viewed', {});
    now += 31 * 60_000;
    tailor.track('Cart Viewed', {});
    await tailor.flush();
    const sessions = clocked.delivered.flatMap((r) => (JSON.parse(r.body as string) as Batch).batch).map((e) => (e.context as { session: { id: string } }).session.id);
    expect(sessions[0]).toBe(sessions[1]);
    expect(sessions[2]).not.toBe(sessions[1]);
  });

  it('sends a page view on load and on each SPA navigation when autoPageViews is on', async () => {
    const tailor = make({ autoPageViews: true });
    history.pushState({}, '', '/shoes');
    history.replaceState({}, '', '/shoes?color=red');
    history.pushState({}, '', '/shoes?color=red'); // same URL: no new view
    await tailor.flush();
    const pages = sentEvents(platform).filter((e) => e.type === 'page');
    expect(pages.map((e) => (e.context as { page: { path: string; search: string } }).page.path + (e.context as { page: { search: string } }).page.search)).toEqual(['/', '/shoes', '/shoes?color=red']);
  });

  it('applies consent from an IAB TCF v2 CMP', async () => {
    const listeners: Array<(data: unknown, ok: boolean) => void> = [];
    (window as unknown as { __tcfapi: unknown }).__tcfapi = (command: string, _version: number, callback: (data: unknown, ok: boolean) => void) => {
      if (command === 'addEventListener') listeners.push(callback);
    };
    try {
      const tailor = make({ consent: { mode: 'default-deny', gpc: false } });
      tailor.track('Product Viewed', { product_id: 'p-1' });
      const consents = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [i + 1, true]));
      for (const listener of listeners) listener({ eventStatus: 'useractioncomplete', gdprApplies: true, tcString: 'CO-test', listenerId: 1, purpose: { consents } }, true);
      await tailor.flush();
      expect(tailor.getSnapshot().consent).toMatchObject({ source: 'tcf', purposes: { measurement: true, personalization: true, advertising: true } });
      expect(sentEvents(platform).map((e) => e.event)).toEqual(['Product Viewed', 'Consent Updated']);
      expect(sentEvents(platform)[0]).toMatchObject({ context: { consent: { source: 'tcf', tcString: 'CO-test' } } });
    } finally {
      delete (window as unknown as { __tcfapi?: unknown }).__tcfapi;
    }
  });

  it('never throws into the page, whatever it is given', () => {
    const tailor = make();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => tailor.track('Product Viewed', cyclic as never)).not.toThrow();
    expect(() => tailor.track(undefined as never, undefined as never)).not.toThrow();
    expect(() => tailor.identify(42 as never, 'x' as never)).not.toThrow();
  });
});
