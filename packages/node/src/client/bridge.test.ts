import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { anonymousIdFrom, bindRequest, tailorMiddleware, withTailor, type RequestWithTailor } from './bridge';
import type { CallResult, TailorNodeCalls } from './types';

const webRequest = (cookie?: string) => new Request('http://shop.test/', cookie === undefined ? {} : { headers: { cookie } });
const nodeRequest = (cookie?: string | string[]) => ({ headers: cookie === undefined ? {} : { cookie } }) as unknown as IncomingMessage;

/** A client that records the calls it gets. */
function recordingClient() {
  const calls: Array<[string, Record<string, unknown>]> = [];
  const record = (verb: string) => (call: object): CallResult => {
    calls.push([verb, call as Record<string, unknown>]);
    return { ok: true, messageId: `m-${calls.length}` };
  };
  const client: TailorNodeCalls<Record<string, Record<string, unknown>>, CallResult> = {
    track: record('track'), identify: record('identify'), page: record('page'), group: record('group'), alias: record('alias'),
  };
  return { client, calls };
}

describe('anonymousIdFrom', () => {
  it.each([
    ['tlr_aid=a-1', 'a-1'],
    ['theme=dark; tlr_aid=anon%3A%C3%A9t%C3%A9; x=1', 'anon:été'],
    ['tlr_aid="quoted-1"', 'quoted-1'],
    ['tlr_aid=; tlr_aid=from-a-parent-path', 'from-a-parent-path'],
    ['tlr_aid=', undefined],
    ['xtlr_aid=nope; tlr_aidx=nope', undefined],
    ['tlr_aid=100%', '100%'],
    ['', undefined],
  ])('reads %j from a Web Request and a Node IncomingMessage alike', (cookie, expected) => {
    expect(anonymousIdFrom(webRequest(cookie))).toBe(expected);
    expect(anonymousIdFrom(nodeRequest(cookie))).toBe(expected);
  });

  it('returns undefined without a cookie header, and reads a custom cookie name', () => {
    expect(anonymousIdFrom(webRequest())).toBeUndefined();
    expect(anonymousIdFrom(nodeRequest())).toBeUndefined();
    expect(anonymousIdFrom(webRequest('shop_aid=s-1; tlr_aid=t-1'), 'shop_aid')).toBe('s-1');
  });
});

describe('bindRequest', () => {
  it('fills in the request\'s anonymous id; a call\'s own id wins; alias is passed on unchanged', () => {
    const { client, calls } = recordingClient();
    const shopper = bindRequest(client, 'a-1');
    shopper.track({ userId: 'u-1', event: 'Order Completed', properties: { order_id: 'o-1' } });
    shopper.identify({ userId: 'u-1', traits: { tier: 'gold' } });
    shopper.page({ anonymousId: 'a-override', name: 'Receipt' });
    shopper.alias({ userId: 'u-1', previousId: 'a-1' });
    expect(calls).toEqual([
      ['track', { anonymousId: 'a-1', userId: 'u-1', event: 'Order Completed', properties: { order_id: 'o-1' } }],
      ['identify', { anonymousId: 'a-1', userId: 'u-1', traits: { tier: 'gold' } }],
      ['page', { anonymousId: 'a-override', name: 'Receipt' }],
      ['alias', { userId: 'u-1', previousId: 'a-1' }],
    ]);
    expect(shopper.anonymousId).toBe('a-1');
    bindRequest(client, undefined).track({ userId: 'u-2', event: 'x' });
    expect(calls.at(-1)?.[1]).toEqual({ userId: 'u-2', event: 'x' });
  });
});

describe('tailorMiddleware', () => {
  it('sets req.tailor per request on a real node:http server', async () => {
    const { client, calls } = recordingClient();
    const middleware = tailorMiddleware(client);
    const server = createServer((req, res) => {
      middleware(req, res, () => {
        const result = (req as RequestWithTailor<Record<string, Record<string, unknown>>, CallResult>).tailor?.track({ event: 'Checkout Started', properties: { path: req.url } });
        res.end(JSON.stringify(result));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const answers = await Promise.all(['a-1', 'a-2', 'a-3'].map((id) => fetch(`${url}/${id}`, { headers: { cookie: `tlr_aid=${id}` } }).then((response) => response.json())));
      expect(answers.every((answer) => answer.ok)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(calls.map(([, call]) => [call.anonymousId, (call.properties as { path: string }).path]).sort()).toEqual([
      ['a-1', '/a-1'],
      ['a-2', '/a-2'],
      ['a-3', '/a-3'],
    ]);
  });
});

describe('withTailor', () => {
  it('hands a Web-standard handler the shopper-bound client and passes further arguments on', async () => {
    const { client, calls } = recordingClient();
    const handler = withTailor(client, async (request, shopper, context: { params: { id: string } }) => {
      const result = shopper.track({ event: 'Product Viewed', properties: { product_id: context.params.id } });
      return Response.json({ result, anonymousId: shopper.anonymousId, method: request.method });
    });
    const response = await handler(new Request('http://shop.test/p/1', { method: 'POST', headers: { cookie: 'tlr_aid=a-9' } }), { params: { id: 'p-1' } });
    expect(await response.json()).toEqual({ result: { ok: true, messageId: 'm-1' }, anonymousId: 'a-9', method: 'POST' });
    expect(calls).toEqual([['track', { anonymousId: 'a-9', event: 'Product Viewed', properties: { product_id: 'p-1' } }]]);
  });
});
