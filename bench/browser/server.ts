import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { unpack } from 'msgpackr';

/** A file the server hands out as is (built page scripts, HTML). */
export interface Asset {
  readonly type: string;
  readonly body: string | Uint8Array;
}

/** What the server saw since the last `reset()`. */
export interface Received {
  /** Distinct `messageId`s of events named `countedEvent` (retries do not count twice). */
  readonly events: number;
  /** Events named `countedEvent` that arrived again with a `messageId` already seen. */
  readonly duplicates: number;
  /** Events with another name (page, identify, …). */
  readonly otherEvents: number;
  readonly posts: number;
  /** POST bodies that could not be decoded (JSON or msgpack). */
  readonly undecodable: number;
  /** Request count per `METHOD path`, for checking that an SDK fetched nothing unexpected. */
  readonly requests: Readonly<Record<string, number>>;
}

export interface BenchServer {
  readonly origin: string;
  readonly port: number;
  received(): Received;
  reset(): void;
  close(): Promise<void>;
}

export interface BenchServerOptions {
  /** Path → asset, served for GET. */
  readonly assets: ReadonlyMap<string, Asset>;
  /** Write key whose analytics.js settings (`/v1/projects/KEY/settings`) the server answers. */
  readonly writeKey: string;
  /** The event name that counts as delivered. */
  readonly countedEvent: string;
}

const MAX_BODY = 8 * 1024 * 1024;

/**
 * analytics.js CDN settings that send everything to this server and turn on nothing else: no device-mode
 * destinations, no remote plugins, no routing rules (each of those would make it fetch more code).
 */
function segmentSettings(writeKey: string, host: string): unknown {
  return {
    integrations: { 'Segment.io': { apiKey: writeKey, apiHost: `${host}/v1`, protocol: 'http', retryQueue: true } },
    // Its own telemetry would POST to /v1/m here every 30 s; off, which only makes analytics.js cheaper.
    metrics: { sampleRate: 0 },
    remotePlugins: [],
    legacyVideoPluginsEnabled: false,
  };
}

function decodeBody(req: IncomingMessage, raw: Buffer): unknown {
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  let body = raw;
  if (encoding === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b)) body = gunzipSync(raw);
  else if (encoding === 'deflate') body = inflateSync(raw);
  else if (encoding === 'br') body = brotliDecompressSync(raw);
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const first = body.subarray(0, 1).toString('latin1');
  // Tailor's JSON goes to /v1/batch; its msgpack option (a later issue) to /v1/events.
  if (type.includes('msgpack') || (first !== '{' && first !== '[')) return unpack(body);
  return JSON.parse(body.toString('utf8'));
}

/** Segment `batch` arrays, Tailor `{ batch }`, plain arrays, or one event per request (analytics.js /v1/t). */
function eventsIn(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') {
    const batch = (value as { batch?: unknown }).batch;
    if (Array.isArray(batch)) return batch;
    return [value];
  }
  return [];
}

/**
 * The local stand-in for a collector and a CDN in the browser benchmarks: serves the built page scripts,
 * answers analytics.js's settings request, and acknowledges every POST with 200 `{}` while counting the
 * events in it. Listens on 127.0.0.1 only, on a free port.
 */
export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  let seen = new Set<string>();
  let counts = { events: 0, duplicates: 0, otherEvents: 0, posts: 0, undecodable: 0 };
  let requests: Record<string, number> = {};
  let host = '';

  function count(value: unknown): void {
    for (const item of eventsIn(value)) {
      if (item === null || typeof item !== 'object') continue;
      const event = item as { event?: unknown; messageId?: unknown };
      if (event.event !== options.countedEvent) {
        counts.otherEvents++;
        continue;
      }
      const id = typeof event.messageId === 'string' ? event.messageId : `#${seen.size}`;
      if (seen.has(id)) counts.duplicates++;
      else {
        seen.add(id);
        counts.events++;
      }
    }
  }

  function reply(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
    res.end(body);
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const key = `${req.method} ${path}`;
    requests[key] = (requests[key] ?? 0) + 1;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization, content-type, content-encoding, x-retry-count',
      });
      res.end();
      return;
    }
    if (req.method === 'GET') {
      const asset = options.assets.get(path);
      if (asset) return reply(res, 200, asset.type, asset.body);
      if (path === `/v1/projects/${options.writeKey}/settings`) {
        return reply(res, 200, 'application/json', JSON.stringify(segmentSettings(options.writeKey, host)));
      }
      return reply(res, 404, 'text/plain', 'not found');
    }
    if (req.method !== 'POST') return reply(res, 405, 'text/plain', 'method not allowed');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      counts.posts++;
      try {
        count(decodeBody(req, Buffer.concat(chunks)));
      } catch {
        counts.undecodable++;
      }
      reply(res, 200, 'application/json', '{}');
    });
    req.on('error', () => res.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  host = `127.0.0.1:${port}`;

  return {
    origin: `http://${host}`,
    port,
    received: () => ({ ...counts, requests: { ...requests } }),
    reset() {
      seen = new Set();
      counts = { events: 0, duplicates: 0, otherEvents: 0, posts: 0, undecodable: 0 };
      requests = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
