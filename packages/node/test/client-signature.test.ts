import { pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signBody } from '../src/client/signature';
import { basicAuth, startTestCollector } from './collector-harness';

const SECRET_KEY = 'sk_signed_0123456789abcdefghijk';

type Running = Awaited<ReturnType<typeof startTestCollector>>;

/**
 * The collector's side of request signing: a request authenticated with a secret key must carry a valid
 * `x-tailor-signature` over its exact body, made within the last 5 minutes, or it gets a 401 and nothing
 * is stored. The source sets `requireSignature`, so an unsigned request with its secret key is refused too.
 */
describe('collector verifies x-tailor-signature on secret-key requests', () => {
  let collector: Running;
  beforeAll(async () => {
    collector = await startTestCollector({ sources: [{ id: 'pos', secretKeys: [SECRET_KEY], requireSignature: true }] });
  });
  afterAll(async () => {
    await collector.stop();
  });

  let next = 0;
  function body(): Uint8Array {
    const messageId = `sig-${++next}`;
    return pack({ batch: [{ type: 'track', messageId, userId: 'u-1', event: 'Order Completed', properties: { order_id: messageId, total: 10, currency: 'EUR' } }], sentAt: new Date().toISOString() });
  }

  async function post(payload: Uint8Array, signature: string | undefined) {
    const response = await fetch(`${collector.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack', authorization: basicAuth(SECRET_KEY), ...(signature === undefined ? {} : { [SIGNATURE_HEADER]: signature }) },
      body: Buffer.from(payload),
    });
    return { status: response.status, text: await response.text() };
  }

  const storedCount = () => [...collector.store.scan({ sourceId: 'pos' })].length;

  it('stores a correctly signed batch', async () => {
    const payload = body();
    expect(await post(payload, signBody(SECRET_KEY, payload, Date.now()))).toMatchObject({ status: 200 });
  });

  it('answers 401 to the same signed request sent again (a replay within the tolerance)', async () => {
    const payload = body();
    const header = signBody(SECRET_KEY, payload, Date.now());
    expect(await post(payload, header)).toMatchObject({ status: 200 });
    expect(await post(payload, header)).toMatchObject({ status: 401, text: expect.stringContaining('replay') });
  });

  it.each([
    ['a tampered body', (payload: Uint8Array) => {
      const header = signBody(SECRET_KEY, payload, Date.now());
      const tampered = Buffer.from(payload);
      const at = tampered.indexOf('u-1');
      tampered[at + 2] = '9'.charCodeAt(0); // the event now claims to be about u-9
      return [tampered, header] as const;
    }],
    ['a signature older than 5 minutes (a replay)', (payload: Uint8Array) => [payload, signBody(SECRET_KEY, payload, Date.now() - 301_000)] as const],
    ['a signature made with another secret', (payload: Uint8Array) => [payload, signBody('sk_attacker_0123456789abcdefgh', payload, Date.now())] as const],
    ['no signature at all', (payload: Uint8Array) => [payload, undefined] as const],
    ['a malformed signature header', (payload: Uint8Array) => [payload, 't=now,v1=zz'] as const],
  ])('answers 401 and stores nothing for %s', async (_, make) => {
    const before = storedCount();
    const [payload, header] = make(body());
    const answer = await post(payload, header);
    expect(answer.status, `the collector answered ${answer.status} ${answer.text}; it must verify ${SIGNATURE_HEADER} (verifySignature from src/client/signature.ts)`).toBe(401);
    expect(storedCount()).toBe(before);
  });
});
