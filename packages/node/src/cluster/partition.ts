import { fnv1a32, type SegmentEvent } from '@tailor/core';

/**
 * Which partition of the ingest stream an event goes to. One device's events (its anonymousId) always land in
 * one partition, so the processor owning it appends them to the shared log in the order they were accepted;
 * an event without an anonymousId is keyed by its userId (a backend sending for a known customer). Events of
 * one person from two devices may land in two partitions: they were concurrent, and the identity projection
 * merges them whatever order they arrive in (its merges are order-independent, see the identity spec).
 */
export function partitionKey(event: SegmentEvent): string {
  const e = event as { anonymousId?: unknown; userId?: unknown; messageId?: unknown };
  if (typeof e.anonymousId === 'string' && e.anonymousId.length > 0) return `a:${e.anonymousId}`;
  if (typeof e.userId === 'string' && e.userId.length > 0) return `u:${e.userId}`;
  return `m:${String(e.messageId)}`;
}

/**
 * The partition (0 … partitions-1) of an event of a source: 32-bit FNV-1a (core's, the experiments hash) of
 * source and {@link partitionKey}, so every collector, in any language or process, places a person the same way.
 *
 * @example
 * partitionOf('shop', { type: 'track', event: 'Product Viewed', anonymousId: 'a1', messageId: 'm1' }, 16); // 0…15
 */
export function partitionOf(sourceId: string, event: SegmentEvent, partitions: number): number {
  return fnv1a32(`${sourceId}\u0000${partitionKey(event)}`) % partitions;
}
