/**
 * Segment's clock-skew correction: the device clock may be wrong, but the gap between when the device
 * made the event and when it sent it is measured on that same clock, so it survives the error.
 * `timestamp = receivedAt − (sentAt − originalTimestamp)`, all in epoch milliseconds.
 *
 * @example
 * correctTimestamp({ receivedAt: 10_000, sentAt: 5_000, originalTimestamp: 4_000 }); // 9_000
 */
export function correctTimestamp(times: { receivedAt: number; sentAt: number; originalTimestamp: number }): number {
  return times.receivedAt - (times.sentAt - times.originalTimestamp);
}

export interface ServerTimes {
  readonly timestamp: string;
  readonly originalTimestamp?: string;
  readonly receivedAt: string;
}

/**
 * The times the collector stores for an event received at `receivedAt` (epoch ms).
 * Without `sentAt` the device clock cannot be corrected, so its timestamp is kept as given;
 * without any timestamp the event happened when it arrived. A corrected time is never later than receipt.
 */
export function resolveServerTimes(
  event: { readonly timestamp?: string | undefined; readonly sentAt?: string | undefined },
  receivedAt: number,
  batchSentAt?: string,
  /** `receivedAt` as ISO 8601, when the caller formats it once for a whole batch. */
  receivedIso?: string,
): ServerTimes {
  const received = receivedIso ?? new Date(receivedAt).toISOString();
  if (event.timestamp === undefined) return { timestamp: received, receivedAt: received };
  const original = Date.parse(event.timestamp);
  const sentAtText = event.sentAt ?? batchSentAt;
  const sent = sentAtText === undefined ? Number.NaN : Date.parse(sentAtText);
  if (Number.isNaN(original)) return { timestamp: received, receivedAt: received };
  if (Number.isNaN(sent)) return { timestamp: event.timestamp, originalTimestamp: event.timestamp, receivedAt: received };
  const corrected = Math.min(correctTimestamp({ receivedAt, sentAt: sent, originalTimestamp: original }), receivedAt);
  return { timestamp: new Date(corrected).toISOString(), originalTimestamp: event.timestamp, receivedAt: received };
}
