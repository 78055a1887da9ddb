import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, expect, it } from 'vitest';
import { describeWithService } from '../../test-utils/src/require-service';
import { NATS_HOST, NATS_PORT, isListening } from '../../test-utils/src/services';
import { basicAuth, startTestCollector, WRITE_KEY } from './collector-harness';
import { freePort, readStream, waitFor } from './nats-helpers';
import { CLI } from './collector-process';

type Running = Awaited<ReturnType<typeof startTestCollector>>;
const NATS_SERVER = process.env.TAILOR_NATS_SERVER ?? '/usr/sbin/nats-server';

function uniqueTarget() {
  const id = Math.random().toString(36).slice(2, 10);
  return { stream: `TAILOR_COLLECTOR_TEST_${id.toUpperCase()}`, subjectPrefix: `tailorcollectortest.${id}` };
}

async function post(collector: Running, ids: string[]) {
  const response = await fetch(`${collector.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ batch: ids.map((id) => ({ type: 'track', event: 'Product Viewed', messageId: id, anonymousId: 'a-1', properties: { product_id: id } })) }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after') };
}

describeWithService('nats', 'collector → JetStream (machine NATS at 127.0.0.1:4222)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  it('forwards every accepted event once, msgpack-encoded, under source-scoped subjects with Nats-Msg-Id', async () => {
    const target = uniqueTarget();
    const collector = await startTestCollector({ sinks: { jetstream: { servers: `nats://${NATS_HOST}:${NATS_PORT}`, ...target } } });
    cleanups.push(() => collector.stop());
    const nc: NatsConnection = await connect({ servers: `nats://${NATS_HOST}:${NATS_PORT}` });
    cleanups.push(() => nc.close());
    const jsm: JetStreamManager = await jetstreamManager(nc);
    cleanups.push(() => jsm.streams.delete(target.stream));

    const ids = Array.from({ length: 250 }, (_, i) => `js-${i}`);
    for (let i = 0; i < ids.length; i += 50) expect((await post(collector, ids.slice(i, i + 50))).status).toBe(200);
    expect((await post(collector, ids.slice(0, 50))).status).toBe(200); // duplicates: stored once, forwarded once
    expect(await collector.outbox.drain(15_000)).toBe(true);

    const { count, messages } = await readStream(jsm, target.stream);
    expect(count).toBe(250);
    expect(new Set(messages.map((m) => m.msgId))).toEqual(new Set(ids.map((id) => `web:${id}`)));
    expect(messages[0]).toMatchObject({ subject: `${target.subjectPrefix}.web.track`, event: { sourceId: 'web', event: { type: 'track', event: 'Product Viewed' } } });

    // `tailor replay` re-sends the log to another stream, with a progress line, and JetStream dedups a second replay.
    const replayTarget = uniqueTarget();
    cleanups.push(() => jsm.streams.delete(replayTarget.stream));
    // Async, not execFileSync: the in-process collector must keep running while the CLI opens its store.
    const replay = () =>
      promisify(execFile)(
        process.execPath,
        ['--conditions=tailor-source', '--import', 'tsx', CLI, 'replay', '--data-dir', collector.dataDir, '--nats', `nats://${NATS_HOST}:${NATS_PORT}`, '--stream', replayTarget.stream, '--subject-prefix', replayTarget.subjectPrefix],
        { encoding: 'utf8' },
      );
    await replay();
    await replay();
    expect((await readStream(jsm, replayTarget.stream)).count).toBe(250);
  }, 30_000);
});

describeWithService('nats', 'collector through a JetStream outage (private nats-server)', () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  const startNats = async (port: number, storeDir: string) => {
    const started = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: 'ignore' });
    child = started;
    await waitFor(`nats-server on ${port}`, async () => (await isListening('127.0.0.1', port, 200)) || started.exitCode !== null, 10_000);
    if (started.exitCode !== null) throw new Error(`nats-server exited with ${started.exitCode}`);
  };
  const killNats = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    await killNats();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps accepting into the local log, answers 503 + Retry-After past maxSinkLag, and forwards everything once when JetStream returns', async () => {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'tailor-collector-nats-'));
    await startNats(port, dir);
    const target = uniqueTarget();
    const servers = `nats://127.0.0.1:${port}`;
    const collector = await startTestCollector({ maxSinkLag: 400, sinks: { jetstream: { servers, ...target } } });
    cleanups.push(() => collector.stop());

    const acknowledged = new Set<string>();
    let refused = 0;
    let retryAfter: string | null = null;
    let batch = 0;
    const sendSome = async (rounds: number) => {
      for (let r = 0; r < rounds; r++) {
        const ids = Array.from({ length: 20 }, (_, i) => `o-${batch}-${i}`);
        batch++;
        const answer = await post(collector, ids);
        if (answer.status === 200) for (const id of ids) acknowledged.add(id);
        else if (answer.status === 503) {
          refused++;
          retryAfter = answer.retryAfter;
        } else throw new Error(`unexpected status ${answer.status}`);
        await sleep(2);
      }
    };

    await sendSome(20);
    await killNats();
    await sendSome(60); // 1,200 events offered while JetStream is down: the first 400 or so are taken
    expect(refused).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // A publish in flight at the kill fails only at its timeout, so the sink may take a moment to report it.
    await waitFor('the sink to report the outage', () => collector.outbox.status()[0]?.healthy === false, 15_000);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/tailor_sink_healthy\{sink="[^"]+"\} 0/);
    expect(metrics).toMatch(/tailor_sink_lag_events\{sink="[^"]+"\} [1-9]/);
    const heldLocally = acknowledged.size;
    expect(heldLocally).toBeGreaterThan(400);

    await startNats(port, dir);
    expect(await collector.outbox.drain(30_000)).toBe(true);
    await sendSome(5); // accepting again once the backlog is forwarded
    expect(await collector.outbox.drain(15_000)).toBe(true);

    const nc = await connect({ servers });
    cleanups.push(() => nc.close());
    const { count, messages } = await readStream(await jetstreamManager(nc), target.stream);
    expect(acknowledged.size).toBe(heldLocally + 100);
    expect(count).toBe(acknowledged.size);
    expect(new Set(messages.map((m) => m.msgId))).toEqual(new Set([...acknowledged].map((id) => `web:${id}`)));
  }, 90_000);
});
