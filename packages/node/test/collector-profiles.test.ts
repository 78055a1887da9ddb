import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { basicAuth, OTHER_KEY, startTestCollector, WRITE_KEY } from './collector-harness';
import { killGroupHard, spawnCollector } from './collector-process';

const SECRET = 'sk_web_0123456789abcdefghijklmn';
const OTHER_SECRET = 'sk_other_0123456789abcdefghijkl';
const SOURCES = [
  { id: 'web', writeKeys: [WRITE_KEY], secretKeys: [SECRET], rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
  { id: 'other', writeKeys: [OTHER_KEY], secretKeys: [OTHER_SECRET] },
];

async function send(url: string, key: string, batch: unknown[]): Promise<number> {
  const response = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { authorization: basicAuth(key), 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
  return response.status;
}

function profileUrl(url: string, target: string): string {
  return `${url}/v1/profiles/${encodeURIComponent(target)}`;
}

async function getProfile(url: string, key: string, target: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(profileUrl(url, target), { headers: { authorization: basicAuth(key) } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const SHOPPER = [
  { type: 'page', messageId: 'p1', anonymousId: 'cookie-1', name: 'Shoes' },
  { type: 'track', messageId: 't1', anonymousId: 'cookie-1', event: 'Product Viewed', properties: { product_id: 'sku-1', price: 80 } },
  { type: 'identify', messageId: 'i1', anonymousId: 'cookie-1', userId: 'cust-42', traits: { email: 'Jo.Bloggs@example.com', first_name: 'Jo' } },
  { type: 'track', messageId: 't2', userId: 'cust-42', event: 'Order Completed', properties: { order_id: 'o1', revenue: 80 }, context: { channel: 'pos', loyaltyId: 'LOY-778812' } },
];

describe('collector: /v1/profiles/:id', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('resolves every accepted event to one profile, readable by any identifier with the secret key', async () => {
    const collector = await startTestCollector({ sources: SOURCES });
    stop = collector.stop;
    expect(await send(collector.url, WRITE_KEY, SHOPPER)).toBe(200);
    expect(await collector.outbox.drain(5_000)).toBe(true);

    const byCookie = await getProfile(collector.url, SECRET, 'anonymousId:cookie-1');
    expect(byCookie.status).toBe(200);
    expect(byCookie.body).toMatchObject({ userId: 'cust-42', anonymousIds: ['cookie-1'], counts: { page: 1, track: 2, identify: 1 }, events: { 'Product Viewed': 1, 'Order Completed': 1 }, traits: { first_name: 'Jo' } });
    const id = byCookie.body.id as string;
    for (const target of ['userId:cust-42', 'email:jo.bloggs@EXAMPLE.com', 'loyaltyId:LOY-778812', id]) {
      expect((await getProfile(collector.url, SECRET, target)).body.id).toBe(id);
    }
    // Scoped by the key's source: another source's secret key sees nothing.
    expect((await getProfile(collector.url, OTHER_SECRET, 'userId:cust-42')).status).toBe(404);
  });

  it('refuses write keys and unknown keys, and explains bad identifiers', async () => {
    const collector = await startTestCollector({ sources: SOURCES });
    stop = collector.stop;
    const writeKey = await getProfile(collector.url, WRITE_KEY, 'userId:cust-42');
    expect(writeKey).toMatchObject({ status: 403, body: { error: 'secret_key_required' } });
    expect((await fetch(profileUrl(collector.url, 'userId:x'))).status).toBe(401);
    expect((await getProfile(collector.url, 'sk_unknown_0123456789abcdefgh', 'userId:x')).status).toBe(401);
    expect(await getProfile(collector.url, SECRET, 'cust-42')).toMatchObject({ status: 400, body: { error: 'bad_identifier', message: expect.stringContaining('type:value') } });
    expect(await getProfile(collector.url, SECRET, 'email:nope')).toMatchObject({ status: 400, body: { message: expect.stringContaining('invalid_email') } });
    expect(await getProfile(collector.url, SECRET, 'userId:never-seen')).toMatchObject({ status: 404, body: { error: 'profile_not_found' } });
    const post = await fetch(profileUrl(collector.url, 'userId:x'), { method: 'POST', headers: { authorization: basicAuth(SECRET) } });
    expect(post.status).toBe(405);
  });

  it('erases a person on DELETE: profile and events gone, replays stay out', async () => {
    const collector = await startTestCollector({ sources: SOURCES });
    stop = collector.stop;
    await send(collector.url, WRITE_KEY, [...SHOPPER, { type: 'track', messageId: 'x1', anonymousId: 'someone-else', event: 'Cart Viewed' }]);
    await collector.outbox.drain(5_000);
    const writeKeyDelete = await fetch(profileUrl(collector.url, 'userId:cust-42'), { method: 'DELETE', headers: { authorization: basicAuth(WRITE_KEY) } });
    expect(writeKeyDelete.status).toBe(403);

    const response = await fetch(profileUrl(collector.url, 'email:jo.bloggs@example.com'), { method: 'DELETE', headers: { authorization: basicAuth(SECRET) } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, status: 'deleted', events: 4 });
    expect((await getProfile(collector.url, SECRET, 'userId:cust-42')).status).toBe(404);
    expect([...collector.store.scan()].map((stored) => stored.event.messageId)).toEqual(['x1']);

    await send(collector.url, WRITE_KEY, [{ type: 'track', messageId: 'late', userId: 'cust-42', event: 'Product Viewed' }]);
    await collector.outbox.drain(5_000);
    expect((await getProfile(collector.url, SECRET, 'userId:cust-42')).status).toBe(404);
    expect([...collector.store.scan()].map((stored) => stored.event.messageId)).toEqual(['x1']);
    expect((await fetch(profileUrl(collector.url, 'userId:cust-42'), { method: 'DELETE', headers: { authorization: basicAuth(SECRET) } })).status).toBe(404);
  });
});

describe('collector --workers 2: profiles', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('projects in the primary, serves reads from any worker and erases through the primary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailor-cluster-profiles-'));
    dirs.push(dir);
    const config = join(dir, 'tailor.config.json');
    writeFileSync(config, JSON.stringify({ dataDir: join(dir, 'data'), sources: SOURCES }));
    const collector = await spawnCollector(['--port', '0', '--config', config, '--workers', '2'], { detached: true });
    try {
      expect(await send(collector.url, WRITE_KEY, SHOPPER)).toBe(200);
      let found = { status: 0, body: {} as Record<string, unknown> };
      for (let attempt = 0; attempt < 100 && found.status !== 200; attempt++) {
        found = await getProfile(collector.url, SECRET, 'userId:cust-42');
        if (found.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(found.body).toMatchObject({ anonymousIds: ['cookie-1'], counts: { track: 2 } });
      // Several requests, so both workers answer some: each reads the same committed profile.
      const ids = await Promise.all(Array.from({ length: 6 }, async () => (await getProfile(collector.url, SECRET, 'anonymousId:cookie-1')).body.id));
      expect(new Set(ids)).toEqual(new Set([found.body.id]));
      const deleted = await fetch(profileUrl(collector.url, 'userId:cust-42'), { method: 'DELETE', headers: { authorization: basicAuth(SECRET) } });
      expect(deleted.status).toBe(200);
      const after = await Promise.all(Array.from({ length: 4 }, async () => (await getProfile(collector.url, SECRET, 'anonymousId:cookie-1')).status));
      expect(after).toEqual([404, 404, 404, 404]);
    } finally {
      await killGroupHard(collector.child);
    }
  }, 60_000);
});
