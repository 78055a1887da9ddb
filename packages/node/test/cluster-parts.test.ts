import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pack } from 'msgpackr';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithClusterService, POSTGRES_URL, postgresGap, REDIS_URL, redisGap } from '../../test-utils/src/cluster-services';
import { natsGap } from '../../test-utils/src/services';
import { createJetStreamIngestLog, partitionSubject } from '../src/cluster/ingest-log';
import { fairShare, openLeaseConnection } from '../src/cluster/leases';
import { partitionOf } from '../src/cluster/partition';
import { consumerName, startPartitionConsumer } from '../src/cluster/partition-consumer';
import { createRecentOutcomes, withRecentOutcomes } from '../src/cluster/recent-outcomes';
import type { AppendResult, IngestedEvent } from '../src/collector/types';
import type { AppendRequest } from '../src/storage/postgres-event-store';
import { readStream, waitFor } from './nats-helpers';
import { freshSchema } from './storage-helpers';

/* The parts of cluster mode against the machine's real NATS JetStream and PostgreSQL. */

const gap = (await natsGap()) ?? (await postgresGap()) ?? (await redisGap());
const SILENT = { info() {}, warn() {}, error() {} };
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

const event = (i: number, anonymousId = 'a1') => ({ type: 'track', event: 'Product Viewed', messageId: `m${i}`, anonymousId, properties: { i }, timestamp: new Date(T0 + i).toISOString() }) as unknown as IngestedEvent['event'];

