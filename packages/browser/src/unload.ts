import type { Logger, OutgoingEvent, Transport } from '@tailor/core';
import type { EventQueue } from './queue';
import type { BodyEncoder } from './sender';

/** fetch keepalive and sendBeacon share 64 KB in flight per page; leave room for anything else in flight. */
export const UNLOAD_BUDGET_BYTES = 60_000;

export interface UnloadContext {
  /** Takes the events built but not yet persisted. */
  readonly buffer: () => OutgoingEvent[];
  readonly queue: () => EventQueue;
  readonly leader: () => boolean;
  readonly persist: () => Promise<void>;
  readonly transport: Transport;
  readonly url: string;
  readonly encoder: BodyEncoder;
  readonly writeKey: string;
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * The page is going away (pagehide, or hidden — the last moment a mobile browser promises). Events built
 * but not yet persisted are sent with `keepalive`; the tab that sends also sends the oldest persisted
 * events that fit the 64 KB budget. Persisted events stay in the queue until an answer is seen, so a
 * send the browser cuts off is retried on the next visit (and deduplicated by messageId at the collector).
 */
export async function sendOnUnload(context: UnloadContext): Promise<void> {
  try {
    const fresh = context.buffer();
    const sentAt = new Date(context.now()).toISOString();
    const size = (events: readonly OutgoingEvent[]) => {
      const body = context.encoder.encode(events, sentAt, context.writeKey);
      return { body, bytes: typeof body === 'string' ? body.length * 3 : body.byteLength };
    };
    const items = context.leader() ? await context.queue().peek(500, UNLOAD_BUDGET_BYTES) : [];
    let batch = [...fresh, ...items.map((item) => item.event)];
    let encoded = size(batch);
    while (encoded.bytes > UNLOAD_BUDGET_BYTES && batch.length > fresh.length) {
      batch = batch.slice(0, Math.max(fresh.length, Math.floor(batch.length * 0.7)));
      encoded = size(batch);
    }
    // Fresh events that would not fit are persisted for the next visit instead.
    if (encoded.bytes > UNLOAD_BUDGET_BYTES) {
      await context.queue().push(fresh);
      return;
    }
    if (batch.length === 0) return;
    const sent = context.transport.send({ url: context.url, method: 'POST', headers: { 'content-type': context.encoder.contentType }, body: encoded.body, keepalive: true });
    if (fresh.length > 0) void context.queue().push(fresh).catch(() => undefined);
    const response = await sent;
    if (response.status < 300 || response.status === 400) {
      const sentIds = items.slice(0, batch.length - fresh.length).map((item) => item.id);
      await context.queue().remove(sentIds);
    }
  } catch (error) {
    context.logger.debug({ error }, 'tailor: unload delivery failed; events stay queued for the next visit');
  }
}
