import { createEventBuilder } from '@tailor/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { msgpackEncoder } from '../src/msgpack';
import { JSON_ENCODER } from '../src/sender';
import { startTestCollector, WRITE_KEY } from '../../node/test/collector-harness';
import { createFakePlatform } from '../../test-utils/src/fake-platform';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;

/** Both body encoders the browser client can use, against the real collector's endpoints. */
describe('browser body encoders against the collector', () => {
  let collector: Collector;
  // One platform for both cases: its ids are a counter, and the collector would dedup a repeated messageId.
  const build = createEventBuilder({ platform: createFakePlatform({ realClock: true }), library: { name: '@tailor/browser', version: '0.1.0' } });
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => {
    await collector.stop();
  });

  it.each([
    ['JSON to /v1/batch', JSON_ENCODER],
    ['msgpack to /v1/events', msgpackEncoder],
  ])('%s is stored as sent', async (_name, encoder) => {
    const batch = [build('track', { event: `Encoded ${encoder.path}`, properties: { product_id: 'p-1', price: 9.5 } }, { anonymousId: 'a-1' })];
    const body = encoder.encode(batch, new Date().toISOString(), WRITE_KEY);
    const response = await fetch(collector.url + encoder.path, { method: 'POST', headers: { 'content-type': encoder.contentType }, body: typeof body === 'string' ? body : Buffer.from(body) });
    expect(response.status).toBe(200);
    const stored = [...collector.store.scan()].find((e) => e.event.messageId === batch[0]?.messageId);
    expect(stored?.event).toMatchObject({ event: `Encoded ${encoder.path}`, properties: { product_id: 'p-1', price: 9.5 }, anonymousId: 'a-1' });
  });
});
