import type { IncomingMessage } from 'node:http';
import type { AliasCall, EventMap, GroupCall, IdentifyCall, PageCall, TailorNodeCalls, TrackCall } from './types';

/** The cookie in which `@tailor/browser` keeps the shopper's anonymous id (its `identity.cookieName`). */
export const ANONYMOUS_ID_COOKIE = 'tlr_aid';

type Dictionary = Readonly<Record<string, unknown>>;

function cookieHeader(request: IncomingMessage | Request): string | null | undefined {
  const headers = request.headers as Headers | IncomingMessage['headers'];
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get('cookie');
  const value = (headers as IncomingMessage['headers']).cookie;
  return Array.isArray(value) ? value.join('; ') : value;
}

/**
 * The shopper's anonymous id from the browser SDK's first-party cookie, so server-side events stitch to the
 * browser profile. Works with a Node `IncomingMessage` (Express, Fastify's `req.raw`) and a Web `Request`
 * (Next.js route handlers, Hono's `c.req.raw`). Undefined when the cookie is absent or empty.
 *
 * @example
 * tailor.track({ anonymousId: anonymousIdFrom(req), userId: session.userId, event: 'Order Completed', properties });
 */
export function anonymousIdFrom(request: IncomingMessage | Request, cookieName: string = ANONYMOUS_ID_COOKIE): string | undefined {
  const header = cookieHeader(request);
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== cookieName) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not percent-encoded by our SDK (someone else set it by hand): take it as it is.
    }
    // A cleared cookie is `tlr_aid=`: keep looking, a later duplicate (another path or domain) may hold the id.
    if (value !== '') return value;
  }
  return undefined;
}

/** The client's calls with the request's anonymous id filled in (a call's own `anonymousId` wins). */
export interface RequestTailor<Events extends EventMap, R> {
  readonly anonymousId: string | undefined;
  track<E extends string>(call: TrackCall<E, E extends keyof Events ? Events[E] : Dictionary>): R;
  identify(call: IdentifyCall): R;
  page(call: PageCall): R;
  group(call: GroupCall): R;
  alias(call: AliasCall): R;
}

/**
 * Binds a client to one request's shopper. The middleware and handler wrappers below are a few lines over it.
 *
 * @example
 * const shopper = bindRequest(tailor, anonymousIdFrom(request));
 * shopper.track({ userId, event: 'Checkout Started', properties });
 */
export function bindRequest<Events extends EventMap, R>(client: TailorNodeCalls<Events, R>, anonymousId: string | undefined): RequestTailor<Events, R> {
  const withId = <T extends object>(call: T): T => (anonymousId === undefined ? call : { anonymousId, ...call });
  return {
    anonymousId,
    track: (call) => client.track(withId(call)),
    identify: (call) => client.identify(withId(call)),
    page: (call) => client.page(withId(call)),
    group: (call) => client.group(withId(call)),
    alias: (call) => client.alias(call),
  };
}

/** A Node/Express request after {@link tailorMiddleware} ran. */
export type RequestWithTailor<Events extends EventMap = EventMap, R = unknown> = IncomingMessage & { tailor?: RequestTailor<Events, R> };

/**
 * Express-style middleware: sets `req.tailor` to the client bound to the shopper's anonymous-id cookie.
 *
 * @example
 * app.use(tailorMiddleware(tailor));
 * app.post('/checkout', (req, res) => { req.tailor.track({ userId: req.user?.id, event: 'Checkout Started', properties }); … });
 */
export function tailorMiddleware<Events extends EventMap, R>(client: TailorNodeCalls<Events, R>, cookieName: string = ANONYMOUS_ID_COOKIE) {
  return (req: IncomingMessage, _res: unknown, next: (error?: unknown) => void): void => {
    (req as RequestWithTailor<Events, R>).tailor = bindRequest(client, anonymousIdFrom(req, cookieName));
    next();
  };
}

/**
 * Wraps a Web-standard handler (Next.js route handler, Hono's `c.req.raw`, Bun/Deno `fetch`) so it gets the
 * client bound to the request's shopper as its second argument; any further arguments are passed on.
 *
 * @example
 * export const POST = withTailor(tailor, async (request, shopper) => {
 *   shopper.track({ event: 'Order Completed', properties: await request.json() });
 *   return Response.json({ ok: true });
 * });
 */
export function withTailor<Events extends EventMap, R, Rest extends unknown[]>(
  client: TailorNodeCalls<Events, R>,
  handler: (request: Request, tailor: RequestTailor<Events, R>, ...rest: Rest) => Response | Promise<Response>,
  cookieName: string = ANONYMOUS_ID_COOKIE,
): (request: Request, ...rest: Rest) => Promise<Response> {
  return async (request, ...rest) => handler(request, bindRequest(client, anonymousIdFrom(request, cookieName)), ...rest);
}
