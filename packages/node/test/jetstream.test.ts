import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { SegmentEvent } from '@tailor/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../test-utils/src/memory-event-store';
import { describeWithService } from '../../test-utils/src/require-service';
import { NATS_HOST, NATS_PORT, isListening } from '../../test-utils/src/services';
import { freePort, readStream, uniqueStream, waitFor } from './nats-helpers';
import { createJetStreamSink, defaultEventSubject, eventMsgId, subjectToken } from '../src/collector/jetstream-sink';
import { createOutbox } from '../src/collector/outbox';
import type { IngestedEvent, Sink, StoredEvent } from '../src/collector/types';

const NATS_SERVER = process.env.TAILOR_NATS_SERVER ?? '/usr/sbin/nats-server';

function ingested(from: number, count: number): IngestedEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const messageId = `m-${from + index}`;
    const event = { type: 'track', event: 'Product Added', messageId, anonymousId: `a-${from + index}`, properties: { sku: 'SKU-1', price: 9.5 } } as SegmentEvent;
    return { messageId, event };
  });
}

function storedEvents(sourceId: string, from: number, count: number): StoredEvent[] {
  return ingested(from, count).map(({ event }, index) => ({ seq: from + index, sourceId, receivedAt: 1_700_000_000_000 + from + index, event }));
}


describe('JetStream sink helpers', () => {
  it('makes the default subject from a token-safe sourceId and the call type', () => {
    const [event] = storedEvents('acme.eu *>', 1, 1);
    expect(defaultEventSubject(event!)).toBe('tailor.events.acme_eu___.track');
    expect(subjectToken('')).toBe('_');
    expect(eventMsgId(event!)).toBe('acme.eu *>:m-1');
  });

  it('rejects a send, naming the server, when nothing listens there', async () => {
    const port = await freePort();
    const sink = createJetStreamSink({ servers: `nats://127.0.0.1:${port}`, stream: 'NOPE', connectTimeoutMs: 500 });
    await expect(sink.send(storedEvents('src', 1, 1))).rejects.toThrow(`JetStream sink "jetstream:NOPE": cannot connect to NATS at nats://127.0.0.1:${port}`);
    await sink.close();
  });
});

describeWithService('nats', 'JetStream sink (real NATS)', () => {
  const servers = `nats://${NATS_HOST}:${NATS_PORT}`;
  let nc: NatsConnection | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];

  const manager = async () => {
    nc ??= await connect({ servers });
    return jetstreamManager(nc);
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    await nc?.close();
    nc = undefined;
  });

  const sinkFor = (target: ReturnType<typeof uniqueStream>, extra: { maxInFlight?: number } = {}): Sink => {
    const sink = createJetStreamSink({ servers, ...target, ...extra });
    cleanups.push(async () => (await manager()).streams.delete(target.stream));
    cleanups.push(() => sink.close());
    return sink;
  };

  it('creates the stream and stores each event once, msgpack-encoded, with its Nats-Msg-Id', async () => {
    const target = uniqueStream();
    const sink = sinkFor(target, { maxInFlight: 16 });
    const events = [...storedEvents('shop.one', 1, 300), ...storedEvents('shop-two', 301, 300)];
    await sink.send(events);

    const jsm = await manager();
    const info = await jsm.streams.info(target.stream);
    expect(info.config.subjects).toEqual(target.subjects);
    expect(info.config.duplicate_window).toBe(24 * 60 * 60 * 1e9);
    const { count, messages } = await readStream(jsm, target.stream);
    expect(count).toBe(600);
    expect(messages.map((message) => message.event)).toEqual(events);
    expect(messages.map((message) => message.msgId)).toEqual(events.map((event) => `${event.sourceId}:${event.event.messageId}`));
    expect(messages[0]!.subject).toBe(`${target.subjects[0]!.slice(0, -2)}.shop_one.track`);
  });

  it('keeps one copy of each event when the same events are sent again (JetStream dedup)', async () => {
    const target = uniqueStream();
    const sink = sinkFor(target);
    const events = storedEvents('src-1', 1, 50);
    await sink.send(events);
    await sink.send(events);
    await sink.send([...events.slice(10, 20), ...storedEvents('src-1', 51, 5)]);

    const { count, messages } = await readStream(await manager(), target.stream);
    expect(count).toBe(55);
    expect(new Set(messages.map((message) => message.msgId)).size).toBe(55);
  });
});

