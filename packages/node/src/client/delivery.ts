import type { AbortSignalLike, EventIssue, OutgoingEvent, Platform } from '@tailor/core';
import { backoffDelay, parseRetryAfter, sleep } from './backoff';
import type { ResolvedOptions } from './options';
import { SIGNATURE_HEADER, signBody } from './signature';
import type { DeliveryProblem } from './types';
import { decodeBatch, sliceBatch, type EncodedBatch, type WireEncoding } from './wire';

type Batch = EncodedBatch;

/** What became of a batch once the collector answered for it, or sending stopped. */
export interface BatchOutcome {
  /** Events the collector took (2xx), stored now or earlier. */
  readonly accepted: number;
  readonly duplicates: number;
  /** Events the collector refused for good (400/207); dropped. */
  readonly refused: readonly OutgoingEvent[];
  /** Events not delivered: attempts ran out, or `signal` aborted. */
  readonly undelivered: readonly OutgoingEvent[];
  readonly reason?: string;
}

export interface DeliveryCounters {
  requests: number;
  failedRequests: number;
  consecutiveFailures: number;
  accepted: number;
  duplicates: number;
  refused: number;
  lastError: string | undefined;
  lastAcceptedAt: number | undefined;
}

export interface Delivery {
  /** Sends a batch until the collector answers for it, backing off between attempts. Never rejects. */
  deliver(batch: Batch, options: { readonly maxAttempts: number; readonly signal?: AbortSignalLike }): Promise<BatchOutcome>;
  readonly counters: Readonly<DeliveryCounters>;
}

type Attempt =
  | { readonly kind: 'answered'; readonly status: number; readonly body: CollectorAnswer | undefined; readonly text: string }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'retry'; readonly status?: number; readonly retryAfterMs?: number; readonly message: string };

/** The parts of the collector's ingest answer the client reads. */
interface CollectorAnswer {
  readonly accepted?: number;
  readonly duplicates?: number;
  readonly rejected?: number;
  readonly issues?: readonly EventIssue[];
  readonly message?: string;
}

/** Statuses that no retry can fix: the collector read the batch and refused (some of) its events. */
const REFUSED = new Set([400, 207, 415, 422]);

function parseAnswer(text: string): CollectorAnswer | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as CollectorAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends batches to the collector: HTTP Basic auth with the key, an HMAC signature over the exact body when
 * a secret key is set (made again for every attempt, so a batch retried after an hour-long outage is not
 * refused as stale), one shared backoff for all batches (when the collector is down or asks to slow down,
 * every request waits), a 413 halves the batch, a 400/207 drops the refused events with their issues.
 */
