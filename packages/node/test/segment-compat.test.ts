import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, WRITE_KEY } from './collector-harness';
import { CLI } from './collector-process';

type Running = Awaited<ReturnType<typeof startTestCollector>>;

/** The real @segment/analytics-node client, pointed at Tailor, unchanged apart from its host. */
describe('@segment/analytics-node against the collector', () => {
  let collector: Running;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => {
    await collector.stop();
  });

  it('delivers track, identify, page, group and alias events that `tailor export` returns', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: collector.url, path: '/v1/batch', flushAt: 3, maxRetries: 1 });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    analytics.identify({ userId: 'u-42', traits: { email: 'ada@example.com', tier: 'gold' } });
    analytics.track({ userId: 'u-42', event: 'Order Completed', properties: { order_id: 'o-1', total: 42.5, currency: 'EUR', products: [{ product_id: 'p-1', price: 42.5, quantity: 1 }] } });
    analytics.page({ anonymousId: 'a-7', name: 'Home', properties: { path: '/' } });
    analytics.group({ userId: 'u-42', groupId: 'household-1', traits: { size: 3 } });
    analytics.alias({ userId: 'u-42', previousId: 'a-7' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    // Async on purpose: the collector runs in this process, and a blocked event loop would hold its LMDB write
    // transaction (the profile projector commits right after these events) while the CLI opens the store.
    const { stdout: output } = await promisify(execFile)(process.execPath, ['--conditions=tailor-source', '--import', 'tsx', CLI, 'export', '--data-dir', collector.dataDir], { encoding: 'utf8' });
    const exported = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(exported.map((event) => event.type)).toEqual(['identify', 'track', 'page', 'group', 'alias']);
    expect(exported[1]).toMatchObject({
      sourceId: 'web',
      event: 'Order Completed',
      userId: 'u-42',
      properties: { order_id: 'o-1', total: 42.5 },
      context: { library: { name: '@segment/analytics-node' } },
      receivedAt: expect.any(String),
    });
    expect(exported[1]?.messageId).toEqual(expect.any(String));
  }, 30_000);
});
