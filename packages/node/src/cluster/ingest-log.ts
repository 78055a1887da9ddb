import type { Logger } from '@tailor/core';
import { createJetStreamSink } from '../collector/jetstream-sink';
import type { AppendResult, IngestedEvent, StoredEvent } from '../collector/types';
import { partitionOf } from './partition';

export interface IngestStreamOptions {
  /** NATS server URL(s). */
  readonly servers: string | string[];
  /** The stream collectors publish to and processors consume. Default `TAILOR_INGEST`. */
  readonly stream: string;
  /** Subjects are `<prefix>.<partition>`. Default `tailor.ingest`. */
  readonly subjectPrefix: string;
  /** Number of partitions; fixed for the life of the stream. */
  readonly partitions: number;
  /** Replicas when the stream is created (1 on one server; 3 on a three-node JetStream cluster). */
  readonly replicas: number;
  /** JetStream's dedup window: a retried request within it is stored once. */
  readonly duplicateWindowMs: number;
  /** How long the stream keeps events (processors must have consumed them by then). */
  readonly maxAgeMs: number;
}

/** The log half of a cluster-mode collector: where accepted events go before the collector answers. */
export interface IngestLog {
  /** Publishes one request's events and resolves once JetStream has stored (acknowledged) every one. */
  append(sourceId: string, events: readonly IngestedEvent[], receivedAt: number): Promise<AppendResult>;
  close(): Promise<void>;
}

/** The subject a partition's events are published on. */
export function partitionSubject(prefix: string, partition: number): string {
  return `${prefix}.${partition}`;
}

/**
 * A cluster-mode collector's log: JetStream. Each event is published to its identity partition with the msg id
 * `<sourceId>:<messageId>`, so a client retry within the dedup window is stored once; the request is answered
 * only after every PubAck (with replicas > 1, JetStream acks once a majority has the event).
 *
 * @example
 * const log = createJetStreamIngestLog({ servers: 'nats://127.0.0.1:4222', stream: 'TAILOR_INGEST', subjectPrefix: 'tailor.ingest', partitions: 16, replicas: 1, duplicateWindowMs: 120_000, maxAgeMs: 7 * 86_400_000 });
 * await log.append('shop', [{ messageId: 'm1', event }], Date.now());
 */
export function createJetStreamIngestLog(options: IngestStreamOptions & { readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'> }): IngestLog {
  const publisher = createJetStreamSink({
    servers: options.servers,
    stream: options.stream,
    subjects: [`${options.subjectPrefix}.>`],
    subject: (stored) => partitionSubject(options.subjectPrefix, partitionOf(stored.sourceId, stored.event, options.partitions)),
    replicas: options.replicas,
    duplicateWindowMs: options.duplicateWindowMs,
    maxAgeMs: options.maxAgeMs,
    name: `ingest:${options.stream}`,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    async append(sourceId, events, receivedAt) {
      const acks = await publisher.publish(events.map((item): StoredEvent => ({ seq: 0, sourceId, receivedAt, event: item.event })));
      const seqs = acks.map((ack) => (ack.duplicate ? null : ack.seq));
      const duplicates = acks.filter((ack) => ack.duplicate).length;
      return { seqs, stored: acks.length - duplicates, duplicates };
    },
    close: () => publisher.close(),
  };
}
