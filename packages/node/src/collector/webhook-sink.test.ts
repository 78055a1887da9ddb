import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SegmentEvent } from '@tailor/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from './types';
import { createWebhookSink } from './webhook-sink';

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: { batch: StoredEvent[] };
}

function storedEvents(from: number, count: number): StoredEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = from + index;
    const event = { type: 'track', event: 'Order Completed', messageId: `m-${seq}`, userId: 'u-1', properties: { total: seq } } as SegmentEvent;
    return { seq, sourceId: 'src-1', receivedAt: 1_700_000_000_000 + seq, event };
  });
}

describe('createWebhookSink (real node:http server)', () => {
  let server: Server;
  let url: string;
  let received: Received[];
  /** What the server answers, per request index. */
  let answer: (index: number) => { status: number; body?: string };

  beforeEach(async () => {
    received = [];
    answer = () => ({ status: 204 });
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { batch: StoredEvent[] },
        });
        const { status, body } = answer(received.length - 1);
        response.writeHead(status, { 'content-type': 'text/plain' }).end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tailor`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs { batch } as JSON in chunks of batchSize, in order, with the caller’s headers', async () => {
    const sink = createWebhookSink({ url, batchSize: 2, headers: { Authorization: 'Bearer s3cret', 'Content-Type': 'text/plain' } });
    const events = storedEvents(1, 5);
    await sink.send(events);

    expect(received.map((request) => request.body.batch.map((event) => event.seq))).toEqual([[1, 2], [3, 4], [5]]);
    expect(received.flatMap((request) => request.body.batch)).toEqual(events);
    for (const request of received) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/hooks/tailor');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers.authorization).toBe('Bearer s3cret');
    }
    expect(sink.name).toBe(`webhook:${new URL(url).host}/hooks/tailor`);
  });

  it('sends an Idempotency-Key per chunk that is the same when the chunk is sent again', async () => {
    const sink = createWebhookSink({ url, batchSize: 3 });
    await sink.send(storedEvents(11, 4));
    await sink.send(storedEvents(11, 4));
    expect(received.map((request) => request.headers['idempotency-key'])).toEqual([
      'tailor-11-13',
      'tailor-14-14',
      'tailor-11-13',
      'tailor-14-14',
    ]);
  });

  it('rejects on a 500 with the URL, the status and the receiver’s reason, and stops at that chunk', async () => {
    answer = (index) => (index === 1 ? { status: 500, body: 'database unavailable' } : { status: 200 });
    const sink = createWebhookSink({ url: `${url}?token=hidden`, batchSize: 2 });
    const error = await sink.send(storedEvents(1, 6)).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toBe(
      `[tailor] webhook sink "webhook:${new URL(url).host}/hooks/tailor": POST ${url} (seqs 3-4) answered HTTP 500 Internal Server Error: database unavailable`,
    );
    expect(error?.message).not.toContain('hidden');
    expect(received).toHaveLength(2);
  });

  it('treats 3xx and 4xx as failures too', async () => {
    answer = () => ({ status: 409 });
    const sink = createWebhookSink({ url });
    await expect(sink.send(storedEvents(1, 1))).rejects.toThrow(/\(seq 1\) answered HTTP 409 Conflict$/);
  });

  it('rejects naming the URL when nothing listens there', async () => {
    // A port that was just free: listen, note it, close.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/gone`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const sink = createWebhookSink({ url: deadUrl });
    await expect(sink.send(storedEvents(1, 1))).rejects.toThrow(`POST ${deadUrl} (seq 1) failed: fetch failed (connect ECONNREFUSED`);
  });

  it('rejects after timeoutMs when the receiver never answers', async () => {
    const hanging = createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`;
    try {
      const sink = createWebhookSink({ url: hangingUrl, timeoutMs: 50 });
      await expect(sink.send(storedEvents(1, 1))).rejects.toThrow(`POST ${hangingUrl} (seq 1) failed: no answer within 50 ms`);
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it('uses an injected fetch and sends nothing for an empty batch', async () => {
    const calls: string[] = [];
    const sink = createWebhookSink({
      url: 'https://hooks.example.com/x',
      fetch: async (target, init) => {
        calls.push(`${target} ${init.headers['idempotency-key']}`);
        return { status: 202, text: async () => '' };
      },
    });
    await sink.send([]);
    await sink.send(storedEvents(7, 1));
    expect(calls).toEqual(['https://hooks.example.com/x tailor-7-7']);
    await sink.close();
    await expect(sink.send(storedEvents(8, 1))).rejects.toThrow(/send\(\) called after close\(\)/);
  });

  it('throws at construction for a bad url or batchSize', () => {
    expect(() => createWebhookSink({ url: 'not a url' })).toThrow(/"url" is not a valid URL: "not a url"/);
    expect(() => createWebhookSink({ url, batchSize: 0 })).toThrow(/"batchSize" must be a positive integer, got 0/);
  });
});