describeWithClusterService(gap, 'cluster parts: ingest log, partition consumer, leases, outcome counters (real NATS, PostgreSQL, Redis)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  function uniqueIngest(partitions = 4) {
    const id = randomBytes(5).toString('hex');
    const stream = `TAILOR_PARTS_${id.toUpperCase()}`;
    streams.push(stream);
    return { servers: 'nats://127.0.0.1:4222', stream, subjectPrefix: `tailorparts.${id}`, partitions, replicas: 1, duplicateWindowMs: 60_000, maxAgeMs: 3_600_000 };
  }

  beforeAll(async () => {
    nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('publishes each event to its identity partition and reports a retried request as duplicates', async () => {
    const options = uniqueIngest(4);
    const log = createJetStreamIngestLog(options);
    try {
      const batch = [event(1, 'ann'), event(2, 'bob'), event(3, 'ann')].map((e) => ({ messageId: e.messageId, event: e }));
      const first = await log.append('shop', batch, T0);
      expect(first).toMatchObject({ stored: 3, duplicates: 0 });
      const again = await log.append('shop', batch, T0 + 5);
      expect(again).toEqual({ seqs: [null, null, null], stored: 0, duplicates: 3 });
      const { messages } = await readStream(jsm, options.stream);
      expect(messages.map((m) => m.subject)).toEqual(batch.map((item) => partitionSubject(options.subjectPrefix, partitionOf('shop', item.event, 4))));
      expect(messages.map((m) => m.msgId)).toEqual(['shop:m1', 'shop:m2', 'shop:m3']);
    } finally {
      await log.close();
    }
  });

  it('appends a partition in stream order, retries a failing append in place, and terminates what is not an event', async () => {
    const options = uniqueIngest(1);
    const log = createJetStreamIngestLog(options);
    const js = jetstream(nc);
    const applied: string[] = [];
    let failures = 3;
    const appendAll = async (requests: readonly AppendRequest[]): Promise<AppendResult[]> => {
      if (failures > 0) {
        failures--;
        throw new Error('PostgreSQL is restarting');
      }
      return requests.map(({ events }) => {
        for (const item of events) applied.push(item.messageId);
        return { seqs: events.map(() => 1), stored: events.length, duplicates: 0 };
      });
    };
    let rejected = 0;
    await log.append('shop', [{ messageId: 'm0', event: event(0) }], T0);
    const consumer = await startPartitionConsumer({ js, jsm, stream: options.stream, subjectPrefix: options.subjectPrefix, partition: 0, batchSize: 50, ackWaitMs: 5_000, appendAll, logger: SILENT, retryMs: 20, onApplied: (stats) => (rejected += stats.rejected) });
    try {
      for (let i = 1; i < 120; i++) await log.append('shop', [{ messageId: `m${i}`, event: event(i) }], T0 + i);
      await js.publish(partitionSubject(options.subjectPrefix, 0), pack({ not: 'an event' }));
      await js.publish(partitionSubject(options.subjectPrefix, 0), new TextEncoder().encode('{"garbage'));
      await waitFor('120 events applied', () => new Set(applied).size >= 120, 20_000);
      await waitFor('both bad messages terminated', () => rejected === 2, 20_000);
      // Delivery is at least once (a late ack brings a message again; the real store skips it as a duplicate),
      // so what counts is that every event arrives, first time in stream order.
      expect([...new Set(applied)]).toEqual(Array.from({ length: 120 }, (_, i) => `m${i}`));
      await waitFor('nothing left pending', async () => (await jsm.consumers.info(options.stream, consumerName(options.subjectPrefix, 0))).num_ack_pending === 0, 10_000);
    } finally {
      await consumer.stop();
      await log.close();
    }
  });

  it('a new owner resumes from the ack floor: a dead owner’s unacked batch is not overtaken by later events', async () => {
    const options = uniqueIngest(1);
    const log = createJetStreamIngestLog(options);
    const deadConnection = await connect({ servers: 'nats://127.0.0.1:4222' });
    const order: string[] = [];
    const ok = (requests: readonly AppendRequest[]): AppendResult[] => {
      for (const { events } of requests) for (const item of events) order.push(item.messageId);
      return requests.map(({ events }) => ({ seqs: events.map(() => 1), stored: events.length, duplicates: 0 }));
    };
    try {
      for (let i = 0; i < 30; i++) await log.append('shop', [{ messageId: `m${i}`, event: event(i) }], T0 + i);
      // The first owner appends the first batch it gets, then hangs on the next (as a process frozen before it dies).
      let calls = 0;
      await startPartitionConsumer({
        js: jetstream(deadConnection),
        jsm: await jetstreamManager(deadConnection),
        stream: options.stream,
        subjectPrefix: options.subjectPrefix,
        partition: 0,
        batchSize: 10,
        ackWaitMs: 30_000,
        logger: SILENT,
        appendAll: async (requests) => {
          if (calls++ > 0) return new Promise<never>(() => undefined);
          return ok(requests);
        },
      });
      await waitFor('the first owner to hang with a batch in hand', () => calls >= 2, 10_000);
      await deadConnection.close();
      const firstOwner = order.length;
      expect(firstOwner).toBeGreaterThan(0);
      expect(firstOwner).toBeLessThan(30);
      // More events arrive; the next owner must apply the hung batch before them, not 30 s later after them.
      for (let i = 30; i < 40; i++) await log.append('shop', [{ messageId: `m${i}`, event: event(i) }], T0 + i);
      const next = await startPartitionConsumer({
        js: jetstream(nc),
        jsm,
        stream: options.stream,
        subjectPrefix: options.subjectPrefix,
        partition: 0,
        batchSize: 10,
        ackWaitMs: 30_000,
        logger: SILENT,
        appendAll: async (requests) => ok(requests),
      });
      try {
        await waitFor('all 40 applied', () => order.length >= 40, 10_000);
        // In order; an event at or past the floor that the first owner had applied may come again (a duplicate to the store).
        const unique = [...new Set(order)];
        expect(unique).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
      } finally {
        await next.stop();
      }
    } finally {
      await log.close();
    }
  }, 30_000);

  it('gives a lock to one session at a time, counts live members, and frees everything when a session ends', async () => {
    const schema = freshSchema();
    const a = await openLeaseConnection({ connectionString: POSTGRES_URL, schema });
    const b = await openLeaseConnection({ connectionString: POSTGRES_URL, schema });
    const other = await openLeaseConnection({ connectionString: POSTGRES_URL, schema: freshSchema() });
    try {
      expect(await a.tryLock('member', 0)).toBe(true);
      expect(await b.tryLock('member', 0)).toBe(false);
      expect(await b.tryLock('member', 1)).toBe(true);
      expect(await other.tryLock('member', 0)).toBe(true); // another store's locks are separate
      expect(await a.countHeld('member')).toBe(2);
      expect(await a.tryLock('partition', 3)).toBe(true);
      expect(await b.tryLock('partition', 3)).toBe(false);
      expect([...(await b.heldIds('partition'))]).toEqual([3]);
      // A session that dies (a SIGKILLed processor, a PostgreSQL restart) frees its locks, and its owner is told.
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [a.backendPid]);
      await admin.end();
      const lost = await Promise.race([a.lost, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000))]);
      expect(lost).toBeInstanceOf(Error);
      expect(await b.tryLock('partition', 3)).toBe(true);
      expect(await b.countHeld('member')).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('shares partitions so that every one is covered and none is idle', () => {
    expect(fairShare(16, 1)).toBe(16);
    expect(fairShare(16, 3)).toBe(6);
    expect(fairShare(4, 8)).toBe(1);
    expect(fairShare(8, 0)).toBe(8);
  });

  it('counts offer outcomes per person in Redis, once per event, and adds to a profile only what it does not hold yet', async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    const prefix = `tailor:test:${randomBytes(4).toString('hex')}:outcomes:`;
    const recent = createRecentOutcomes(redis, { keyPrefix: prefix, ttlMs: 60_000 });
    const outcome = (messageId: string, name: string, offerId: string, at: number, ids: Record<string, string>) =>
      ({ messageId, event: { type: 'track', event: name, messageId, ...ids, properties: { offer_id: offerId, placement_id: 'home-hero' }, timestamp: new Date(at).toISOString() } }) as unknown as IngestedEvent;
    try {
      await recent.record('shop', [
        outcome('v1', 'Offer Viewed', 'shoes-20', T0 + 1_000, { anonymousId: 'a1' }),
        outcome('d1', 'Offer Dismissed', 'shoes-20', T0 + 2_000, { anonymousId: 'a1', userId: 'u1' }),
        { messageId: 'p1', event: event(1, 'a1') }, // not an outcome
        outcome('v2', 'Offer Viewed', 'bags-bundle', T0 + 3_000, { userId: 'u1' }),
      ]);
      const both = await recent.read('shop', { userId: 'u1', anonymousId: 'a1' });
      expect(both.map((r) => [r.outcome.type, r.outcome.offerId, r.at])).toEqual([
        ['impression', 'shoes-20', T0 + 1_000],
        ['dismiss', 'shoes-20', T0 + 2_000], // listed under both ids, counted once
        ['impression', 'bags-bundle', T0 + 3_000],
      ]);
      expect(await recent.read('other-source', { anonymousId: 'a1' })).toEqual([]);
      // A profile that already folded events up to T0 + 1.5 s gets only the two later outcomes.
      const history = withRecentOutcomes(undefined, T0 + 1_500, both);
      expect(Object.keys(history?.entries ?? {}).sort()).toEqual(['offer:bags-bundle', 'offer:shoes-20', 'placement:home-hero']);
      expect(history?.entries['offer:shoes-20']).toEqual({ impressions: [], rejects: [T0 + 2_000] });
    } finally {
      redis.disconnect();
    }
  });
});
