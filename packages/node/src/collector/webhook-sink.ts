import { TailorError } from '@tailor/core';
import type { Sink, StoredEvent } from './types';

/** The part of a fetch response the sink reads; the global `fetch` and undici satisfy it. */
export interface WebhookResponse {
  readonly status: number;
  readonly statusText?: string;
  text(): Promise<string>;
}

/** The fetch signature the sink calls; inject a fake in tests. */
export type WebhookFetch = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<WebhookResponse>;

export interface WebhookSinkOptions {
  /** Where batches are POSTed as `{ "batch": StoredEvent[] }`. */
  readonly url: string;
  /** Extra request headers, e.g. `{ authorization: 'Bearer …' }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Events per request. Default 100. */
  readonly batchSize?: number;
  /** Per request. Default 10 s. */
  readonly timeoutMs?: number;
  /** The sink's name, which is also its outbox cursor: keep it stable. Default `webhook:<host><path>`. */
  readonly name?: string;
  readonly fetch?: WebhookFetch;
}

const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_TIMEOUT_MS = 10_000;
/** How much of an error body goes into the error message: enough to read the receiver's reason. */
const ERROR_BODY_CHARS = 200;

/**
 * A {@link Sink} that POSTs the log to an HTTP endpoint. 2xx means accepted; any other status, a network
 * error or a timeout rejects, and the outbox retries the same events. Each request carries an
 * `Idempotency-Key` made of the first and last seq it holds, so a receiver can drop a redelivered chunk.
 *
 * @example
 * const sink = createWebhookSink({ url: 'https://hooks.example.com/tailor', headers: { authorization: `Bearer ${token}` } });
 */
export function createWebhookSink(options: WebhookSinkOptions): Sink {
  let target: URL;
  try {
    target = new URL(options.url);
  } catch (cause) {
    throw new TailorError('invalid_options', `createWebhookSink: "url" is not a valid URL: ${JSON.stringify(options.url)}`, { cause });
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TailorError('invalid_options', `createWebhookSink: "batchSize" must be a positive integer, got ${batchSize}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Query strings and user info often hold tokens: keep them out of names, errors and logs.
  const shownUrl = `${target.origin}${target.pathname}`;
  const name = options.name ?? `webhook:${target.host}${target.pathname}`;
  // Late-bound so a test can stub the global after the sink is built.
  const doFetch: WebhookFetch = options.fetch ?? ((url, init) => fetch(url, init));
  // Lower-cased so ours replace a caller's `Content-Type` instead of being joined to it by fetch.
  const baseHeaders = Object.fromEntries(Object.entries(options.headers ?? {}).map(([key, value]) => [key.toLowerCase(), value]));
  let closed = false;

  const post = async (chunk: readonly StoredEvent[]) => {
    const first = chunk[0]!.seq;
    const last = chunk[chunk.length - 1]!.seq;
    const range = first === last ? `seq ${first}` : `seqs ${first}-${last}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      let response: WebhookResponse;
      try {
        response = await doFetch(options.url, {
          method: 'POST',
          headers: {
            ...baseHeaders,
            'content-type': 'application/json',
            'idempotency-key': `tailor-${first}-${last}`,
          },
          body: JSON.stringify({ batch: chunk }),
          signal: controller.signal,
        });
      } catch (cause) {
        const reason = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : errorMessage(cause);
        throw new TailorError('transport_failed', `webhook sink "${name}": POST ${shownUrl} (${range}) failed: ${reason}`, { cause });
      }
      // Read the body either way: it frees the connection, and on failure it usually says why.
      const body = await response.text().catch(() => '');
      if (response.status < 200 || response.status > 299) {
        const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
        const detail = body ? `: ${body.slice(0, ERROR_BODY_CHARS)}` : '';
        throw new TailorError('transport_failed', `webhook sink "${name}": POST ${shownUrl} (${range}) answered HTTP ${status}${detail}`);
      }
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    name,
    async send(events) {
      if (closed) throw new TailorError('transport_failed', `webhook sink "${name}": send() called after close()`);
      // In order, one request at a time, so the receiver sees the log in seq order.
      for (let start = 0; start < events.length; start += batchSize) {
        await post(events.slice(start, start + batchSize));
      }
    },
    async close() {
      closed = true;
    },
  };
}

function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED …) in `cause`.
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
