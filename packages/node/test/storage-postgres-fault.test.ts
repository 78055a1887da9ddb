import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithClusterService } from '../../test-utils/src/cluster-services';
import { trackEvent } from '../../test-utils/src/event-store-contract';
import type { AsyncEventStore } from '../src/storage/async-store';
import { createPostgresEventStore } from '../src/storage/postgres-event-store';

/*
 * A PRIVATE PostgreSQL (initdb + pg_ctl in a temp dir, on a free port) is crashed with `pg_ctl stop -m immediate`
 * — no checkpoint, no flush of shared buffers, like a killed server — and started again. Every append that
 * resolved before the crash must be in the log afterwards, exactly once, including the ones acknowledged while
 * appends were in flight; the ones that failed are retried by the "client" and dedup keeps them single.
 * The machine's shared PostgreSQL is never touched.
 */

const BIN = (() => {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')));
  return bin;
})();
const gap = BIN === undefined ? 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)' : undefined;
const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** initdb refuses to run as root: run the server binaries as the `postgres` user when we are root. */
function pgTool(tool: string, args: string[]): void {
  const path = join(BIN as string, tool);
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? 'runuser' : path, asRoot ? ['-u', 'postgres', '--', path, ...args] : args, { stdio: 'pipe', timeout: 60_000 });
}

function pgToolAsync(tool: string, args: string[]): Promise<void> {
  const path = join(BIN as string, tool);
  const asRoot = process.getuid?.() === 0;
  return new Promise((resolve, reject) => {
    execFile(asRoot ? 'runuser' : path, asRoot ? ['-u', 'postgres', '--', path, ...args] : args, { timeout: 60_000 }, (error) => (error ? reject(error) : resolve()));
  });
}

describeWithClusterService(gap, 'PostgreSQL event store: private server crashed and restarted', () => {
  let dir: string;
  let port: number;
  let startArgs: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tailor-pg-fault-'));
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
    port = await freePort();
    pgTool('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
    startArgs = ['-D', join(dir, 'data'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`, '-l', join(dir, 'server.log'), '-w', 'start'];
    pgTool('pg_ctl', startArgs);
  }, 120_000);

  afterAll(() => {
    if (dir === undefined) return;
    try {
      pgTool('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const crash = () => pgTool('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  const start = () => pgTool('pg_ctl', startArgs);

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
    const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const store = await createPostgresEventStore({ connectionString, onConnectionError: () => undefined });
    const acked = new Set<string>();
    const failed: string[] = [];
    try {
      // 1. Acknowledged appends, then a crash between appends.
      for (let i = 0; i < 50; i++) {
        await store.append('shop', [trackEvent(`before-${i}`)], T0);
        acked.add(`before-${i}`);
      }
      crash();
      start();

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
          if (acked.size >= 90) crashed ??= pgToolAsync('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
        }
      };
      await Promise.all(Array.from({ length: 8 }, writer));
      await crashed;
      start();
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
