import { TailorError, type Platform, type TimerHandle } from '@tailor/core';
import type { Delivery } from './delivery';
import type { Pipeline } from './memory-pipeline';
import type { ResolvedOptions } from './options';
import { openSpool, type SpoolEntry } from './spool';
import type { CallResult, DeliveryProblem, WaitOptions } from './types';
import { createBatchBuilder, type EncodedBatch, type WireEncoding } from './wire';

interface FlushWaiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Spool mode (store and forward): a call is acknowledged once its event is fsynced to the local spool; one
 * forwarder sends the spool in key order, one request at a time, and removes a batch only after the
 * collector answered for it. After a crash, whatever was sent but not yet removed is sent again with the
 * same messageIds, and the collector's dedup stores it once. Retries never give up.
 */
export function createSpoolPipeline(
  platform: Platform,
  options: ResolvedOptions,
  encoding: WireEncoding,
  delivery: Delivery,
  report: (problem: DeliveryProblem) => void,
): Pipeline<Promise<CallResult>> {
  const { timers, logger } = platform;
  const spool = openSpool((options.spool as { dir: string }).dir);
  const stop = new AbortController();
  const writes = new Set<Promise<unknown>>();
  const waiters: FlushWaiter[] = [];
  /** The last key the collector answered for: everything up to it is sent. */
  let cursor = 0;
  let closed = false;
  let wakeIdle: (() => void) | undefined;
  /** True while the forwarder waits with an empty spool: the next write must wake it to start the interval. */
  let empty = false;

  function wake(): void {
    wakeIdle?.();
  }

  /** Waits `ms` (forever when undefined) or until woken by a write, a flush or close. */
  function idle(ms: number | undefined): Promise<void> {
    empty = ms === undefined;
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      wakeIdle = () => {
        wakeIdle = undefined;
        empty = false;
        if (timer !== undefined) timers.clearTimeout(timer);
        resolve();
      };
      if (ms !== undefined) timer = timers.setTimeout(() => wakeIdle?.(), ms);
    });
  }

  function settleWaiters(): void {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i] as FlushWaiter;
      if (cursor >= waiter.target) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** The next batch: up to flushAt entries after the cursor, within maxBatchBytes (at least one entry). */
  function nextBatch(entries: readonly SpoolEntry[]): { batch: EncodedBatch; keys: number[] } {
    const builder = createBatchBuilder(encoding);
    const keys: number[] = [];
    for (const entry of entries) {
      let part: Uint8Array;
      try {
        part = encoding.encodeEvent(entry.event);
      } catch (error) {
        // It was encoded when it was taken; it cannot fail here, but if it does it must not block the spool.
        logger.error({ error, messageId: entry.event.messageId }, 'tailor: a spooled event cannot be encoded; dropping it');
        keys.push(entry.key);
        continue;
      }
      if (builder.count > 0 && builder.bodyBytes + part.length + encoding.separatorBytes > options.maxBatchBytes) break;
      builder.add(part);
      keys.push(entry.key);
    }
    return { batch: builder.take(), keys };
  }

  async function forward(): Promise<void> {
    while (!closed) {
      const entries = spool.read(cursor, options.flushAt);
      if (entries.length === 0) {
        settleWaiters();
        await idle(undefined);
        continue;
      }
      const first = entries[0] as SpoolEntry;
      const dueIn = first.at + options.flushInterval - platform.clock.now();
      if (entries.length < options.flushAt && waiters.length === 0 && dueIn > 0) {
        await idle(dueIn);
        continue;
      }
      const { batch, keys } = nextBatch(entries);
      if (batch.count > 0) {
        const outcome = await delivery.deliver(batch, { maxAttempts: Number.POSITIVE_INFINITY, signal: stop.signal });
        if (outcome.undelivered.length > 0) return; // stopped by close(): the batch stays spooled
      }
      try {
        await spool.remove(keys);
      } catch (error) {
        // The collector has these events; sending them again after a restart is harmless (dedup).
        logger.error({ error }, 'tailor: could not remove answered events from the spool');
      }
      cursor = keys[keys.length - 1] as number;
      settleWaiters();
    }
  }

  const forwarding = forward().catch((error: unknown) => {
    logger.error({ error }, 'tailor: the spool forwarder stopped');
    report({ type: 'spool_write_failed', message: `the forwarder stopped: ${(error as Error)?.message ?? String(error)}`, error });
  });

  return {
    take(built) {
      if (closed) return Promise.resolve({ ok: false, reason: 'closed', message: 'the client is closed; create a new one' });
      const { written } = spool.append(built.event, platform.clock.now());
      const result = written.then(
        (): CallResult => {
          // Waking reads the spool again; do it only when that can change what the forwarder does.
          if (empty || spool.count() >= options.flushAt) wake();
          return { ok: true, messageId: built.event.messageId };
        },
        (error: unknown): CallResult => {
          const message = `the event could not be written to the spool: ${(error as Error)?.message ?? String(error)}`;
          logger.error({ error }, `tailor: ${message}`);
          report({ type: 'spool_write_failed', message, error });
          return { ok: false, reason: 'spool_write_failed', message };
        },
      );
      writes.add(result);
      void result.finally(() => writes.delete(result));
      return result;
    },
    async flush(wait: WaitOptions = {}) {
      await Promise.all([...writes]);
      const target = spool.lastKey();
      if (cursor >= target || spool.count() === 0) return;
      await new Promise<void>((resolve, reject) => {
        const { signal } = wait;
        const waiter: FlushWaiter = {
          target,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          reject,
        };
        function onAbort() {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new TailorError('transport_failed', `flush: aborted with ${spool.count()} event(s) still spooled; they stay on disk and are forwarded later`));
        }
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
        wake();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      stop.abort();
      wake();
      await Promise.allSettled([...writes]);
      await forwarding;
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new TailorError('transport_failed', `close: ${spool.count()} event(s) are still spooled; they are forwarded on the next start`));
      }
      await spool.close();
    },
    lag: () => spool.count(),
    stats() {
      const c = delivery.counters;
      const oldest = closed ? undefined : spool.oldest();
      return {
        mode: 'spool',
        lag: spool.count(),
        accepted: c.accepted,
        duplicates: c.duplicates,
        refused: c.refused,
        undelivered: 0,
        requests: c.requests,
        failedRequests: c.failedRequests,
        consecutiveFailures: c.consecutiveFailures,
        ...(c.lastError === undefined ? {} : { lastError: c.lastError }),
        ...(c.lastAcceptedAt === undefined ? {} : { lastAcceptedAt: c.lastAcceptedAt }),
        ...(oldest === undefined ? {} : { oldestWaitingAt: oldest.at }),
      };
    },
  };
}
