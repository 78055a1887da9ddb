import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEventStoreContract, trackEvent } from '../../test-utils/src/event-store-contract';
import { describeWithClusterService, POSTGRES_URL, probeClusterServices } from '../../test-utils/src/cluster-services';
import { createLmdbStore } from '../src/collector/lmdb-store';
import { toAsyncEventStore } from '../src/storage/async-store';
import { migrate, openPool } from '../src/storage/postgres-connection';
import { createPostgresEventStore } from '../src/storage/postgres-event-store';
import { MIGRATIONS } from '../src/storage/postgres-migrations';
import { dropSchema, freshSchema } from './storage-helpers';

const gaps = await probeClusterServices();
const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

// The same async cases against the embedded store: the contract itself is checked against a known-good store.
runEventStoreContract('lmdb (through toAsyncEventStore)', async (options) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tailor-lmdb-async-'));
  const make = () => toAsyncEventStore(createLmdbStore({ dataDir, ...options }));
  return { store: make(), reopen: async () => make(), cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
});

describeWithClusterService(gaps.postgres, 'PostgreSQL event store', () => {
  runEventStoreContract('postgres', async (options) => {
    const schema = freshSchema();
    const make = () => createPostgresEventStore({ connectionString: POSTGRES_URL, schema, ...options });
    return { store: await make(), reopen: make, cleanup: () => dropSchema(schema) };
  });
});

describeWithClusterService(gaps.postgres, 'PostgreSQL event store: beyond the contract', () => {
  it('stores events whose strings hold NUL and other escapes verbatim', async () => {
    const schema = freshSchema();
    const store = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    try {
      const event = trackEvent('m\u0000nul', { properties: { note: 'a\u0000b', quote: '"\\', emoji: '✓ 👍' } });
      expect((await store.append('shop', [event, trackEvent('m\u0000nul')], T0)).seqs).toEqual([1, null]);
      expect((await store.read(0, 10))[0]?.event).toEqual(event.event);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it('applies migrations once: a second open of the same schema finds it current', async () => {
    const schema = freshSchema();
    const pool = await openPool('test', { connectionString: POSTGRES_URL }, schema);
    try {
      expect(await migrate(pool, schema)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(pool, schema)).toEqual([]);
      const versions = await pool.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(versions.rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await pool.end();
      await dropSchema(schema);
    }
  });

  it('appendAll stores several requests in order in one transaction, or none of them, without failing its neighbours', async () => {
    const schema = freshSchema();
    const store = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    try {
      const results = await store.appendAll([
        { sourceId: 'shop', events: [trackEvent('a1'), trackEvent('a2')], receivedAt: T0 },
        { sourceId: 'other', events: [trackEvent('b1')], receivedAt: T0 + 5 },
        { sourceId: 'shop', events: [trackEvent('a1')], receivedAt: T0 + 9 },
      ]);
      expect(results.map((r) => r.seqs)).toEqual([[1, 2], [3], [null]]);
      // A request PostgreSQL refuses (text cannot hold NUL: a source id the collector would never let through)
      // fails its whole unit; a request queued beside it in the same turn is stored on its own.
      const broken = store.appendAll([
        { sourceId: 'shop', events: [trackEvent('c1')], receivedAt: T0 },
        { sourceId: 'sh\u0000op', events: [trackEvent('c2')], receivedAt: T0 },
      ]);
      const neighbour = store.append('shop', [trackEvent('d1')], T0);
      await expect(broken).rejects.toThrow();
      expect((await neighbour).stored).toBe(1);
      expect((await store.read(0, 10)).map((e) => e.event.messageId)).toEqual(['a1', 'a2', 'b1', 'd1']);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it('keeps one log across two handles (two collector processes): seqs interleave without gaps or repeats', async () => {
    const schema = freshSchema();
    const a = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    const b = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    try {
      const appends = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).append('shop', [trackEvent(`m${i}`), trackEvent('shared')], T0));
      const results = await Promise.all(appends);
      expect(results.reduce((n, r) => n + r.stored, 0)).toBe(41);
      expect((await b.read(0, 100)).map((e) => e.seq)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
      expect(await a.lastSeq()).toBe(41);
    } finally {
      await a.close();
      await b.close();
      await dropSchema(schema);
    }
  });
});
