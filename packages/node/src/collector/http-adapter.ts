import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorRequest, CollectorResponse, Handler } from './handler';

/**
 * The thin node:http adapter: reads the body (refusing more than `maxBodyBytes` on the wire before it is
 * all read, so a 10 MB upload costs nothing), calls the handler, writes its answer.
 */
export function createNodeListener(handler: Handler, options: { maxBodyBytes: number; onSettled?: (pending: number) => void }) {
  let pending = 0;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    pending++;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const declared = Number(req.headers['content-length'] ?? 0);
    const finish = () => {
      pending--;
      options.onSettled?.(pending);
    };
    const refuse = () => {
      refused = true;
      write(res, { status: 413, headers: { 'content-type': 'application/json; charset=utf-8', connection: 'close' }, body: JSON.stringify({ success: false, error: 'too_large', message: `the body is over ${options.maxBodyBytes} bytes, the limit per request` }) });
      req.resume(); // drain without buffering; the connection closes after the answer
      finish();
    };
    if (declared > options.maxBodyBytes) return refuse();
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > options.maxBodyBytes) return refuse();
      chunks.push(chunk);
    });
    req.on('error', () => {
      if (!refused) {
        refused = true;
        finish();
      }
    });
    req.on('end', () => {
      if (refused) return;
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const request: CollectorRequest = {
        method: req.method ?? 'GET',
        path: query < 0 ? url : url.slice(0, query),
        header: (name) => {
          const value = req.headers[name];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        ...(req.socket.remoteAddress === undefined ? {} : { remoteAddress: req.socket.remoteAddress }),
      };
      handler.handle(request).then(
        (response) => {
          write(res, response);
          finish();
        },
        () => {
          write(res, { status: 500, headers: {}, body: '' });
          finish();
        },
      );
    });
  };
  return Object.assign(listener, { pending: () => pending });
}

function write(res: ServerResponse, response: CollectorResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

/**
 * The same handler as a Web-standard `fetch(Request) → Response`, for tests, edge runtimes and frameworks
 * that speak it (Hono, Next.js route handlers).
 */
export function toFetchHandler(handler: Handler, remoteAddress?: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const body = request.method === 'GET' || request.method === 'HEAD' ? new Uint8Array() : new Uint8Array(await request.arrayBuffer());
    const response = await handler.handle({
      method: request.method,
      path: url.pathname,
      header: (name) => request.headers.get(name) ?? undefined,
      body,
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
    });
    const init = { status: response.status, headers: response.headers };
    return new Response(response.status === 204 ? null : response.body, init);
  };
}
