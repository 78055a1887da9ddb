import type { StoredEvent } from '../src/collector/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTailor } from '../src/client/bridge';
import { createTailorNode } from '../src/client/client';
import type { DeliveryProblem } from '../src/client/types';
import { startTestCollector, WRITE_KEY } from './collector-harness';

const SECRET_KEY = 'sk_backend_0123456789abcdefghij';

type Running = Awaited<ReturnType<typeof startTestCollector>>;

function stored(collector: Running, sourceId: string): StoredEvent[] {
  return [...collector.store.scan({ sourceId })];
}

/**
 * The serverless promise: a function that tracks and then awaits close() (or hands the flushes to
 * waitUntil) loses nothing, against a real collector with its real LMDB store.
 */
describe('Node client against a real collector', () => {
  let collector: Running;
  beforeAll(async () => {
    collector = await startTestCollector({
      sources: [
        { id: 'backend', secretKeys: [SECRET_KEY], rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
        { id: 'web', writeKeys: [WRITE_KEY], rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
      ],
    });
  });
  afterAll(async () => {
    await collector.stop();
  });

  it('serverless: 500 calls then `await close()` → all 500 stored, each once, with its own person', async () => {
    const client = createTailorNode({ secretKey: SECRET_KEY, endpoint: collector.url });
    const messageIds: string[] = [];
    for (let n = 0; n < 500; n++) {
      const person = { userId: `u-${n % 37}`, anonymousId: `a-${n % 37}` };
      const result =
        n % 100 === 0
          ? client.identify({ ...person, traits: { n } })
          : client.track({ ...person, event: 'Product Added', properties: { product_id: `p-${n}`, price: 9.99, quantity: 1, n } });
      if (result.ok) messageIds.push(result.messageId);
    }
    expect(messageIds).toHaveLength(500);
    await client.close();
    expect(client.lag()).toBe(0);

    const events = stored(collector, 'backend');
    expect(events.map((event) => event.event.messageId).sort()).toEqual([...messageIds].sort());
    for (const { event } of events) {
      const n = (event.type === 'identify' ? (event.traits as { n: number }).n : (event.properties as { n: number }).n) as number;
      expect([event.userId, event.anonymousId]).toEqual([`u-${n % 37}`, `a-${n % 37}`]);
      expect(event.context?.library).toEqual({ name: '@tailor/node', version: expect.any(String) });
    }
  });

  it('serverless with waitUntil: the flush promises it is handed cover every call', async () => {
    const handed: Array<Promise<unknown>> = [];
    const client = createTailorNode({ writeKey: WRITE_KEY, endpoint: collector.url, encoding: 'json', flushAt: 10, waitUntil: (promise) => handed.push(promise) });
    const ids = Array.from({ length: 50 }, (_, n) => client.track({ anonymousId: `w-${n}`, event: 'Cart Viewed', properties: { cart_id: `c-${n}` } }));
    expect(handed).toHaveLength(5); // one per batch of 10, handed over as each batch is sealed
    // What a runtime does with waitUntil: keep the instance alive until these settle; no close(), no flush().
    await Promise.all(handed);
    const keep = new Set(ids.map((result) => (result.ok ? result.messageId : '')));
    expect(stored(collector, 'web').filter((event) => keep.has(event.event.messageId))).toHaveLength(50);
  });

  it('a 207 keeps the valid events and reports the refused one with the collector\'s issue', async () => {
    const problems: DeliveryProblem[] = [];
    const client = createTailorNode({ secretKey: SECRET_KEY, endpoint: collector.url, onError: (problem) => problems.push(problem) });
    const good = client.track({ userId: 'u-207', event: 'Order Completed', properties: { order_id: 'o-good', total: 10, currency: 'EUR' } });
    const bad = client.track({ userId: 'u-207', event: 'Order Completed', properties: { order_id: 'o-bad', total: -5, currency: 'EUR' } });
    await client.close();
    expect(problems).toEqual([
      expect.objectContaining({
        type: 'refused',
        status: 207,
        events: [expect.objectContaining({ messageId: bad.ok && bad.messageId })],
        issues: [expect.objectContaining({ index: 1, path: 'properties.total' })],
      }),
    ]);
    const orders = stored(collector, 'backend').filter((event) => event.event.userId === 'u-207');
    expect(orders.map((event) => event.event.messageId)).toEqual([good.ok && good.messageId]);
    expect(client.stats()).toMatchObject({ accepted: 1, refused: 1, lag: 0 });
  });

  it('concurrent requests through withTailor store each event under its own shopper', async () => {
    const client = createTailorNode({ secretKey: SECRET_KEY, endpoint: collector.url, flushAt: 7, maxInFlight: 3 });
    const handler = withTailor(client, async (request, shopper) => {
      const { request: i, n } = (await request.json()) as { request: number; n: number };
      const result = shopper.track({ userId: `shopper-${i}`, event: 'Product Viewed', properties: { product_id: `p-${n}`, request: i, n } });
      return Response.json(result);
    });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        Promise.all(
          Array.from({ length: 5 }, (_, n) =>
            handler(new Request('http://shop.test/view', { method: 'POST', headers: { cookie: `tlr_aid=anon-${i}` }, body: JSON.stringify({ request: i, n }) })),
          ),
        ),
      ),
    );
    await client.close();
    const viewed = stored(collector, 'backend').filter((event) => event.event.userId?.startsWith('shopper-'));
    expect(viewed).toHaveLength(150);
    for (const { event } of viewed) {
      const i = (event.properties as { request: number }).request;
      expect([event.userId, event.anonymousId]).toEqual([`shopper-${i}`, `anon-${i}`]);
    }
  });
});
