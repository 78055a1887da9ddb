import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from '@tailor/core';
import { unpack } from 'msgpackr';
import type { AppendResult, IngestedEvent, StoredEvent } from '../collector/types';
import type { AppendRequest } from '../storage/postgres-event-store';
import { partitionSubject } from './ingest-log';

export interface PartitionConsumerOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly partition: number;
  /** Messages in flight per partition: a batch is at most this big, and nothing past it is delivered until it is acked. */
  readonly batchSize: number;
  /** How long JetStream waits for an ack before it redelivers (to this or the next owner). */
  readonly ackWaitMs: number;
  /**
   * The shared log's atomic append of several requests (PostgreSQL `appendAll`): deduplicates by (source,
   * messageId), durable on resolve, all or nothing — a partial failure could let a later event in first.
   */
  readonly appendAll: (requests: readonly AppendRequest[]) => Promise<AppendResult[]>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Counts per applied batch, for metrics. */
  readonly onApplied?: (stats: { readonly stored: number; readonly duplicates: number; readonly rejected: number; readonly seconds: number; readonly lagMs: number }) => void;
  /** Delay before a failed append is retried (it is retried for as long as the partition is owned). */
  readonly retryMs?: number;
}

export interface PartitionConsumer {
  readonly partition: number;
  /** Stops taking messages, lets the batch in hand finish (or gives it back), and hands the rest back. */
  stop(): Promise<void>;
}

/** The durable consumer of a partition: the same name whichever processor owns the partition. */
export function consumerName(subjectPrefix: string, partition: number): string {
  return `${subjectPrefix.replace(/\./g, '_')}_p${partition}`;
}

/**
 * Consumes one partition of the ingest stream into the shared log, in order, exactly once:
 * - at least once: a message is acked only after the append that holds it has committed;
 * - at most once in the log: the append skips a (source, messageId) already stored, so a redelivery after a
 *   crash between commit and ack changes nothing;
 * - in order: a batch that fails is retried in place (kept alive with `working()`), never skipped; and a new
 *   owner resumes from the consumer's ack floor (see `takeOver`), so what a dead owner held is not overtaken.
 * Messages that cannot be decoded are terminated (never redelivered) and logged: they were not published by
 * a Tailor collector.
 */
