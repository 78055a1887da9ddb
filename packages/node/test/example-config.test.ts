import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { basicAuth } from './collector-harness';
import { killHard, spawnCollector, type CollectorProcess } from './collector-process';

const CONFIG = fileURLToPath(new URL('../../../examples/collector/tailor.config.json', import.meta.url));

/** What `npm start` runs: the CLI with the example config, its TypeScript tracking plan loaded through tsx. */
describe('tailor collector --config examples/collector/tailor.config.json', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tailor-example-'));
  let running: CollectorProcess | undefined;
  afterAll(async () => {
    if (running) await killHard(running.child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, validates against the example plan, and stores what it accepts', async () => {
    running = await spawnCollector(['--config', CONFIG, '--port', '0', '--data-dir', dataDir]);
    const send = (body: unknown) =>
      fetch(`${running?.url}/v1/batch`, { method: 'POST', headers: { authorization: basicAuth('wk_demo_web_0123456789'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const response = await send({
      batch: [
        { type: 'track', event: 'Gift Card Purchased', messageId: 'g-1', anonymousId: 'a', properties: { amount: 25, currency: 'EUR' } },
        { type: 'track', event: 'Gift Card Purchased', messageId: 'g-2', anonymousId: 'a', properties: { amount: -1, currency: 'EUR' } },
        { type: 'track', event: 'Mystery', messageId: 'g-3', anonymousId: 'a' },
      ],
    });
    expect(response.status).toBe(207);
    const answer = (await response.json()) as { accepted: number; issues: Array<{ index: number; code: string; severity: string }> };
    expect(answer.accepted).toBe(2);
    expect(answer.issues.map((i) => [i.index, i.code, i.severity])).toEqual([
      [1, 'too_small', 'error'],
      [2, 'unplanned_event', 'warning'],
    ]);
    const pos = await fetch(`${running.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_demo_pos_0123456789abcdefghij', 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [{ type: 'track', event: 'Store Visited', messageId: 'p-1', userId: 'u-1', properties: { store_id: 's-1' }, context: { channel: 'pos', storeId: 's-1' } }] }),
    });
    expect(pos.status).toBe(200);
  }, 30_000);

  it('explains a bad config and exits non-zero', async () => {
    await expect(spawnCollector(['--config', CONFIG, '--port', '0', '--data-dir', dataDir, '--rate-limit', 'lots'])).rejects.toThrow(/--rate-limit takes requests per second/);
  });
});
