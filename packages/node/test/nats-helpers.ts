import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamManager } from '@nats-io/jetstream';
import { unpack } from 'msgpackr';
import { subjectToken } from '../src/collector/jetstream-sink';
import type { StoredEvent } from '../src/collector/types';

/** A unique stream and subject prefix per test, so tests never see each other's messages. */
export function uniqueStream() {
  const id = randomBytes(6).toString('hex');
  const prefix = `tailortest.${id}`;
  return {
    stream: `TAILOR_TEST_${id.toUpperCase()}`,
    subjects: [`${prefix}.>`],
    subject: (event: StoredEvent) => `${prefix}.${subjectToken(event.sourceId)}.${event.event.type}`,
  };
}

/** Every message of a stream, in stream order (bounded by the stream's own count). */
export async function readStream(jsm: JetStreamManager, stream: string) {
  const { state } = await jsm.streams.info(stream);
  const seqs = Array.from({ length: state.messages === 0 ? 0 : state.last_seq - state.first_seq + 1 }, (_, index) => state.first_seq + index);
  const messages = [];
  for (let start = 0; start < seqs.length; start += 100) {
    const chunk = await Promise.all(seqs.slice(start, start + 100).map((seq) => jsm.streams.getMessage(stream, { seq })));
    for (const message of chunk) {
      if (message === null) continue;
      messages.push({
        subject: message.subject,
        msgId: message.header.get('Nats-Msg-Id'),
        event: unpack(message.data) as StoredEvent,
      });
    }
  }
  return { count: state.messages, messages };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