describeWithService('nats', 'JetStream outbox through a NATS outage (private nats-server)', () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];

  const startServer = async (port: number, storeDir: string) => {
    const started = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: 'ignore' });
    child = started;
    const exited = new Promise((resolve) => started.once('exit', resolve));
    await waitFor(`nats-server on port ${port}`, async () => (await isListening('127.0.0.1', port, 200)) || started.exitCode !== null, 10_000);
    if (started.exitCode !== null) throw new Error(`nats-server exited with code ${started.exitCode} before listening on ${port}`);
    // Wrapped: an async function returning the bare promise would wait for the server to exit.
    return { exited };
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('delivers every event exactly once after the server is killed and restarted', { timeout: 60_000 }, async () => {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'tailor-nats-'));
    let { exited } = await startServer(port, dir);
    const servers = `nats://127.0.0.1:${port}`;
    const target = uniqueStream();
    const store = createMemoryEventStore();
    const sink = createJetStreamSink({ servers, ...target, publishTimeoutMs: 1000, connectTimeoutMs: 1000 });
    const outbox = createOutbox({ store, sinks: [sink], batchSize: 100, retry: { initialMs: 50, maxMs: 500 }, pollMs: 100 });
    cleanups.push(() => sink.close());
    cleanups.push(() => outbox.stop());
    outbox.start();

    // Appends 10 events every 5 ms until told to stop, like a collector under steady load.
    let appending = true;
    let next = 1;
    const appender = (async () => {
      const deadline = Date.now() + 30_000;
      while (appending && Date.now() < deadline && next <= 50_000) {
        await store.append(next % 2 === 0 ? 'src-a' : 'src.b', ingested(next, 10), Date.now());
        next += 10;
        outbox.notify();
        await sleep(5);
      }
    })();

    try {
      await waitFor('500 events forwarded before the outage', () => store.getCursor(sink.name) >= 500, 10_000);

      child!.kill('SIGKILL');
      await exited;
      const killedAt = { time: Date.now(), appended: store.lastSeq(), forwarded: store.getCursor(sink.name) };
      await waitFor('the outbox to notice the outage', () => outbox.status()[0]!.healthy === false, 10_000);
      const noticedMs = Date.now() - killedAt.time;
      // Fails fast: either the sink already knew it was disconnected, or a publish hit its timeout.
      expect(outbox.status()[0]!.lastError).toMatch(/JetStream sink "jetstream:TAILOR_TEST_\w+": (not connected to NATS|publish of seq \d+ to)/);
      const firstError = outbox.status()[0]!.lastError;
      let maxLag = 0;
      const outageEnds = Date.now() + 1500;
      while (Date.now() < outageEnds) {
        maxLag = Math.max(maxLag, outbox.lag());
        await sleep(50);
      }
      const duringOutage = { appended: store.lastSeq() - killedAt.appended, forwarded: store.getCursor(sink.name) - killedAt.forwarded };
      const failures = outbox.status()[0]!.failures;
      expect(duringOutage.appended).toBeGreaterThan(100);
      expect(maxLag).toBeGreaterThan(100);

      ({ exited } = await startServer(port, dir));
      const restartedAt = Date.now();
      const outageMs = restartedAt - killedAt.time;
      await sleep(500);
      appending = false;
      await appender;

      expect(await outbox.drain(30_000)).toBe(true);
      const recoveryMs = Date.now() - restartedAt;
      expect(outbox.status()[0]).toMatchObject({ healthy: true, lag: 0, cursor: store.lastSeq() });

      // As if the collector crashed before saving its cursor: the restarted server must still know these ids.
      await sink.send(store.read(0, 300));

      const reader = await connect({ servers });
      cleanups.push(() => reader.close());
      const { count, messages } = await readStream(await jetstreamManager(reader), target.stream);
      const expectedIds = [...store.scan()].map((event) => eventMsgId(event));
      expect(count).toBe(store.lastSeq());
      expect(messages).toHaveLength(expectedIds.length);
      expect(new Set(messages.map((message) => message.msgId))).toEqual(new Set(expectedIds));
      expect(new Set(messages.map((message) => message.event.seq)).size).toBe(store.lastSeq());

      console.info(
        `[jetstream outage] appended ${store.lastSeq()} events (${duringOutage.appended} during the ${outageMs} ms outage, ` +
          `${duringOutage.forwarded} forwarded while down; first failure ${noticedMs} ms after the kill), max lag ${maxLag}, ${failures} failed sends, ` +
          `drained ${recoveryMs} ms after restart; first error: ${firstError}; stream holds ${count} messages, ${new Set(messages.map((m) => m.msgId)).size} distinct ids`,
      );
    } finally {
      appending = false;
      await appender;
    }
  });
});