export function createDelivery(platform: Platform, options: ResolvedOptions, encoding: WireEncoding, report: (problem: DeliveryProblem) => void): Delivery {
  const { transport, timers, logger } = platform;
  const url = options.endpoint + encoding.path;
  const authorization = `Basic ${Buffer.from(`${options.key}:`).toString('base64')}`;
  const counters: DeliveryCounters = {
    requests: 0, failedRequests: 0, consecutiveFailures: 0, accepted: 0, duplicates: 0, refused: 0, lastError: undefined, lastAcceptedAt: undefined,
  };
  /** No attempt starts before this epoch ms: the backoff is shared, as the collector's health is. */
  let pausedUntil = 0;

  async function attempt(batch: Batch, signal: AbortSignalLike | undefined): Promise<Attempt> {
    const now = platform.clock.now();
    const body = encoding.encodeBatch(batch, new Date(now).toISOString());
    const headers: Record<string, string> = { 'content-type': encoding.contentType, authorization };
    if (options.secretKey !== undefined) headers[SIGNATURE_HEADER] = signBody(options.secretKey, body, now);
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort);
    const timer = timers.setTimeout(abort, options.timeoutMs);
    counters.requests++;
    try {
      const response = await transport.send({ url, method: 'POST', headers, body, signal: controller.signal });
      const { status } = response;
      if (status === 413) return { kind: 'too_large' };
      if ((status >= 200 && status < 300) || REFUSED.has(status)) {
        const text = await response.text();
        return { kind: 'answered', status, body: parseAnswer(text), text };
      }
      const retryAfterMs = parseRetryAfter(response.header('retry-after'), platform.clock.now());
      const detail = parseAnswer(await response.text().catch(() => ''))?.message;
      return { kind: 'retry', status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), message: `HTTP ${status}${detail ? `: ${detail}` : ''}` };
    } catch (error) {
      const message = controller.signal.aborted && !signal?.aborted ? `no answer within ${options.timeoutMs} ms` : (error as Error)?.message ?? String(error);
      return { kind: 'retry', message: `network: ${message}` };
    } finally {
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    }
  }

  function answered(batch: Batch, result: Extract<Attempt, { kind: 'answered' }>): BatchOutcome {
    counters.consecutiveFailures = 0;
    counters.lastAcceptedAt = platform.clock.now();
    const { status, body } = result;
    if (status !== 207 && status >= 200 && status < 300) {
      const duplicates = body?.duplicates ?? 0;
      counters.accepted += batch.count;
      counters.duplicates += duplicates;
      return { accepted: batch.count, duplicates, refused: [], undelivered: [] };
    }
    // 207: only the events its issues name (severity error) were refused; 400 and the rest: all of them.
    const issues = (body?.issues ?? []).filter((issue) => issue.severity !== 'warning');
    const refusedAt = status === 207 ? new Set(issues.map((issue) => issue.index)) : undefined;
    const refused = decodeBatch(batch, encoding, refusedAt);
    // The collector lists at most 100 issues; its counts are complete, so they win over what the issues name.
    const accepted = status === 207 && typeof body?.accepted === 'number' ? body.accepted : batch.count - refused.length;
    const refusedCount = batch.count - accepted;
    const message = body?.message ?? (issues[0] ? issues[0].message : result.text.slice(0, 200));
    counters.accepted += accepted;
    counters.duplicates += body?.duplicates ?? 0;
    counters.refused += refusedCount;
    logger.warn({ status, refused: refusedCount, accepted, issues: issues.slice(0, 5) }, `tailor: the collector refused ${refusedCount} event(s): ${message}`);
    report({ type: 'refused', status, events: refused, issues, message });
    return { accepted, duplicates: body?.duplicates ?? 0, refused, undelivered: [] };
  }

  async function deliver(batch: Batch, run: { readonly maxAttempts: number; readonly signal?: AbortSignalLike }): Promise<BatchOutcome> {
    const stopped = (reason: string): BatchOutcome => ({ accepted: 0, duplicates: 0, refused: [], undelivered: decodeBatch(batch, encoding), reason });
    for (let attempts = 1; ; attempts++) {
      const wait = pausedUntil - platform.clock.now();
      if (wait > 0 && !(await sleep(timers, wait, run.signal))) return stopped('aborted');
      if (run.signal?.aborted) return stopped('aborted');
      const result = await attempt(batch, run.signal);
      if (result.kind === 'answered') return answered(batch, result);
      if (result.kind === 'too_large') {
        if (batch.count === 1) return answered(batch, { kind: 'answered', status: 400, body: { message: 'the event is over the collector\'s size limit (413)' }, text: '' });
        // The collector's limit is lower than ours: halve until it fits, in order.
        const half = Math.ceil(batch.count / 2);
        const first = await deliver(sliceBatch(batch, 0, half), run);
        const second = await deliver(sliceBatch(batch, half, batch.count), run);
        return {
          accepted: first.accepted + second.accepted,
          duplicates: first.duplicates + second.duplicates,
          refused: [...first.refused, ...second.refused],
          undelivered: [...first.undelivered, ...second.undelivered],
          ...(first.reason ?? second.reason ? { reason: first.reason ?? second.reason } : {}),
        };
      }
      if (run.signal?.aborted) return stopped('aborted');
      counters.failedRequests++;
      counters.consecutiveFailures++;
      counters.lastError = result.message;
      const delayMs = backoffDelay(counters.consecutiveFailures, options.retry, () => platform.random.random(), result.retryAfterMs);
      pausedUntil = Math.max(pausedUntil, platform.clock.now() + delayMs);
      const fields = { status: result.status, attempt: attempts, delayMs: Math.round(delayMs), events: batch.count };
      // An outage of hours retries thousands of times: log the first failures and then every 10th.
      if (counters.consecutiveFailures <= 3 || counters.consecutiveFailures % 10 === 0) logger.warn(fields, `tailor: sending failed (${result.message}); retrying`);
      if (attempts >= run.maxAttempts) {
        const message = `gave up after ${attempts} attempt(s): ${result.message}`;
        const outcome = stopped(message);
        logger.error({ events: batch.count }, `tailor: ${message}`);
        report({ type: 'gave_up', events: outcome.undelivered, message });
        return outcome;
      }
      report({ type: 'retrying', ...(result.status === undefined ? {} : { status: result.status }), message: result.message, attempt: attempts, delayMs, events: batch.count });
    }
  }

  return { deliver, counters };
}
