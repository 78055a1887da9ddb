import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestCollector, WRITE_KEY } from './collector-harness';

type Running = Awaited<ReturnType<typeof startTestCollector>>;

/**
 * Bad input over real HTTP to a real collector (LMDB on disk): every malformed body gets a 4xx with a
 * reason, the process stays up, memory stays bounded, and valid events sent alongside are stored.
 */
describe('collector under hostile input', () => {
  let collector: Running;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => {
    await collector.stop();
  });

  const send = async (body: Uint8Array | string, headers: Record<string, string> = {}, path = '/v1/batch') => {
    const response = await fetch(collector.url + path, {
      method: 'POST',
      headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : Buffer.from(body),
    });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) as { message?: string; issues?: Array<{ message: string }> } };
  };
  const valid = (id: string) => ({ type: 'track', event: 'Cart Viewed', messageId: id, anonymousId: 'fuzz' });
  let counter = 0;
  const nextId = () => `fz-${++counter}`;

  const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const CORPUS: Array<[string, Uint8Array | string, Record<string, string>?]> = [
    ['truncated JSON', '{"batch":[{"type":"track"'],
    ['JSON null', 'null'],
    ['a number', '42'],
    ['an empty body', ''],
    ['deep nesting (100k levels)', deep(100_000)],
    ['deep nesting inside an event', `{"batch":[{"type":"track","event":"E","messageId":"d","userId":"u","properties":${deep(5_000)}}]}`],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['malformed msgpack', new Uint8Array([0xc1, 0xc1, 0xc1]), { 'content-type': 'application/msgpack' }],
    ['truncated msgpack', pack({ batch: [valid('x')] }).subarray(0, 20), { 'content-type': 'application/msgpack' }],
    ['truncated gzip', gzipSync(Buffer.from(JSON.stringify({ batch: [valid('x')] }))).subarray(0, 15), { 'content-encoding': 'gzip' }],
    ['gzip bomb', gzipSync(Buffer.alloc(50_000_000, 0x20)), { 'content-encoding': 'gzip' }],
    ['unknown encoding', 'x', { 'content-encoding': 'zstd' }],
    ['a huge string', JSON.stringify({ batch: [{ ...valid('h'), properties: { s: 'x'.repeat(400_000) } }] })],
    ['3,000 events', JSON.stringify({ batch: Array.from({ length: 3_000 }, (_, i) => ({ type: 'page', messageId: `p${i}`, anonymousId: 'a' })) })],
    ['wrong types everywhere', JSON.stringify({ batch: [{ type: 7, messageId: [], userId: {}, timestamp: true }] })],
  ];

  for (const [name, body, headers] of CORPUS) {
    it(`answers 4xx with a reason: ${name}`, async () => {
      const response = await send(body, headers);
      expect(response.status, response.text).toBeGreaterThanOrEqual(400);
      expect(response.status, response.text).toBeLessThan(500);
      const answer = response.json();
      expect(answer.message ?? answer.issues?.[0]?.message, response.text).toMatch(/\w{3,}/);
    });
  }

  it('refuses a 10 MB body without buffering it', async () => {
    const response = await send('x'.repeat(10 * 1024 * 1024));
    expect(response.status).toBe(413);
    expect(response.json().message).toMatch(/limit/);
  });

  it('does not let __proto__ or constructor keys pollute anything, and stores the event as data', async () => {
    const id = nextId();
    const body = `{"batch":[{"type":"track","event":"E","messageId":"${id}","userId":"u","properties":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}]}`;
    const response = await send(body);
    expect(response.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const mp = pack({ batch: [{ ...valid(nextId()), properties: JSON.parse('{"__proto__":{"polluted":true}}') }] });
    expect((await send(mp, { 'content-type': 'application/msgpack' })).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps the valid events of any batch mixed with arbitrary junk', async () => {
    const before = collector.store.stats().events;
    let expected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constant('valid'), fc.anything({ maxDepth: 3 })), { maxLength: 20 }), async (items) => {
        const batch = items.map((item) => (item === 'valid' ? valid(nextId()) : item));
        const good = items.filter((item) => item === 'valid').length;
        expected += good;
        const response = await send(JSON.stringify({ batch }, (_key, value) => (typeof value === 'bigint' ? String(value) : value)));
        if (batch.length === 0) expect(response.status).toBe(200);
        else expect([200, 207, 400]).toContain(response.status);
        if (good > 0) expect(response.status).not.toBe(400);
      }),
      { numRuns: 150 },
    );
    expect(collector.store.stats().events - before).toBe(expected);
  });

  it('survives random bytes in every encoding and stays up with bounded memory', async () => {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 4_096 }),
        fc.constantFrom('application/json', 'application/msgpack', 'text/plain'),
        fc.constantFrom(undefined, 'gzip', 'deflate', 'br'),
        fc.constantFrom('/v1/batch', '/v1/t', '/v1/events', '/v1/identify'),
        async (bytes, type, encoding, path) => {
          const response = await send(bytes, { 'content-type': type, ...(encoding ? { 'content-encoding': encoding } : {}) }, path);
          expect(response.status).toBeGreaterThanOrEqual(200);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 400 },
    );
    globalThis.gc?.();
    // The collector runs in this process: 400 bad requests must not leave tens of MB behind.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    const health = await fetch(`${collector.url}/healthz`);
    expect(health.status).toBe(200);
    const id = nextId();
    expect((await send(JSON.stringify({ batch: [valid(id)] }))).status).toBe(200);
  });
});