export async function startPartitionConsumer(options: PartitionConsumerOptions): Promise<PartitionConsumer> {
  const { js, jsm, stream, partition, logger } = options;
  const durable = consumerName(options.subjectPrefix, partition);
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: partitionSubject(options.subjectPrefix, partition),
    ack_wait: nanos(options.ackWaitMs),
    max_ack_pending: options.batchSize,
    max_deliver: -1,
  };
  await takeOver(jsm, stream, config, logger, partition);
  const consumer = await js.consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: options.batchSize });
  const retryMs = options.retryMs ?? 500;
  let stopping = false;
  let buffer: JsMsg[] = [];
  let scheduled = false;
  /** The drain in progress: one at a time, so a partition's batches are appended in order. */
  let draining: Promise<void> | undefined;

  // A backlog must become big transactions, not a queue of small ones: each batch takes everything that
  // arrived while the previous append was in flight (up to `batchSize`, which is also what JetStream lets
  // be unacked), so throughput grows with load instead of collapsing into one append per message.
  const drain = async () => {
    while (buffer.length > 0) await applyBatch(buffer.splice(0, options.batchSize));
  };
  const kick = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (buffer.length > 0) schedule();
    });
  };
  const schedule = () => {
    if (scheduled || draining !== undefined) return;
    scheduled = true;
    // Whatever arrives in the same turn of the event loop goes into the first batch.
    setImmediate(() => {
      scheduled = false;
      kick();
    });
  };

  async function applyBatch(batch: readonly JsMsg[]): Promise<void> {
    if (batch.length === 0) return;
    if (stopping) {
      for (const message of batch) message.nak();
      return;
    }
    const began = performance.now();
    const groups: Array<{ sourceId: string; receivedAt: number; events: IngestedEvent[] }> = [];
    const good: JsMsg[] = [];
    let rejected = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const message of batch) {
      const stored = decode(message);
      if (stored === undefined) {
        rejected++;
        logger.error({ partition, streamSeq: message.seq, subject: message.subject }, 'dropping a message that is not a Tailor event (terminated, never redelivered)');
        message.term();
        continue;
      }
      good.push(message);
      oldest = Math.min(oldest, stored.receivedAt);
      const last = groups[groups.length - 1];
      const item = { messageId: stored.event.messageId, event: stored.event };
      // Consecutive events of one request share a source and receipt time: one append keeps them together.
      if (last !== undefined && last.sourceId === stored.sourceId && last.receivedAt === stored.receivedAt) last.events.push(item);
      else groups.push({ sourceId: stored.sourceId, receivedAt: stored.receivedAt, events: [item] });
    }
    for (let attempt = 1; ; attempt++) {
      try {
        // One unit: stored in this order in one transaction, or not at all (then retried whole).
        const results = await options.appendAll(groups);
        for (const message of good) message.ack();
        const stored = results.reduce((sum, result) => sum + result.stored, 0);
        const duplicates = results.reduce((sum, result) => sum + result.duplicates, 0);
        options.onApplied?.({ stored, duplicates, rejected, seconds: (performance.now() - began) / 1000, lagMs: good.length > 0 ? Date.now() - oldest : 0 });
        return;
      } catch (error) {
        if (stopping) {
          // Give the batch back at once: the next owner gets it before anything after it.
          for (const message of good) message.nak();
          return;
        }
        if (attempt === 1 || attempt % 20 === 0) logger.warn({ err: error, partition, events: good.length, attempt }, 'appending to the shared log failed; retrying the same batch');
        for (const message of good) message.working();
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  }

  const pump = (async () => {
    for await (const message of messages) {
      if (stopping) {
        message.nak();
        continue;
      }
      buffer.push(message);
      schedule();
    }
  })().catch((error: unknown) => logger.error({ err: error, partition }, 'the partition consumer stopped'));

  logger.info({ partition, consumer: durable }, 'consuming partition');
  return {
    partition,
    async stop() {
      stopping = true;
      await messages.close().catch(() => undefined);
      await pump;
      await draining;
      const rest = buffer;
      buffer = [];
      for (const message of rest) message.nak();
      logger.info({ partition }, 'released partition');
    },
  };
}

type ConsumerSettings = Parameters<JetStreamManager['consumers']['add']>[1] & { durable_name: string };

/**
 * Makes the partition's durable consumer ready for a new owner. A consumer with nothing pending is used as it
 * is. One with messages pending (delivered to a previous owner that died or gave up before acking them) would
 * hand them out again only after their ack wait, and meanwhile deliver later messages: a shopper's events
 * would be appended out of order. So it is recreated to start right after its ack floor (everything at or
 * below it was appended and acked); messages above the floor that were in fact appended come again and are
 * skipped as duplicates by the store.
 */
async function takeOver(jsm: JetStreamManager, stream: string, config: ConsumerSettings, logger: Pick<Logger, 'info'>, partition: number): Promise<void> {
  let existing;
  try {
    existing = await jsm.consumers.info(stream, config.durable_name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound) throw error;
  }
  if (existing === undefined) {
    await jsm.consumers.add(stream, config);
    return;
  }
  if (existing.num_ack_pending === 0 && existing.num_redelivered === 0) {
    if (existing.config.ack_wait !== config.ack_wait || existing.config.max_ack_pending !== config.max_ack_pending) {
      await jsm.consumers.update(stream, config.durable_name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    }
    return;
  }
  const from = existing.ack_floor.stream_seq + 1;
  await jsm.consumers.delete(stream, config.durable_name);
  await jsm.consumers.add(stream, { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  logger.info({ partition, pending: existing.num_ack_pending, fromStreamSeq: from }, 'resuming a partition from its ack floor');
}

function decode(message: JsMsg): StoredEvent | undefined {
  try {
    const value = unpack(message.data) as Partial<StoredEvent> | undefined;
    if (value === undefined || value === null || typeof value !== 'object') return undefined;
    if (typeof value.sourceId !== 'string' || typeof value.receivedAt !== 'number' || typeof value.event !== 'object' || value.event === null) return undefined;
    if (typeof (value.event as { messageId?: unknown }).messageId !== 'string') return undefined;
    return value as StoredEvent;
  } catch {
    return undefined;
  }
}
