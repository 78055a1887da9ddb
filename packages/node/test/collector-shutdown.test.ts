import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLmdbStore } from '../src/collector/lmdb-store';
import { basicAuth } from './collector-harness';
import { spawnCollector } from './collector-process';

const KEY = 'wk_shutdown_0123456789';

describe('graceful shutdown (SIGTERM)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tailor-shutdown-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers the requests in flight, stores what it acknowledged, and exits 0', async () => {
    const collector = await spawnCollector(['--port', '0', '--data-dir', dataDir, '--write-key', KEY]);
    const exited = new Promise<number | null>((resolve) => collector.child.once('exit', (code) => resolve(code)));
    const acknowledged: string[] = [];
    const outcomes: string[] = [];
    const requests = Array.from({ length: 40 }, async (_, i) => {
      const ids = Array.from({ length: 50 }, (_, j) => `s-${i}-${j}`);
      try {
        const response = await fetch(`${collector.url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: basicAuth(KEY), 'content-type': 'application/json' },
          body: JSON.stringify({ batch: ids.map((id) => ({ type: 'page', messageId: id, anonymousId: 'a' })) }),
        });
        outcomes.push(String(response.status));
        if (response.status === 200) acknowledged.push(...ids);
      } catch {
        outcomes.push('refused');
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    collector.child.kill('SIGTERM');
    await Promise.all(requests);
    expect(await exited).toBe(0);
    // Requests already being handled are answered; later ones find the port closed, never a half answer.
    expect(outcomes.every((outcome) => outcome === '200' || outcome === 'refused')).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(0);
    const store = createLmdbStore({ dataDir });
    const stored = new Set([...store.scan()].map((event) => event.event.messageId));
    await store.close();
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  }, 30_000);
});
