import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithClusterService } from '../../test-utils/src/cluster-services';
import { trackEvent } from '../../test-utils/src/event-store-contract';
import type { AsyncEventStore } from '../src/storage/async-store';
import { createPostgresEventStore } from '../src/storage/postgres-event-store';
import { privatePostgresGap, startPrivatePostgres, type PrivatePostgres } from './private-postgres';

/*
 * A private PostgreSQL (see private-postgres.ts) is crashed and started again. Every append that resolved
 * before the crash must be in the log afterwards, exactly once, including the ones acknowledged while appends
 * were in flight; the ones that failed are retried by the "client" and dedup keeps them single.
 */

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

describeWithClusterService(privatePostgresGap, 'PostgreSQL event store: private server crashed and restarted', () => {
  let server: PrivatePostgres;

  beforeAll(async () => {
    server = await startPrivatePostgres();
  }, 120_000);

  afterAll(() => server?.destroy());

  const crash = () => server.crash();
  const start = () => server.start();

  /** Appends until acknowledged, as a client retries a failed request with the same messageIds. */
  async function appendUntilAcked(store: AsyncEventStore, messageId: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        await store.append('shop', [trackEvent(messageId)], T0);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    throw new Error(`append of ${messageId} never succeeded`);
  }

  it('loses no acknowledged event across crashes between and during appends', async () => {
    const { connectionString } = server;
    const store = await createPostgresEventStore({ connectionString, onConnectionError: () => undefined });
    const acked = new Set<string>();
    const failed: string[] = [];
    try {
      // 1. Acknowledged appends, then a crash between appends.
      for (let i = 0; i < 50; i++) {
        await store.append('shop', [trackEvent(`before-${i}`)], T0);
        acked.add(`before-${i}`);
      }
      await crash();
      await start();

      // 2. Eight writers append continuously; the server is crashed (asynchronously, so they keep writing) once
      //    40 of their appends were acknowledged: some in flight fail, the rest of the 200 fail until restart.
      const burst = Array.from({ length: 200 }, (_, i) => `burst-${i}`);
      let next = 0;
      let crashed: Promise<void> | undefined;
      const writer = async () => {
        while (next < burst.length) {
          const id = burst[next++] as string;
          try {
            await store.append('shop', [trackEvent(id)], T0);
            acked.add(id);
          } catch {
            failed.push(id);
          }
          if (acked.size >= 90) crashed ??= crash();
        }
      };
      await Promise.all(Array.from({ length: 8 }, writer));
      await crashed;
      await start();
      // The crash really landed mid-stream: part of the burst was acknowledged, part failed.
      expect(acked.size).toBeGreaterThanOrEqual(90);
      expect(failed.length).toBeGreaterThan(0);

      // 3. The client retries what failed; some of those may already be stored (ack lost in the crash).
      for (const id of failed) {
        await appendUntilAcked(store, id);
        acked.add(id);
      }
      expect(acked.size).toBe(250);
    } finally {
      await store.close();
    }

    // 4. A fresh handle (another process) sees every acknowledged event exactly once, in gap-free seq order.
    const reader = await createPostgresEventStore({ connectionString });
    try {
      const stored = await reader.read(0, 10_000);
      const ids = stored.map((event) => event.event.messageId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => acked.has(id)).length).toBe(acked.size);
      expect(stored.map((event) => event.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
      expect(await reader.lastSeq()).toBe(stored.length);
    } finally {
      await reader.close();
    }
  }, 120_000);
});
