import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLmdbStore } from '../src/collector/lmdb-store';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const ORDERS = 6_000;

const dir = mkdtempSync(join(tmpdir(), 'tailor-import-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startImport(args: readonly string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--conditions=tailor-source', '--import', 'tsx', CLI, 'import', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

/** Polls until the checkpoint records at least `rows` rows (the import is mid-file), then returns. */
async function waitForCheckpoint(importsDir: string, rows: number, exited: Promise<unknown>): Promise<number> {
  let finished = false;
  void exited.then(() => (finished = true));
  for (;;) {
    if (finished) throw new Error('the import finished before it could be killed; raise ORDERS');
    const file = existsSync(importsDir) ? readdirSync(importsDir).find((name) => name.endsWith('.checkpoint.json')) : undefined;
    if (file !== undefined) {
      try {
        const checkpoint = JSON.parse(readFileSync(join(importsDir, file), 'utf8')) as { rows: number };
        if (checkpoint.rows >= rows) return checkpoint.rows;
      } catch {
        // being renamed into place
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('tailor import as a real process', () => {
  it('killed with SIGKILL mid-file, then resumed: every order stored exactly once', async () => {
    const input = join(dir, 'orders.csv');
    const lines = ['order_id,placed_at,customer,sku,price,qty'];
    let rows = 0;
    for (let order = 0; order < ORDERS; order++) {
      for (let k = 0; k <= order % 4; k++) {
        lines.push(`O-${order},${new Date(Date.UTC(2025, 0, 1) + order * 60_000).toISOString()},c-${order % 500},S-${k},${(order % 50) + 1}.5,${k + 1}`);
        rows++;
      }
    }
    writeFileSync(input, `${lines.join('\n')}\n`);
    const mapping = join(dir, 'mapping.json');
    writeFileSync(mapping, JSON.stringify({
      event: 'Order Completed',
      timestamp: { column: 'placed_at' },
      identity: { userId: 'customer' },
      channel: { value: 'web' },
      groupBy: 'order_id',
      properties: { order_id: 'order_id', currency: { value: 'EUR' } },
      products: { sku: 'sku', price: { column: 'price', type: 'number' }, quantity: { column: 'qty', type: 'integer' } },
    }));
    const dataDir = join(dir, 'data');
    const args = ['--input', input, '--mapping', mapping, '--data-dir', dataDir, '--source', 'shop', '--batch-size', '20'];

    const first = startImport(args);
    const atKill = await waitForCheckpoint(join(dataDir, 'imports'), 2_000, first.done);
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(atKill).toBeLessThan(rows);

    const second = startImport([...args, '--resume']);
    const result = await second.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/resumed at line \d+/);
    expect(result.stderr).toContain(`rows read        ${rows}`);
    expect(result.stderr).toContain('import (KiB)');

    const store = createLmdbStore({ dataDir });
    try {
      const perOrder = new Map<string, number>();
      let products = 0;
      for (const stored of store.scan({ sourceId: 'shop' })) {
        const properties = stored.event.properties as { order_id: string; products: unknown[] };
        perOrder.set(properties.order_id, (perOrder.get(properties.order_id) ?? 0) + 1);
        products += properties.products.length;
      }
      expect(perOrder.size).toBe(ORDERS);
      expect([...perOrder.values()].every((count) => count === 1)).toBe(true);
      expect(products).toBe(rows);
    } finally {
      await store.close();
    }

    // A finished import says so and stores nothing more.
    const third = await startImport([...args, '--resume']).done;
    expect(third.code).toBe(0);
    expect(third.stderr).toContain('was already imported');
  }, 120_000);

  it('exits 2 with the problems of an invalid mapping', async () => {
    const mapping = join(dir, 'bad-mapping.json');
    writeFileSync(mapping, JSON.stringify({ event: 'Order Completed', timestamp: { column: 'at', format: 'HH:mm' }, identity: { userId: 'id' } }));
    const input = join(dir, 'tiny.csv');
    writeFileSync(input, 'id,at\n1,10:00\n');
    const run = await startImport(['--input', input, '--mapping', mapping, '--data-dir', join(dir, 'data2'), '--source', 'shop']).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('timestamp: timestamp format "HH:mm" has no year');
  }, 60_000);
});
