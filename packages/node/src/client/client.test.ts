import { isTailorError, type LogFields, type Transport, type TransportRequest } from '@tailor/core';
import fc from 'fast-check';
import { unpack } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { anonymousIdFrom, bindRequest } from './bridge';
import { createTailorNode } from './client';
import { verifySignature } from './signature';
import type { DeliveryProblem, TailorNodeOptions, UndeliveredEvents } from './types';

type Event = Record<string, unknown> & { messageId: string; properties?: Record<string, unknown> };

interface Sent {
  readonly at: number;
  readonly request: TransportRequest;
  readonly body: Uint8Array;
  readonly events: Event[];
}

type Answer = { status: number; headers?: Record<string, string>; body?: unknown } | Error;

/** A transport that decodes what the client sends and answers with `answer` (200 by default). */
function fakeCollector(answer: (sent: Sent, index: number) => Answer | Promise<Answer> = () => ({ status: 200 })) {
  const sent: Sent[] = [];
  const transport: Transport = {
    async send(request) {
      const body = request.body as Uint8Array;
      const decoded = (request.headers['content-type'] === 'application/msgpack' ? unpack(body) : JSON.parse(Buffer.from(body).toString('utf8'))) as { batch: Event[] };
      const entry = { at: Date.now(), request, body, events: decoded.batch };
      sent.push(entry);
      const result = await answer(entry, sent.length - 1);
      if (result instanceof Error) throw result;
      const text = JSON.stringify(result.body ?? { success: true, accepted: decoded.batch.length, stored: decoded.batch.length, duplicates: 0 });
      return { status: result.status, header: (name) => result.headers?.[name.toLowerCase()] ?? null, text: async () => text };
    },
  };
  return { transport, sent, events: () => sent.flatMap((entry) => entry.events) };
}

