import type { Logger, OutgoingEvent, Transport } from '@tailor/core';
import type { BodyEncoder } from './sender';

/** fetch keepalive and sendBeacon share 64 KB in flight per page; leave room for anything else in flight. */
export const UNLOAD_BUDGET_BYTES = 60_000;

export interface UnloadContext {
  /** Events of this page not yet confirmed delivered, oldest first (built, persisted or in flight). */
  readonly events: readonly OutgoingEvent[];
  readonly transport: Transport;
  readonly url: string;
  readonly encoder: BodyEncoder;
  readonly writeKey: string;
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * The page is going away (pagehide, or hidden — the last moment a mobile browser promises). Nothing
 * asynchronous can be relied on now, so the request is started synchronously with `keepalive` from what
 * this page holds in memory: the newest events that fit the 64 KB budget. They also stay in the durable
 * queue, so a send the browser cuts off is retried on the next visit (the collector deduplicates by
 * messageId). Returns the messageIds it tried to send.
 */
export function sendOnUnload(context: UnloadContext): string[] {
  try {
    let batch = context.events.slice(-500);
    const sentAt = new Date(context.now()).toISOString();
    let body = context.encoder.encode(batch, sentAt, context.writeKey);
    const size = () => (typeof body === 'string' ? body.length * 3 : body.byteLength);
    while (size() > UNLOAD_BUDGET_BYTES && batch.length > 0) {
      batch = batch.slice(Math.ceil(batch.length * 0.3)); // keep the newest: older ones are likelier persisted
      body = context.encoder.encode(batch, sentAt, context.writeKey);
    }
    if (batch.length === 0) return [];
    context.transport
      .send({ url: context.url, method: 'POST', headers: { 'content-type': context.encoder.contentType }, body, keepalive: true })
      .catch((error: unknown) => context.logger.debug({ error }, 'tailor: unload delivery failed; events stay queued'));
    return batch.map((event) => event.messageId);
  } catch (error) {
    context.logger.debug({ error }, 'tailor: unload delivery failed; events stay queued');
    return [];
  }
}
