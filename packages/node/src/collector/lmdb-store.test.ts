import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTailorError, type SegmentEvent } from '@tailor/core';
import fc from 'fast-check';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { trackEvent } from '../../../test-utils/src/event-store-contract';
import { createLmdbStore, type LmdbStore } from './lmdb-store';
import type { EventStore, Profile } from './types';

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const WRITER = fileURLToPath(new URL('../../test/fixtures/lmdb-writer.ts', import.meta.url));

function profile(sourceId: string, id: string): Profile {
  return { id, sourceId, identifiers: [], mergedIds: [], anonymousIds: [], traits: {}, firstSeen: T0, lastSeen: T0, counts: {}, events: {}, history: [] };
}

function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tailor-lmdb-'));
}

// The event-store contract runs against this store (through toAsyncEventStore) in test/storage-event-store.test.ts.

describe('createLmdbStore', () => {
  const dirs: string[] = [];
  const stores: EventStore[] = [];
  function tempDir(): string {
    const dir = makeTempDir();
    dirs.push(dir);
    return dir;
  }
  function openStore(dataDir: string): LmdbStore {
    const store = createLmdbStore({ dataDir });
    stores.push(store);
    return store;
  }
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function storageError(run: () => unknown): { code: string; message: string } {
    try {
      run();
    } catch (error) {
      expect(isTailorError(error)).toBe(true);
      return error as { code: string; message: string };
    }
    throw new Error('expected a TailorError');
  }

  it('stores each (source, messageId) exactly once with gap-free seqs, for any mix of duplicates and concurrency', async () => {
    const batch = fc.record({ source: fc.constantFrom('a', 'b'), ids: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 8 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 4 }), async (batches, concurrency) => {
        const dataDir = makeTempDir();
        const store = createLmdbStore({ dataDir });
        try {
          const bySeq = new Map<number, string>();
          for (let i = 0; i < batches.length; i += concurrency) {
            const group = batches.slice(i, i + concurrency);
            const results = await Promise.all(group.map(({ source, ids }) => store.append(source, ids.map((id) => trackEvent(`m${id}`)), T0)));
            results.forEach((result, g) => {
              const { source, ids } = group[g]!;
              expect(result.seqs).toHaveLength(ids.length);
              result.seqs.forEach((seq, k) => seq !== null && bySeq.set(seq, `${source}/m${ids[k]}`));
            });
          }
          const expected = new Set(batches.flatMap(({ source, ids }) => ids.map((id) => `${source}/m${id}`)));
          const logged = [...store.scan()].map((e) => [e.seq, `${e.sourceId}/${e.event.messageId}`] as const);
          expect(logged.map(([seq]) => seq)).toEqual(Array.from({ length: expected.size }, (_, i) => i + 1));
          expect(new Set(logged.map(([, key]) => key))).toEqual(expected);
          expect(new Map(logged)).toEqual(bySeq);
        } finally {
          await store.close();
          rmSync(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  });

  it('commits 1,000 concurrent single-event appends in a handful of transactions (group commit)', async () => {
    const dataDir = tempDir();
    const store = openStore(dataDir);
    // A second handle on the same environment, only to read LMDB's transaction counter.
    const peek = open({ path: dataDir, noSubdir: false });
    try {
      const txnId = () => (peek.getStats() as { lastTxnId: number }).lastTxnId;
      const before = txnId();
      const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) => store.append('shop', [trackEvent(`m${i}`)], T0)));
      expect(results.filter((r) => r.stored === 1)).toHaveLength(1_000);
      expect(txnId() - before).toBeLessThanOrEqual(10);
      expect(store.lastSeq()).toBe(1_000);
    } finally {
      await peek.close();
    }
  });

  it('keeps ids apart that differ only in NUL or escape characters, and handles ids longer than an LMDB key', async () => {
    const store = openStore(tempDir());
    const long = 'x'.repeat(1_000);
    const ids = ['a\u0000b', 'a\u0001\u0001b', 'a\u0001b', 'a\u0001\u0002b', long, `${long}y`];
    expect((await store.append('sh\u0000op', ids.map((id) => trackEvent(id)), T0)).stored).toBe(6);
    expect((await store.append('sh\u0000op', ids.map((id) => trackEvent(id)), T0)).stored).toBe(0);
    expect((await store.append('sh\u0001\u0001op', [trackEvent('a\u0000b')], T0)).stored).toBe(1);
    await store.profiles.commit({ putKeys: [{ sourceId: 'sh\u0000op', key: `anonymousId:a${long}`, profileId: 'p1' }], putProfiles: [profile('sh\u0000op', 'p1')] });
    expect(store.profiles.findProfile('sh\u0000op', `anonymousId:a${long}`)?.id).toBe('p1');
    expect(store.profiles.findProfile('sh\u0001\u0001op', `anonymousId:a${long}`)).toBeUndefined();
  });

  it('reports sizes and counts in stats()', async () => {
    const store = openStore(tempDir());
    expect(store.stats()).toMatchObject({ events: 0, firstSeq: 0, lastSeq: 0, dedupEntries: 0, profiles: 0 });
    await store.append('shop', [trackEvent('m1', { anonymousId: 'a1' }), trackEvent('m2', { anonymousId: 'a2' })], T0);
    const stats = store.stats();
    expect(stats).toMatchObject({ events: 2, firstSeq: 1, lastSeq: 2, dedupEntries: 2, profiles: 0 }); // profiles are projected later
    expect(stats.bytes).toBeGreaterThan(0);
  });

  it('throws storage_unavailable naming the directory when it cannot be created', () => {
    const parent = tempDir();
    writeFileSync(join(parent, 'not-a-dir'), 'x');
    const dataDir = join(parent, 'not-a-dir', 'store');
    const error = storageError(() => createLmdbStore({ dataDir }));
    expect(error.code).toBe('storage_unavailable');
    expect(error.message).toContain(dataDir);
    expect(error.message).toContain('writable');
  });

  it('throws storage_unavailable instead of crashing on a data file that is not LMDB', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'data.mdb'), 'this is not an LMDB file\n'.repeat(1_000));
    const error = storageError(() => createLmdbStore({ dataDir }));
    expect(error.code).toBe('storage_unavailable');
    expect(error.message).toContain('not an LMDB data file');
    expect(error.message).toContain(dataDir);
  });

  it('throws storage_unavailable instead of crashing on a truncated data file', async () => {
    const dataDir = tempDir();
    const store = createLmdbStore({ dataDir });
    await store.append('shop', Array.from({ length: 200 }, (_, i) => trackEvent(`m${i}`, { properties: { pad: 'p'.repeat(200) } })), T0);
    await store.close();
    truncateSync(join(dataDir, 'data.mdb'), 4_096);
    const error = storageError(() => createLmdbStore({ dataDir }));
    expect(error.code).toBe('storage_unavailable');
    expect(error.message).toContain('truncated');
  });

  it('loses no acknowledged event and duplicates none when the writer is killed with SIGKILL, round after round', async () => {
    const dataDir = tempDir();
    const acked = new Set<string>();
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      // Past a random number of acks, kill after a random 0-25 ms: that lands anywhere in the commit cycle
      // (mid-transaction, between commit and flush, between flush and the ack). No assertion depends on timing.
      const killAfter = 1 + (round + 1) * 300 + Math.floor(Math.random() * 600);
      for (const id of await runWriterUntilKilled(dataDir, killAfter, Math.random() * 25)) acked.add(id);
    }
    const store = openStore(dataDir);
    const logged = [...store.scan({ sourceId: 'crash' })];
    const ids = logged.map((e) => e.event.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...acked].filter((id) => !ids.includes(id))).toEqual([]);
    expect(logged.map((e) => e.seq)).toEqual(Array.from({ length: logged.length }, (_, i) => i + 1));
    expect(acked.size).toBeGreaterThan(rounds * 300);
    // The dedup index survived every kill: sending everything again stores nothing.
    const again = await store.append('crash', [...acked].map((id) => ({ messageId: id, event: { type: 'track', messageId: id, anonymousId: 'x', event: 'E' } as SegmentEvent })), T0);
    expect(again.stored).toBe(0);
  }, 120_000);
});

/** Runs the writer fixture on `dataDir`, SIGKILLs it `delayMs` after its `killAfter`th ack, and returns the acknowledged ids. */
function runWriterUntilKilled(dataDir: string, killAfter: number, delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=tailor-source', '--import', 'tsx', WRITER, dataDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let pending = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
      if (acked.length >= killAfter && timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`lmdb-writer exited by itself (code ${String(code)}) before it was killed: ${stderr}`));
    });
  });
}
