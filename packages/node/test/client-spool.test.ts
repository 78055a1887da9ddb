import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLmdbStore } from '../src/collector/lmdb-store';
import { killHard, spawnCollector, type CollectorProcess } from './collector-process';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GATEWAY = fileURLToPath(new URL('./fixtures/pos-gateway.ts', import.meta.url));
const SECRET_KEY = 'sk_store_42_0123456789abcdefghij';

interface Ack {
  readonly register: number;
  readonly run: number;
  readonly n: number;
  readonly messageId: string;
  readonly lag: number;
}

/** A POS gateway child process and what it printed so far, with waits on its output (never on the clock). */
function startGateway(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=tailor-source', '--import', 'tsx', GATEWAY, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Ack[] = [];
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const watchers = new Set<() => void>();
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const text = partial + chunk;
    const complete = text.split('\n');
    partial = complete.pop() ?? ''; // a line cut by SIGKILL is not an acknowledgement
    for (const line of complete) {
      lines.push(line);
      const [word, register, run, n, messageId, lag] = line.split(' ');
      if (word === 'ack') acks.push({ register: Number(register), run: Number(run), n: Number(n), messageId: messageId as string, lag: Number(lag) });
    }
    for (const watcher of watchers) watcher();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  function until(condition: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) {
          watchers.delete(check);
          resolve();
        }
      };
      watchers.add(check);
      void exited.then((code) => {
        if (!condition()) reject(new Error(`the gateway exited (${code}) before ${what}:\n${stderr}`));
      });
      check();
    });
  }
  return { child, acks, lines, exited, until, stderr: () => stderr };
}

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

/**
 * Store-and-forward through failures: a POS gateway (real child process, spooled client) keeps recording
 * sales while the collector is SIGKILLed, is SIGKILLed itself with a full spool, and after both restart every
 * sale it acknowledged is stored exactly once, in order per register.
 */
describe('POS gateway spool survives a killed collector and a killed gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tailor-pos-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every acknowledged sale exactly once, in order per register', async () => {
    const dataDir = join(dir, 'collector');
    const spoolDir = join(dir, 'spool');
    const config = join(dir, 'collector.json');
    writeFileSync(config, JSON.stringify({ sources: [{ id: 'store-42', secretKeys: [SECRET_KEY], requireSignature: true, rateLimit: { perSecond: 100_000, burst: 100_000 } }] }));
    // The gateway's endpoint must stay the same across the collector's restart.
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const collectorArgs = ['--config', config, '--port', String(port), '--data-dir', dataDir];
    const gatewayArgs = (run: number) => ['--endpoint', endpoint, '--spool', spoolDir, '--secret', SECRET_KEY, '--run', String(run), '--registers', '3'];
    const acked: Ack[] = [];

    let collector: CollectorProcess | undefined = await spawnCollector(collectorArgs);
    const first = startGateway(gatewayArgs(1));
    try {
      await first.until(() => first.acks.length >= 150, '150 sales were acknowledged');
      await killHard(collector.child);
      collector = undefined;
      const atOutage = first.acks.length;
      // The link is down: the tills keep recording and the gateway keeps acknowledging from its spool.
      await first.until(() => first.acks.length >= atOutage + 150, 'the gateway acknowledged sales during the outage');
      await killHard(first.child);
      acked.push(...first.acks);
      expect(first.acks.at(-1)?.lag).toBeGreaterThan(0);

      // The gateway comes back first, still cut off: its spool kept what the collector never got.
      const second = startGateway([...gatewayArgs(2), '--sales', '40', '--then', 'exit']);
      await second.until(() => second.lines.some((line) => line.startsWith('ready ')), 'it started');
      const lagAtStart = Number(second.lines.find((line) => line.startsWith('ready '))?.split('=')[1]);
      expect(lagAtStart).toBeGreaterThan(0);
      collector = await spawnCollector(collectorArgs);
      await second.until(() => second.lines.includes('closed'), 'it flushed its spool and closed');
      expect(await second.exited).toBe(0);
      acked.push(...second.acks);
      const stats = JSON.parse(second.lines.find((line) => line.startsWith('flushed '))?.slice('flushed '.length) ?? '{}') as { lag: number };
      expect(stats.lag).toBe(0);
    } finally {
      await killHard(first.child);
      if (collector) await killHard(collector.child);
    }

    const store = createLmdbStore({ dataDir });
    const stored = [...store.scan({ sourceId: 'store-42' })];
    await store.close();
    const count = new Map<string, number>();
    for (const { event } of stored) count.set(event.messageId, (count.get(event.messageId) ?? 0) + 1);
    const lost = acked.filter((ack) => !count.has(ack.messageId));
    const doubled = [...count].filter(([, times]) => times > 1);
    expect(acked.length).toBeGreaterThanOrEqual(300 + 3 * 40);
    expect(lost).toEqual([]);
    expect(doubled).toEqual([]);
    // Order per register: in the collector's log, each till's sales come in the order they were rung up.
    for (const register of [0, 1, 2]) {
      const sequence = stored
        .map(({ event }) => event.properties as { register: number; run: number; n: number })
        .filter((sale) => sale.register === register)
        .map((sale) => sale.run * 1e9 + sale.n);
      expect(sequence.length).toBeGreaterThan(40);
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    }
  }, 120_000);
});
