import { backoffDelay, parseRetryAfter, type Logger, type OutgoingEvent, type RandomSource, type Timers, type Transport } from '@tailor/core';
import type { EventQueue } from './queue';

/** Turns a batch into a request body. JSON (Segment's `/v1/batch` shape) by default; msgpack on a subpath. */
export interface BodyEncoder {
  readonly path: string;
  readonly contentType: string;
  encode(batch: readonly OutgoingEvent[], sentAt: string, writeKey: string): string | Uint8Array;
}

export const JSON_ENCODER: BodyEncoder = {
  path: '/v1/batch',
  contentType: 'application/json',
  encode: (batch, sentAt, writeKey) => JSON.stringify({ batch, sentAt, writeKey }),
};

export interface SenderOptions {
  /** The queue to drain; a function because it changes when consent allows persisting. */
  readonly queue: () => EventQueue;
  readonly transport: Transport;
  readonly timers: Timers;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly now: () => number;
  readonly endpoint: string;
  readonly writeKey: string;
  readonly encoder: BodyEncoder;
  /** Most events per request. Default 100. */
  readonly maxEvents?: number;
  /** Most bytes per request, under the collector's 500 KB limit. Default 400 KB. */
  readonly maxBytes?: number;
  /** Backoff: first delay and cap, in ms. Defaults 1 s and 5 min. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Told which events the collector has answered for (stored, duplicate or refused). */
  readonly onDelivered?: (events: readonly OutgoingEvent[]) => void;
  /** Makes the event that reports drops to the collector. */
  readonly dropEvent: (drops: Readonly<Record<string, number>>) => OutgoingEvent;
}

export interface Sender {
  /** Sends until the queue is empty or the collector asks to wait. One flush at a time; callers share it. */
  flush(): Promise<void>;
  /** Epoch ms before which no send is tried (0 when not backing off). */
  retryAt(): number;
  /** Runs a flush once the backoff is over; the caller's timer schedules the normal cadence. */
  readonly pending: () => boolean;
}

/**
 * Drains the queue to the collector in batches. An event leaves the queue only when the collector has
 * answered for it: 2xx (stored or a duplicate) or a 4xx that no retry can fix (its issues are logged).
 * 429, 5xx and network errors keep everything and back off exponentially with jitter, honouring
 * `Retry-After`. A 413 halves the batch until a single event is refused, which is then dropped.
 */
export function createSender(options: SenderOptions): Sender {
  const { timers, logger } = options;
  const backoff = options.backoff ?? { initialMs: 1_000, maxMs: 300_000 };
  let maxEvents = options.maxEvents ?? 100;
  const maxBytes = options.maxBytes ?? 400_000;
  let failures = 0;
  let retryAt = 0;
  let running: Promise<void> | undefined;
  let retryTimer: unknown;
  let drops: Record<string, number> = {};

  function backOff(retryAfterMs: number | undefined): void {
    failures++;
    const delay = backoffDelay(failures, backoff, () => options.random.random(), retryAfterMs);
    retryAt = options.now() + delay;
    if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
    retryTimer = timers.setTimeout(() => {
      // This timer is the backoff: once it fires, sending may resume (timers can fire a ms early).
      retryTimer = undefined;
      retryAt = 0;
      void flush();
    }, delay);
  }

  async function drain(): Promise<void> {
    for (;;) {
      if (options.now() < retryAt) return;
      const queue = options.queue();
      const items = await queue.peek(maxEvents, maxBytes);
      if (items.length === 0) return;
      const batch = items.map((item) => item.event);
      // Drop counts ride along with the next batch; they are forgotten only once it is delivered.
      for (const [reason, count] of Object.entries(await queue.takeDrops())) drops[reason] = (drops[reason] ?? 0) + (count ?? 0);
      if (Object.keys(drops).length > 0) batch.push(options.dropEvent(drops));
      const body = options.encoder.encode(batch, new Date(options.now()).toISOString(), options.writeKey);
      let status: number;
      let retryAfter: string | null = null;
      try {
        const response = await options.transport.send({
          url: options.endpoint + options.encoder.path,
          method: 'POST',
          headers: { 'content-type': options.encoder.contentType },
          body,
        });
        status = response.status;
        retryAfter = response.header('retry-after');
        if (status >= 400 && status !== 429 && status < 500) logger.warn({ status, body: await response.text() }, 'tailor: collector refused a batch');
      } catch (error) {
        logger.debug({ error }, 'tailor: collector unreachable, will retry');
        backOff(undefined);
        return;
      }
      if (status === 429 || status >= 500 || status === 401 || status === 403 || status === 404) {
        // 401/403/404 mean a wrong key or endpoint: keep the events for when the config is fixed.
        backOff(parseRetryAfter(retryAfter, options.now()));
        return;
      }
      if (status === 413 && items.length > 1) {
        maxEvents = Math.max(1, Math.floor(items.length / 2));
        continue;
      }
      // 2xx, 207 (mixed: the rest can never succeed), 400 and a single event refused as too large.
      await queue.remove(items);
      options.onDelivered?.(batch);
      drops = {};
      failures = 0;
      retryAt = 0;
      maxEvents = options.maxEvents ?? 100;
    }
  }

  function flush(): Promise<void> {
    running ??= drain()
      .catch((error: unknown) => logger.warn({ error }, 'tailor: flush failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return { flush, retryAt: () => retryAt, pending: () => running !== undefined };
}