function recordingLogger() {
  const lines: Array<{ level: string; fields: LogFields; message: string }> = [];
  const at = (level: string) => (fields: LogFields, message: string) => void lines.push({ level, fields, message });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

function setup(options: Partial<TailorNodeOptions> = {}, answer?: Parameters<typeof fakeCollector>[0]) {
  const fake = fakeCollector(answer);
  const log = recordingLogger();
  const problems: DeliveryProblem[] = [];
  const client = createTailorNode({
    writeKey: 'wk_test_0123456789',
    endpoint: 'http://collector.test/',
    onError: (problem) => problems.push(problem),
    ...options,
    spool: undefined,
    platform: { transport: fake.transport, logger: log.logger, ...options.platform },
  });
  return { client, problems, log, ...fake };
}

const track = (userId: string, n: number) => ({ userId, event: 'Product Viewed', properties: { product_id: `p-${n}`, n } });

describe('createTailorNode: construction', () => {
  it.each([
    [{ endpoint: 'http://c.test' }, '"writeKey" or "secretKey" is required'],
    [{ writeKey: '', endpoint: 'http://c.test' }, '"writeKey" must be a non-empty string'],
    [{ writeKey: 'wk_1', endpoint: 'c.test' }, '"endpoint" must be the collector\'s http(s) origin'],
    [{ writeKey: 'wk_1', endpoint: 'http://c.test', flushAt: 5_000 }, '"flushAt" must be a whole number > 0 and <= 2500'],
    [{ writeKey: 'wk_1', endpoint: 'http://c.test', maxBatchBytes: 600_000 }, '"maxBatchBytes" must be a whole number > 0 and <= 512000'],
    [{ writeKey: 'wk_1', endpoint: 'http://c.test', encoding: 'xml' }, '"encoding" must be "msgpack" or "json"'],
    [{ writeKey: 'wk_1', endpoint: 'http://c.test', retry: { initialMs: 5_000, maxMs: 1_000 } }, '"retry.maxMs" (1000) must be >= "retry.initialMs" (5000)'],
    [{ writeKey: 'wk_1', endpoint: 'http://c.test', spool: { dir: '' } }, '"spool.dir" must be a directory'],
  ])('throws a TailorError naming the mistake for %j', (options, message) => {
    let thrown: unknown;
    try {
      createTailorNode(options as TailorNodeOptions);
    } catch (error) {
      thrown = error;
    }
    expect(isTailorError(thrown) && thrown.code).toBe('invalid_options');
    expect((thrown as Error).message).toContain(message);
  });
});

describe('createTailorNode: calls never throw, they return a result', () => {
  it('returns ok with the messageId, or a reason for a mistake in the call', async () => {
    const { client, events } = setup();
    const ok = client.track({ anonymousId: 'a-1', event: 'Product Viewed', properties: { product_id: 'p-1' }, messageId: 'order-1-viewed' });
    expect(ok).toEqual({ ok: true, messageId: 'order-1-viewed' });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const bad = [
      client.track({ event: 'Product Viewed' } as never),
      client.track({ userId: '', event: 'Product Viewed' }),
      client.track({ userId: 'u-1' } as never),
      client.track({ userId: 'u-1', event: 'X', messageId: 'm'.repeat(100) }),
      client.track({ userId: 'u-1', event: 'X', timestamp: 'yesterday' }),
      client.track({ userId: 'u-1', event: 'X', properties: 'not an object' as never }),
      client.track({ userId: 'u-1', event: 'X', properties: cycle }),
      client.alias({ userId: 'u-1' } as never),
      client.group({ userId: 'u-1' } as never),
      client.identify(null as never),
    ];
    for (const result of bad) expect(result).toMatchObject({ ok: false, reason: 'invalid_call', message: expect.any(String) });
    expect(bad[0]).toMatchObject({ message: expect.stringContaining('pass "userId" or "anonymousId" on every call') });
    expect(client.track({ userId: 'u-1', event: 'X', properties: { blob: 'x'.repeat(40_000) } })).toMatchObject({ ok: false, reason: 'too_large' });
    await client.close();
    expect(client.track(track('u-1', 1))).toMatchObject({ ok: false, reason: 'closed' });
    expect(events().map((event) => event.messageId)).toEqual(['order-1-viewed']);
  });

  it('builds Segment envelopes with core\'s builder for every verb', async () => {
    const { client, events } = setup({ flushAt: 10 });
    client.identify({ userId: 'u-1', traits: { tier: 'gold' } });
    client.page({ anonymousId: 'a-1', name: 'Home', properties: { path: '/' } });
    client.group({ userId: 'u-1', groupId: 'household-1', traits: { size: 3 } });
    client.alias({ userId: 'u-1', previousId: 'a-1' });
    client.track({ userId: 'u-1', anonymousId: 'a-1', event: 'Order Completed', properties: { order_id: 'o-1', total: 10 }, timestamp: new Date(0), context: { channel: 'pos' } });
    await client.flush();
    expect(events()).toEqual([
      expect.objectContaining({ type: 'identify', userId: 'u-1', traits: { tier: 'gold' } }),
      expect.objectContaining({ type: 'page', anonymousId: 'a-1', name: 'Home', properties: { path: '/' } }),
      expect.objectContaining({ type: 'group', userId: 'u-1', groupId: 'household-1' }),
      expect.objectContaining({ type: 'alias', userId: 'u-1', previousId: 'a-1' }),
      expect.objectContaining({
        type: 'track', userId: 'u-1', anonymousId: 'a-1', event: 'Order Completed', timestamp: '1970-01-01T00:00:00.000Z',
        context: { channel: 'pos', library: { name: '@tailor/node', version: expect.any(String) } },
      }),
    ]);
  });

  it('refuses calls past maxQueuedEvents while the collector does not answer', async () => {
    const { client } = setup({ maxQueuedEvents: 3, flushAt: 1 }, () => new Promise(() => {}));
    expect([1, 2, 3, 4].map((n) => client.track(track('u-1', n)).ok)).toEqual([true, true, true, false]);
    expect(client.track(track('u-1', 5))).toMatchObject({ reason: 'queue_full' });
    expect(client.lag()).toBe(3);
  });
});

describe('createTailorNode: batching and wire format', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 24, 10, 0, 0) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends at flushAt events, and the rest after flushInterval', async () => {
    const { client, sent } = setup({ flushAt: 3, flushInterval: 1_000 });
    for (let n = 0; n < 7; n++) client.track(track('u-1', n));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((entry) => entry.events.length)).toEqual([3, 3]);
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.map((entry) => entry.events.map((event) => event.properties?.n))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(client.lag()).toBe(0);
    expect(client.stats()).toMatchObject({ accepted: 7, requests: 3, lag: 0 });
  });

  it('keeps every body under maxBatchBytes', async () => {
    const { client, sent } = setup({ flushAt: 100, maxBatchBytes: 2_000 });
    for (let n = 0; n < 40; n++) client.track(track('u-1', n));
    await client.flush();
    expect(sent.length).toBeGreaterThan(2);
    for (const entry of sent) expect(entry.body.byteLength).toBeLessThanOrEqual(2_000);
    expect(sent.flatMap((entry) => entry.events.map((event) => event.properties?.n))).toEqual([...Array(40).keys()]);
  });

  it('posts msgpack to /v1/events with Basic auth by the secret key and an HMAC over the exact body', async () => {
    const secretKey = 'sk_test_0123456789abcdefghijklmn';
    const { client, sent } = setup({ writeKey: 'wk_public_0123', secretKey });
    client.track(track('u-1', 1));
    await client.flush();
    const { request, body } = sent[0] as Sent;
    expect(request.url).toBe('http://collector.test/v1/events');
    expect(request.headers).toMatchObject({ 'content-type': 'application/msgpack', authorization: `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}` });
    expect(verifySignature(secretKey, request.headers['x-tailor-signature'], body, Date.now())).toEqual({ ok: true });
    expect(unpack(body)).toEqual({ batch: [expect.objectContaining({ userId: 'u-1' })], sentAt: new Date().toISOString() });
  });

  it('posts Segment JSON to /v1/batch with encoding "json", unsigned with a write key', async () => {
    const { client, sent } = setup({ encoding: 'json' });
    client.track(track('u-1', 1));
    client.track(track('u-2', 2));
    await client.flush();
    const { request, body } = sent[0] as Sent;
    expect(request.url).toBe('http://collector.test/v1/batch');
    expect(request.headers['x-tailor-signature']).toBeUndefined();
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('wk_test_0123456789:').toString('base64')}`);
    expect(JSON.parse(Buffer.from(body).toString('utf8'))).toEqual({ batch: [expect.objectContaining({ userId: 'u-1' }), expect.objectContaining({ userId: 'u-2' })], sentAt: expect.any(String) });
  });

  it('calls waitUntil with each flush promise', async () => {
    const waited: Array<Promise<unknown>> = [];
    const { client } = setup({ flushAt: 2, waitUntil: (promise) => waited.push(promise) });
    for (let n = 0; n < 5; n++) client.track(track('u-1', n));
    expect(waited).toHaveLength(2);
    await client.flush();
    expect(waited).toHaveLength(3);
    await expect(Promise.all(waited)).resolves.toHaveLength(3);
  });
});

describe('createTailorNode: retries', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 24, 10, 0, 0) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits exactly as long as Retry-After says on 429 and 503, then flush() resolves', async () => {
    const { client, sent, problems } = setup({}, (_, index) =>
      index === 0 ? { status: 503, headers: { 'retry-after': '7' } } : index === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 },
    );
    client.track(track('u-1', 1));
    let flushed = false;
    const flush = client.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(6_999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(sent).toHaveLength(2);
    expect(flushed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await flush;
    expect(sent).toHaveLength(3);
    expect(problems.map((problem) => problem.type === 'retrying' && [problem.status, problem.delayMs])).toEqual([[503, 7_000], [429, 2_000]]);
    expect(new Set(sent.map((entry) => entry.events[0]?.messageId)).size).toBe(1); // the same event each time
  });

  it('backs off exponentially with jitter on network errors, bounded by maxMs, then gives up after maxAttempts', async () => {
    const { client, sent } = setup({ retry: { initialMs: 1_000, maxMs: 8_000, maxAttempts: 7 } }, () => new Error('ECONNREFUSED'));
    client.track(track('u-1', 1));
    client.track(track('u-2', 2));
    const outcome = client.flush().then(() => undefined, (error: unknown) => error);
    await vi.advanceTimersByTimeAsync(120_000);
    const error = await outcome;
    expect(sent).toHaveLength(7);
    const gaps = sent.slice(1).map((entry, i) => entry.at - (sent[i] as Sent).at);
    gaps.forEach((gap, i) => {
      const full = Math.min(8_000, 1_000 * 2 ** i);
      expect(gap).toBeGreaterThanOrEqual(full / 2);
      expect(gap).toBeLessThanOrEqual(full);
    });
    expect(isTailorError(error) && error.code).toBe('transport_failed');
    expect((error as Error).message).toContain('2 event(s) were not delivered: gave up after 7 attempt(s): network: ECONNREFUSED');
    expect(((error as Error).cause as UndeliveredEvents).undelivered.map((event) => event.userId)).toEqual(['u-1', 'u-2']);
    expect(client.stats()).toMatchObject({ undelivered: 2, lag: 0, failedRequests: 7, consecutiveFailures: 7 });
  });

  it('keeps retrying a batch with a new signature for each attempt', async () => {
    const secretKey = 'sk_test_0123456789abcdefghijklmn';
    const { client, sent } = setup({ secretKey, retry: { initialMs: 60_000, maxMs: 600_000 } }, (_, index) => (index < 3 ? { status: 502 } : { status: 200 }));
    client.track(track('u-1', 1));
    const flush = client.flush();
    await vi.advanceTimersByTimeAsync(600_000);
    await flush;
    expect(sent).toHaveLength(4);
    const last = sent[3] as Sent;
    expect(verifySignature(secretKey, last.request.headers['x-tailor-signature'], last.body, last.at)).toEqual({ ok: true });
    expect(verifySignature(secretKey, (sent[0] as Sent).request.headers['x-tailor-signature'], last.body, last.at).ok).toBe(false);
  });

  it('drops the events a 400 refuses, logging the collector\'s reason, and flush() resolves', async () => {
    const issue = { index: 0, path: 'properties.price', code: 'invalid_type', message: 'properties.price: expected number', severity: 'error' };
    const { client, problems, log } = setup({}, () => ({ status: 400, body: { success: false, accepted: 0, rejected: 1, issues: [issue] } }));
    client.track(track('u-1', 1));
    await client.flush();
    expect(problems).toEqual([expect.objectContaining({ type: 'refused', status: 400, issues: [issue], events: [expect.objectContaining({ userId: 'u-1' })] })]);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'tailor: the collector refused 1 event(s): properties.price: expected number' }));
    expect(client.stats()).toMatchObject({ refused: 1, accepted: 0, lag: 0 });
  });

  it('on a 207 drops only the events its issues name', async () => {
    const issues = [
      { index: 1, path: 'event', code: 'too_small', message: 'event: required', severity: 'error' },
      { index: 2, path: 'properties.x', code: 'unplanned', message: 'unplanned', severity: 'warning' },
    ];
    const { client, problems } = setup({}, () => ({ status: 207, body: { success: false, accepted: 2, rejected: 1, issues } }));
    for (let n = 0; n < 3; n++) client.track(track(`u-${n}`, n));
    await client.flush();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ type: 'refused', status: 207, events: [expect.objectContaining({ userId: 'u-1' })] });
    expect(client.stats()).toMatchObject({ accepted: 2, refused: 1 });
  });

  it('halves a batch the collector answers 413 for, keeping the order', async () => {
    const { client, sent } = setup({ flushAt: 8 }, (entry) => (entry.events.length > 2 ? { status: 413 } : { status: 200 }));
    for (let n = 0; n < 8; n++) client.track(track('u-1', n));
    await client.flush();
    const accepted = sent.filter((entry) => entry.events.length <= 2).flatMap((entry) => entry.events.map((event) => event.properties?.n));
    expect(accepted).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('flush() resolves only once the collector has answered', async () => {
    let answer!: (value: Answer) => void;
    const { client } = setup({}, () => new Promise<Answer>((resolve) => (answer = resolve)));
    client.track(track('u-1', 1));
    let flushed = false;
    const flush = client.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(flushed).toBe(false);
    expect(client.lag()).toBe(1);
    answer({ status: 200 });
    await flush;
    expect(client.lag()).toBe(0);
  });

  it('an aborted flush rejects with the events still queued, which are delivered later', async () => {
    const { client, sent } = setup({ retry: { initialMs: 1_000, maxMs: 1_000 } }, (_, index) => (index < 5 ? { status: 500 } : { status: 200 }));
    client.track(track('u-1', 1));
    const controller = new AbortController();
    const aborted = client.flush({ signal: controller.signal }).catch((error: unknown) => error);
    controller.abort();
    const error = await aborted;
    expect(((error as Error).cause as UndeliveredEvents).undelivered).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    await client.close();
    expect(sent.at(-1)?.events).toHaveLength(1);
    expect(client.stats()).toMatchObject({ accepted: 1, lag: 0 });
  });
});

describe('createTailorNode: concurrent requests for different people', () => {
  it('every sent event carries exactly its own caller\'s ids (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ calls: fc.integer({ min: 1, max: 6 }), ticks: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 6, maxLength: 6 }), loggedIn: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 4 }),
        async (requests, flushAt, maxInFlight) => {
          // The collector answers after a few ticks, so batches of different requests are in flight together.
          const { client, events } = setup({ flushAt, maxInFlight, flushInterval: 5 }, async () => {
            await new Promise((resolve) => setImmediate(resolve));
            return { status: 200 };
          });
          // Each simulated request reads its own shopper's cookie and awaits between calls, interleaving with the others.
          await Promise.all(
            requests.map(async ({ calls, ticks, loggedIn }, i) => {
              const request = new Request('http://shop.test/checkout', { headers: { cookie: `other=1; tlr_aid=anon%20${i}` } });
              const shopper = bindRequest(client, anonymousIdFrom(request));
              for (let n = 0; n < calls; n++) {
                for (let t = 0; t < (ticks[n] ?? 0); t++) await Promise.resolve();
                const result = shopper.track({ ...(loggedIn ? { userId: `user-${i}` } : {}), event: 'Product Viewed', properties: { request: i, n } });
                expect(result.ok).toBe(true);
              }
            }),
          );
          await client.close();
          const sent = events();
          expect(sent).toHaveLength(requests.reduce((sum, request) => sum + request.calls, 0));
          for (const event of sent) {
            const i = event.properties?.request as number;
            expect(event.anonymousId).toBe(`anon ${i}`);
            expect(event.userId).toBe(requests[i]?.loggedIn ? `user-${i}` : undefined);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
