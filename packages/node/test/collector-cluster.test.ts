import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createLmdbStore } from '../src/collector/lmdb-store';
import { basicAuth } from './collector-harness';
import { killGroupHard, processesMatching, spawnCollector } from './collector-process';

const KEY = 'wk_cluster_0123456789';

function body(ids: string[]) {
  return JSON.stringify({ batch: ids.map((id) => ({ type: 'track', event: 'Cart Viewed', messageId: id, anonymousId: `a-${id}` })) });
}

async function post(url: string, ids: string[]): Promise<number> {
  const response = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { authorization: basicAuth(KEY), 'content-type': 'application/json' }, body: body(ids) });
  return response.status;
}

function readLog(dataDir: string) {
  const store = createLmdbStore({ dataDir });
  const events = [...store.scan()];
  return store.close().then(() => events);
}

/** `--workers N`: several processes on one port and one LMDB environment. */
describe('tailor collector --workers 2', () => {
  const dirs: string[] = [];
  const dir = () => {
    const made = mkdtempSync(join(tmpdir(), 'tailor-cluster-'));
    dirs.push(made);
    return made;
  };
  afterAll(() => {
    for (const made of dirs) rmSync(made, { recursive: true, force: true });
  });

  it('stores each event once with unique seqs, dedups across workers, and aggregates metrics', async () => {
    const dataDir = dir();
    const collector = await spawnCollector(['--port', '0', '--data-dir', dataDir, '--write-key', KEY, '--workers', '2'], { detached: true });
    try {
      // Each batch goes out twice on separate connections, so the two copies can land on different workers.
      const batches = Array.from({ length: 40 }, (_, b) => Array.from({ length: 25 }, (_, i) => `c-${b}-${i}`));
      const statuses = await Promise.all(batches.flatMap((ids) => [post(collector.url, ids), post(collector.url, ids)]));
      expect(statuses.every((status) => status === 200)).toBe(true);
      const metrics = await (await fetch(`${collector.url}/metrics`)).text();
      expect(metrics).toMatch(/tailor_events_accepted_total\{source="default"\} 1000\b/);
      expect(metrics).toMatch(/tailor_events_duplicate_total\{source="default"\} 1000\b/);
      expect(metrics).toMatch(/tailor_log_events 1000\b/);
    } finally {
      await killGroupHard(collector.child);
    }
    const events = await readLog(dataDir);
    expect(events).toHaveLength(1_000);
    expect(new Set(events.map((e) => e.event.messageId)).size).toBe(1_000);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
  }, 60_000);

  it('loses nothing acknowledged when the whole cluster is SIGKILLed under load, and leaves no orphans', async () => {
    const dataDir = dir();
    const acknowledged = new Set<string>();
    let pending: string[][] = [];
    let batchNo = 0;
    for (let round = 0; round < 4; round++) {
      const collector = await spawnCollector(['--port', '0', '--data-dir', dataDir, '--write-key', KEY, '--workers', '2'], { detached: true });
      const retry = pending;
      pending = [];
      let alive = true;
      const send = async (ids: string[]) => {
        try {
          if ((await post(collector.url, ids)) === 200) for (const id of ids) acknowledged.add(id);
          else pending.push(ids);
        } catch {
          pending.push(ids);
        }
      };
      const workers = Array.from({ length: 6 }, async (_, w) => {
        for (const ids of retry.filter((_, i) => i % 6 === w)) await send(ids);
        while (alive) {
          const ids = Array.from({ length: 10 }, (_, i) => `k-${batchNo}-${i}`);
          batchNo++;
          await send(ids);
        }
      });
      await sleep(300 + round * 150);
      await killGroupHard(collector.child);
      alive = false;
      await Promise.all(workers);
    }
    await sleep(200);
    expect(processesMatching(dataDir)).toEqual([]);
    const events = await readLog(dataDir);
    const stored = new Map<string, number>();
    for (const event of events) stored.set(event.event.messageId, (stored.get(event.event.messageId) ?? 0) + 1);
    expect(acknowledged.size).toBeGreaterThan(100);
    expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    expect([...stored].filter(([, count]) => count > 1)).toEqual([]);
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
  }, 90_000);

  it('stops its workers when the primary is killed alone', async () => {
    const dataDir = dir();
    const collector = await spawnCollector(['--port', '0', '--data-dir', dataDir, '--write-key', KEY, '--workers', '2'], { detached: true });
    expect(processesMatching(dataDir).length).toBe(3);
    collector.child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (processesMatching(dataDir).length > 0 && Date.now() < deadline) await sleep(50);
    expect(processesMatching(dataDir)).toEqual([]);
  }, 30_000);
});
