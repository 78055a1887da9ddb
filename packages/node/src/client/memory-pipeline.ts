import { TailorError, type OutgoingEvent, type Platform, type TimerHandle } from '@tailor/core';
import type { BuiltEvent } from './calls';
import type { BatchOutcome, Delivery } from './delivery';
import type { ResolvedOptions } from './options';
import type { CallResult, ClientStats, UndeliveredEvents, WaitOptions } from './types';
import { createBatchBuilder, decodeBatch, type EncodedBatch, type WireEncoding } from './wire';

type Taken = Extract<BuiltEvent, { ok: true }>;

/** A batch from the moment it is sealed until the collector answered for it (or it was given up). */
interface PendingBatch extends EncodedBatch {
  readonly done: Promise<BatchOutcome>;
}

export interface Pipeline<R> {
  take(built: Taken): R;
  flush(options?: WaitOptions): Promise<void>;
  close(options?: WaitOptions): Promise<void>;
  lag(): number;
  stats(): ClientStats;
}

/** The TailorError that flush()/close() reject with, carrying the events that were not delivered. */
export function undeliveredError(undelivered: readonly OutgoingEvent[], reason: string): TailorError {
  const cause: UndeliveredEvents = { undelivered, reason };
  return new TailorError('transport_failed', `${undelivered.length} event(s) were not delivered: ${reason}`, { cause });
}

/**
 * Memory mode: events wait in an open batch that is sealed at `flushAt` events, at `maxBatchBytes`, after
 * `flushInterval`, or by flush(); sealed batches go out up to `maxInFlight` at a time. Nothing is written
 * to disk, so a crash loses what was not yet accepted: that is what the spool is for.
 */
export function createMemoryPipeline(platform: Platform, options: ResolvedOptions, encoding: WireEncoding, delivery: Delivery): Pipeline<CallResult> {
  const { timers, logger } = platform;
  const open = createBatchBuilder(encoding);
  let timer: TimerHandle | undefined;
  const ready: Array<{ batch: PendingBatch; settle: (outcome: BatchOutcome) => void }> = [];
  const pending = new Set<PendingBatch>();
  let inFlight = 0;
  /** Events taken and not yet answered for: the open batch plus every pending one. */
  let waiting = 0;
  let undelivered = 0;
  let closed = false;

  function seal(): void {
    if (timer !== undefined) {
      timers.clearTimeout(timer);
      timer = undefined;
    }
    if (open.count === 0) return;
    let settle!: (outcome: BatchOutcome) => void;
    const done = new Promise<BatchOutcome>((resolve) => {
      settle = resolve;
    });
    const batch: PendingBatch = { ...open.take(), done };
    pending.add(batch);
    ready.push({ batch, settle });
    // The serverless runtime must not freeze the function while this batch is on its way.
    if (options.waitUntil) {
      try {
        options.waitUntil(done);
      } catch (error) {
        logger.warn({ error }, 'tailor: waitUntil threw');
      }
    }
    pump();
  }

  function pump(): void {
    while (inFlight < options.maxInFlight && ready.length > 0) {
      const { batch, settle } = ready.shift() as (typeof ready)[number];
      inFlight++;
      void delivery.deliver(batch, { maxAttempts: options.retry.maxAttempts }).then((outcome) => {
        inFlight--;
        pending.delete(batch);
        waiting -= batch.count;
        undelivered += outcome.undelivered.length;
        settle(outcome);
        pump();
      });
    }
  }

  async function flush(wait: WaitOptions = {}): Promise<void> {
    seal();
    const batches = [...pending];
    if (batches.length === 0) return;
    const all = Promise.all(batches.map((batch) => batch.done));
    let outcomes: BatchOutcome[];
    if (wait.signal === undefined) outcomes = await all;
    else {
      const { signal } = wait;
      outcomes = await new Promise<BatchOutcome[]>((resolve, reject) => {
        const onAbort = () => {
          const left = batches.flatMap((batch) => (pending.has(batch) ? decodeBatch(batch, encoding) : []));
          reject(undeliveredError(left, 'the wait was aborted; the events are still queued and will be sent'));
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        void all.then((value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        });
      });
    }
    const lost = outcomes.flatMap((outcome) => outcome.undelivered);
    if (lost.length > 0) throw undeliveredError(lost, outcomes.find((outcome) => outcome.reason)?.reason ?? 'not delivered');
  }

  return {
    take(built) {
      if (closed) return { ok: false, reason: 'closed', message: 'the client is closed; create a new one' };
      if (waiting >= options.maxQueuedEvents) {
        return { ok: false, reason: 'queue_full', message: `${waiting} events are waiting for the collector already (maxQueuedEvents)` };
      }
      if (open.bodyBytes + built.bytes.length + encoding.separatorBytes > options.maxBatchBytes) seal();
      open.add(built.bytes);
      waiting++;
      if (open.count >= options.flushAt) seal();
      else if (timer === undefined) timer = timers.setTimeout(seal, options.flushInterval);
      return { ok: true, messageId: built.event.messageId };
    },
    flush,
    async close(wait) {
      closed = true;
      await flush(wait);
    },
    lag: () => waiting,
    stats() {
      const c = delivery.counters;
      return {
        mode: 'memory',
        lag: waiting,
        accepted: c.accepted,
        duplicates: c.duplicates,
        refused: c.refused,
        undelivered,
        requests: c.requests,
        failedRequests: c.failedRequests,
        consecutiveFailures: c.consecutiveFailures,
        ...(c.lastError === undefined ? {} : { lastError: c.lastError }),
        ...(c.lastAcceptedAt === undefined ? {} : { lastAcceptedAt: c.lastAcceptedAt }),
      };
    },
  };
}
