import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLmdbStore } from '../src/collector/lmdb-store';
import { basicAuth } from './collector-harness';
import { killHard, spawnCollector, type CollectorProcess } from './collector-process';

const KEY = 'wk_crash_0123456789';
const ROUNDS = 10;

/**
 * The promise that matters most: an event that got a 2xx is never lost, and retrying anything is never
 * stored twice — with the collector killed by SIGKILL at random moments under load.
 */
describe('collector killed with SIGKILL under load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tailor-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`stores every acknowledged event exactly once across ${ROUNDS} kills`, async () => {
    const acknowledged = new Set<string>();
    let unacknowledged: string[][] = [];
    let batchNo = 0;
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };

    for (let round = 0; round < ROUNDS; round++) {
      const collector: CollectorProcess = await spawnCollector(['--port', '0', '--data-dir', dataDir, '--write-key', KEY]);
      let alive = true;
      // Like a real client, first retry what was never acknowledged: some of it may already be stored.
      const retries = unacknowledged;
      unacknowledged = [];
      const sendBatch = async (ids: string[]) => {
        try {
          const response = await fetch(`${collector.url}/v1/batch`, {
            method: 'POST',
            headers: { authorization: basicAuth(KEY), 'content-type': 'application/json' },
            body: JSON.stringify({ batch: ids.map((id) => ({ type: 'track', event: 'Product Viewed', messageId: id, anonymousId: `a-${id}`, properties: { product_id: id } })) }),
          });
          if (response.status === 200) for (const id of ids) acknowledged.add(id);
          else unacknowledged.push(ids);
        } catch {
          unacknowledged.push(ids);
        }
      };
      const workers = Array.from({ length: 8 }, async (_, worker) => {
        for (const ids of retries.filter((_, i) => i % 8 === worker)) await sendBatch(ids);
        while (alive) {
          const size = 1 + Math.floor(random() * 20);
          const ids = Array.from({ length: size }, (_, i) => `b${batchNo}-${i}`);
          batchNo++;
          await sendBatch(ids);
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 150 + random() * 600));
      await killHard(collector.child);
      alive = false;
      await Promise.all(workers);
    }

    // Final round: deliver the leftovers, then stop cleanly.
    const last = await spawnCollector(['--port', '0', '--data-dir', dataDir, '--write-key', KEY]);
    for (const ids of unacknowledged) {
      const response = await fetch(`${last.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: basicAuth(KEY), 'content-type': 'application/json' },
        body: JSON.stringify({ batch: ids.map((id) => ({ type: 'track', event: 'Product Viewed', messageId: id, anonymousId: `a-${id}`, properties: { product_id: id } })) }),
      });
      expect(response.status).toBe(200);
      for (const id of ids) acknowledged.add(id);
    }
    await killHard(last.child);

    const store = createLmdbStore({ dataDir });
    const seen = new Map<string, number>();
    let previousSeq = 0;
    for (const stored of store.scan()) {
      expect(stored.seq).toBeGreaterThan(previousSeq);
      previousSeq = stored.seq;
      seen.set(stored.event.messageId, (seen.get(stored.event.messageId) ?? 0) + 1);
    }
    await store.close();
    const lost = [...acknowledged].filter((id) => !seen.has(id));
    const doubled = [...seen].filter(([, count]) => count > 1).map(([id]) => id);
    expect(acknowledged.size).toBeGreaterThan(ROUNDS * 10);
    expect(lost).toEqual([]);
    expect(doubled).toEqual([]);
    expect(seen.size).toBe(acknowledged.size);
  }, 240_000);
});
