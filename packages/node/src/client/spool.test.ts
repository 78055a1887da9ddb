import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTailorError, type Transport } from '@tailor/core';
import { unpack } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTailorNode } from './client';
import type { TailorNodeOptions } from './types';

type Event = { messageId: string; userId?: string; properties: { n: number } };

/** Answers 200 unless `down` (then the request fails like a refused connection); records what was accepted. */
function fakeCollector() {
  const state = { down: false, attempts: 0, accepted: [] as Event[] };
  const watchers: Array<{ attempts: number; resolve: () => void }> = [];
  /** Resolves once the client has tried `attempts` requests in all: a wait on an event, not on the clock. */
  const attempted = (attempts: number) => new Promise<void>((resolve) => watchers.push({ attempts, resolve }));
  const transport: Transport = {
    async send(request) {
      state.attempts++;
      for (const watcher of watchers) if (state.attempts >= watcher.attempts) watcher.resolve();
      if (state.down) throw new Error('connect ECONNREFUSED');
      const { batch } = unpack(request.body as Uint8Array) as { batch: Event[] };
      state.accepted.push(...batch);
      return { status: 200, header: () => null, text: async () => JSON.stringify({ success: true, duplicates: 0 }) };
    },
  };
  return { state, transport, attempted };
}

describe('createTailorNode with a spool (real LMDB, fake network)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tailor-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const options = (transport: Transport, extra: Partial<TailorNodeOptions> = {}) => ({
    secretKey: 'sk_test_0123456789abcdefghijklmn',
    endpoint: 'http://collector.test',
    spool: { dir },
    flushAt: 10,
    flushInterval: 5,
    retry: { initialMs: 1, maxMs: 5 },
    platform: { transport },
    ...extra,
  });

  it('acknowledges each call once it is on disk and forwards everything in call order', async () => {
    const { state, transport } = fakeCollector();
    const client = createTailorNode(options(transport));
    const results = await Promise.all(Array.from({ length: 45 }, (_, n) => client.track({ userId: `u-${n % 3}`, event: 'Product Viewed', properties: { n } })));
    expect(results.every((result) => result.ok)).toBe(true);
    await client.flush();
    expect(state.accepted.map((event) => event.properties.n)).toEqual([...Array(45).keys()]);
    expect(client.lag()).toBe(0);
    expect(client.stats()).toMatchObject({ mode: 'spool', lag: 0, accepted: 45 });
    await client.close();
  });

  it('keeps acknowledging through an outage, reports the lag, and delivers everything once in order when the link returns', async () => {
    const { state, transport, attempted } = fakeCollector();
    const client = createTailorNode(options(transport));
    state.down = true;
    for (let n = 0; n < 30; n++) expect(await client.track({ anonymousId: 'a-1', event: 'Product Viewed', properties: { n } })).toMatchObject({ ok: true });
    expect(client.lag()).toBe(30);
    await attempted(4); // the forwarder keeps trying
    const during = client.stats();
    expect(during.consecutiveFailures).toBeGreaterThan(0);
    expect(during.lastError).toContain('ECONNREFUSED');
    expect(during.oldestWaitingAt).toEqual(expect.any(Number));
    state.down = false;
    await client.flush();
    expect(state.accepted.map((event) => event.properties.n)).toEqual([...Array(30).keys()]);
    expect(client.stats()).toMatchObject({ lag: 0, consecutiveFailures: 0 });
    expect(client.stats().oldestWaitingAt).toBeUndefined();
    await client.close();
  });

  it('keeps what was not delivered on disk across close(), and the next client forwards it with the same messageIds', async () => {
    const first = fakeCollector();
    first.state.down = true;
    const client = createTailorNode(options(first.transport));
    const acked = await Promise.all(Array.from({ length: 12 }, (_, n) => client.track({ userId: 'u-1', event: 'Order Completed', properties: { order_id: `o-${n}`, n } })));
    await client.close();
    expect(await client.track({ userId: 'u-1', event: 'x' })).toMatchObject({ ok: false, reason: 'closed' });

    const second = fakeCollector();
    const reopened = createTailorNode(options(second.transport));
    expect(reopened.lag()).toBe(12);
    await reopened.flush();
    expect(second.state.accepted.map((event) => event.messageId)).toEqual(acked.map((result) => (result.ok ? result.messageId : '')));
    await reopened.close();
  });

  it('removes events the collector refuses (400) so they do not block the spool', async () => {
    let calls = 0;
    const transport: Transport = {
      async send() {
        calls++;
        const status = calls === 1 ? 400 : 200;
        return { status, header: () => null, text: async () => JSON.stringify({ success: false, message: 'properties.total: expected number' }) };
      },
    };
    const problems: string[] = [];
    const client = createTailorNode({ ...options(transport), onError: (problem) => problems.push(problem.type) });
    await client.track({ userId: 'u-1', event: 'Till Closed', properties: { total: 'ten' } });
    await client.flush();
    expect(client.lag()).toBe(0);
    expect(client.stats()).toMatchObject({ refused: 1 });
    expect(problems).toEqual(['refused']);
    await client.close();
  });

  it('returns a refusal, not a rejection, for a bad call', async () => {
    const client = createTailorNode(options(fakeCollector().transport));
    await expect(client.track({ event: 'Order Completed' } as never)).resolves.toMatchObject({ ok: false, reason: 'invalid_call' });
    await client.close();
  });

  it('throws a TailorError at construction when the spool directory cannot be used', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    let thrown: unknown;
    try {
      createTailorNode(options(fakeCollector().transport, { spool: { dir: join(file, 'spool') } }));
    } catch (error) {
      thrown = error;
    }
    expect(isTailorError(thrown) && thrown.code).toBe('storage_unavailable');
    expect((thrown as Error).message).toContain('Point "spool.dir" at a directory this process can write');
  });
});
