import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAsyncEventStoreContract } from '../../test-utils/src/async-event-store-contract';
import { trackEvent } from '../../test-utils/src/event-store-contract';
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
runAsyncEventStoreContract('lmdb (through toAsyncEventStore)', async (options) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tailor-lmdb-async-'));
  const make = () => toAsyncEventStore(createLmdbStore({ dataDir, ...options }));
  return { store: make(), reopen: async () => make(), cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
});

describeWithClusterService(gaps.postgres, 'PostgreSQL event store', () => {
  runAsyncEventStoreContract('postgres', async (options) => {
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
      expect(versions.rows.map((row) => row.version)).toEqual([1, 2]);
    } finally {
      await pool.end();
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
