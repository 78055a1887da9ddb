/** The longest `Retry-After` honoured; a larger one is most likely a misconfigured proxy. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * `Retry-After` as seconds or an HTTP date, in ms from `now` (capped at an hour); undefined when absent or
 * unreadable. Shared by every client that talks to the collector.
 *
 * @example
 * parseRetryAfter('5', Date.now()); // 5000
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}

/**
 * The wait before the next attempt after `failures` failed ones in a row: the collector's `Retry-After`
 * when it sent one, else exponential from `initialMs` up to `maxMs` with "equal jitter" (half fixed, half
 * random), so many clients cut off by the same outage do not come back in lockstep.
 */
export function backoffDelay(failures: number, retry: { readonly initialMs: number; readonly maxMs: number }, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const exponential = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(Math.max(0, failures - 1), 30));
  return exponential / 2 + random() * (exponential / 2);
}
