import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { keyPart } from '../collector/lmdb-store';
import { staleProjection, type JournalEntry, type ProjectionWrite } from '../collector/profile-store';
import type { Profile } from '../collector/types';
import type { AsyncCollectorStore, AsyncProfileStore } from './async-store';
import type { ProfileLookups } from './redis-profile-cache';
import { inTransaction, migrate, openPool, resolveSchema } from './postgres-connection';
import { createEventStoreOnPool, unavailable, type PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store';

/** Rows per page when the journal or the tombstones are replayed (a projector rebuilding its graphs). */
const REPLAY_PAGE = 5_000;
const APPLIED = 'applied';
const SALT = 'id-salt';

type Tombstone = { readonly sourceId: string; readonly key: string; readonly at: number };

/** The PostgreSQL store: the event log, and a profile store with the raw lookups a Redis cache builds on. */
export interface PostgresStore extends AsyncCollectorStore, Pick<PostgresEventStore, 'appendAll'> {
  readonly profiles: AsyncProfileStore & ProfileLookups;
}

/**
 * Opens the shared store of cluster mode in PostgreSQL: the event log and the profile store (profiles,
 * identifier keys, aliases of merged profiles, identity journal, event index, tombstones) in one schema, so a
 * projection step that erases a person's log entries commits with them in one transaction.
 *
 * @example
 * const store = await createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:5432/tailor' });
 * const profile = await store.profiles.findProfile('shop', 'userId:u1');
 */
export async function createPostgresStore(options: PostgresEventStoreOptions): Promise<PostgresStore> {
  const schema = resolveSchema('createPostgresStore', options?.schema);
  const pool = await openPool('createPostgresStore', options, schema);
  try {
    await migrate(pool, schema);
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw unavailable('createPostgresStore', cause);
  }
  const store = createPostgresProfileStore(pool);
  const events = createEventStoreOnPool(options, { pool, schema, countProfiles: () => store.count() });
  // close() ends the shared pool: let it wait for projection commits in flight, as it waits for appends.
  const commits = new Set<Promise<void>>();
  const profiles: AsyncProfileStore & ProfileLookups = {
    ...store,
    commit(write, commitOptions) {
      const done = store.commit(write, commitOptions);
      const tracked = done.finally(() => commits.delete(tracked)).catch(() => undefined);
      commits.add(tracked);
      return done;
    },
  };
  return {
    ...events,
    profiles,
    async close() {
      await Promise.all([...commits]);
      await events.close();
    },
  };
}

/** The profile store on a pool whose schema is migrated; {@link createPostgresStore} is the public way in. */
export function createPostgresProfileStore(pool: Pool): AsyncProfileStore & ProfileLookups {
  let salt: string | undefined;

  async function* pages<Row, T>(sql: string, next: (last: Row) => unknown[], first: unknown[], map: (row: Row) => T): AsyncGenerator<T> {
    let params = first;
    for (;;) {
      const page = await pool.query<Row & Record<string, unknown>>(sql, [...params, REPLAY_PAGE]);
      for (const row of page.rows) yield map(row);
      if (page.rows.length < REPLAY_PAGE) return;
      params = next(page.rows[page.rows.length - 1] as Row);
    }
  }

  const first = async (sql: string, params: unknown[]) => (await pool.query<{ v: string }>(sql, params)).rows[0]?.v;

  return {
    async loadProfile(sourceId, profileId) {
      const result = await pool.query<{ profile: Profile }>('SELECT profile FROM profiles WHERE source_key = $1 AND id_key = $2', [keyPart(sourceId), keyPart(profileId)]);
      return result.rows[0]?.profile;
    },

    lookupKey: (sourceId, key) => first(`SELECT profile_id AS v FROM profile_keys WHERE source_key = $1 AND kind = 'k' AND key = $2`, [keyPart(sourceId), keyPart(key)]),

    lookupAlias: (sourceId, retiredId) =>
      first(`SELECT profile_id AS v FROM profile_keys WHERE source_key = $1 AND kind = 'r' AND key = $2`, [keyPart(sourceId), keyPart(retiredId)]),

    async getProfile(sourceId, profileId) {
      const result = await pool.query<{ profile: Profile }>(
        `SELECT profile FROM profiles WHERE source_key = $1 AND id_key = $2
         UNION ALL
         SELECT p.profile FROM profile_keys r JOIN profiles p ON p.source_key = r.source_key AND p.id_key = r.profile_key
         WHERE r.source_key = $1 AND r.kind = 'r' AND r.key = $2
         LIMIT 1`,
        [keyPart(sourceId), keyPart(profileId)],
      );
      return result.rows[0]?.profile;
    },

    async findProfile(sourceId, identifierKey) {
      const result = await pool.query<{ profile: Profile }>(
        `WITH target AS (SELECT profile_key FROM profile_keys WHERE source_key = $1 AND kind = 'k' AND key = $2)
         SELECT p.profile FROM target t JOIN profiles p ON p.source_key = $1 AND p.id_key = t.profile_key
         UNION ALL
         SELECT p.profile FROM target t
           JOIN profile_keys r ON r.source_key = $1 AND r.kind = 'r' AND r.key = t.profile_key
           JOIN profiles p ON p.source_key = $1 AND p.id_key = r.profile_key
         LIMIT 1`,
        [keyPart(sourceId), keyPart(identifierKey)],
      );
      return result.rows[0]?.profile;
    },

    async appliedSeq() {
      const result = await pool.query<{ value: string }>('SELECT value FROM profile_meta WHERE key = $1', [APPLIED]);
      return Number(result.rows[0]?.value ?? 0);
    },

    journal: () =>
      pages<{ source_key: string; seq: string; source_id: string; event: JournalEntry['event'] }, JournalEntry>(
        `SELECT source_key, seq, source_id, event FROM identity_journal WHERE (source_key, seq) > ($1, $2) ORDER BY source_key, seq LIMIT $3`,
        (last) => [last.source_key, last.seq],
        ['', 0],
        (row) => ({ sourceId: row.source_id, seq: Number(row.seq), event: row.event }),
      ),

    tombstones: () =>
      pages<{ source_key: string; key: string; tombstone: Tombstone }, Tombstone>(
        `SELECT source_key, key, tombstone FROM identity_tombstones WHERE (source_key, key) > ($1, $2) ORDER BY source_key, key LIMIT $3`,
        (last) => [last.source_key, last.key],
        ['', ''],
        (row) => row.tombstone,
      ),

    async eventSeqs(sourceId, key) {
      const result = await pool.query<{ seq: string }>('SELECT seq FROM identity_events WHERE source_key = $1 AND key = $2 ORDER BY seq', [
        keyPart(sourceId),
        keyPart(key),
      ]);
      return result.rows.map((row) => Number(row.seq));
    },

    // Every commit is flushed (synchronous_commit decides), so `durable: false` changes nothing here.
    commit: (write) => inTransaction(pool, (client) => writeProjection(client, write)),

    async count() {
      const result = await pool.query<{ n: string }>('SELECT count(*) AS n FROM profiles');
      return Number(result.rows[0]?.n ?? 0);
    },

    async idSalt() {
      if (salt !== undefined) return salt;
      // The conditional insert keeps a racing second process harmless: both read the one salt that won.
      await pool.query('INSERT INTO profile_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [SALT, randomBytes(16).toString('hex')]);
      const result = await pool.query<{ value: string }>('SELECT value FROM profile_meta WHERE key = $1', [SALT]);
      salt = result.rows[0]?.value as string;
      return salt;
    },
  };
}

/**
 * Locks the applied row for the rest of the commit's transaction and fails unless it holds `expected`: a second
 * projector committing the same range waits here, then sees the first one's seq and fails without writing.
 */
async function expectApplied(client: PoolClient, expected: number): Promise<void> {
  const locked = () => client.query<{ value: string }>('SELECT value FROM profile_meta WHERE key = $1 FOR UPDATE', [APPLIED]);
  let row = (await locked()).rows[0];
  if (row === undefined) {
    // Nothing applied yet, so no row to lock: create it (0), which makes a racing committer wait on our insert.
    await client.query(`INSERT INTO profile_meta (key, value) VALUES ($1, '0') ON CONFLICT (key) DO NOTHING`, [APPLIED]);
    row = (await locked()).rows[0];
  }
  const current = Number(row?.value ?? 0);
  if (current !== expected) throw staleProjection(expected, current);
}

/** The last row of each primary key (its first `keyColumns` columns): ON CONFLICT DO UPDATE may touch a row once per statement. */
function lastByKey(rows: ReadonlyArray<readonly unknown[]>, keyColumns: number): Array<readonly unknown[]> {
  return [...new Map(rows.map((row) => [JSON.stringify(row.slice(0, keyColumns)), row])).values()];
}

/*
 * Rows travel as one typed array per column through unnest(): json_to_recordset would be one parameter, but
 * it refuses a `\u0000` anywhere in the document, and profiles and events may hold one. json[] elements
 * are parsed by the json type, which keeps it.
 */

/** Applies one projection step in the order of the LMDB store: for each table, removes before puts. */
async function writeProjection(client: PoolClient, write: ProjectionWrite): Promise<void> {
  if (write.expectAppliedSeq !== undefined) await expectApplied(client, write.expectAppliedSeq);
  const run = async (sql: string, rows: ReadonlyArray<readonly unknown[]>) => {
    if (rows.length === 0) return;
    const columns = (rows[0] as readonly unknown[]).map((_, i) => rows.map((row) => row[i]));
    await client.query(sql, columns);
  };
  const source = (sourceId: string) => keyPart(sourceId);

  await run(
    'DELETE FROM profiles WHERE (source_key, id_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
    (write.removeProfiles ?? []).map(({ sourceId, id }) => [source(sourceId), keyPart(id)]),
  );
  await run(
    `INSERT INTO profiles (source_key, id_key, profile) SELECT * FROM unnest($1::text[], $2::text[], $3::json[])
     ON CONFLICT (source_key, id_key) DO UPDATE SET profile = EXCLUDED.profile`,
    lastByKey((write.putProfiles ?? []).map((profile) => [source(profile.sourceId), keyPart(profile.id), JSON.stringify(profile)]), 2),
  );
  await run('DELETE FROM profile_keys WHERE (source_key, kind, key) IN (SELECT * FROM unnest($1::text[], $2::"char"[], $3::text[]))', [
    ...(write.removeKeys ?? []).map(({ sourceId, key }) => [source(sourceId), 'k', keyPart(key)]),
    ...(write.removeAliases ?? []).map(({ sourceId, retiredId }) => [source(sourceId), 'r', keyPart(retiredId)]),
  ]);
  await run(
    `INSERT INTO profile_keys (source_key, kind, key, profile_id, profile_key) SELECT * FROM unnest($1::text[], $2::"char"[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (source_key, kind, key) DO UPDATE SET profile_id = EXCLUDED.profile_id, profile_key = EXCLUDED.profile_key`,
    lastByKey(
      [
        ...(write.putKeys ?? []).map(({ sourceId, key, profileId }) => [source(sourceId), 'k', keyPart(key), profileId, keyPart(profileId)]),
        ...(write.putAliases ?? []).map(({ sourceId, retiredId, profileId }) => [source(sourceId), 'r', keyPart(retiredId), profileId, keyPart(profileId)]),
      ],
      3,
    ),
  );
  await run(
    'DELETE FROM identity_journal WHERE (source_key, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))',
    (write.removeJournal ?? []).map(({ sourceId, seq }) => [source(sourceId), seq]),
  );
  await run(
    `INSERT INTO identity_journal (source_key, seq, source_id, event) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::json[])
     ON CONFLICT (source_key, seq) DO UPDATE SET source_id = EXCLUDED.source_id, event = EXCLUDED.event`,
    lastByKey((write.putJournal ?? []).map(({ sourceId, seq, event }) => [source(sourceId), seq, sourceId, JSON.stringify(event)]), 2),
  );
  await run(
    'DELETE FROM identity_events WHERE (source_key, key, seq) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]))',
    (write.removeEventIndex ?? []).map(({ sourceId, key, seq }) => [source(sourceId), keyPart(key), seq]),
  );
  await run(
    'INSERT INTO identity_events (source_key, key, seq) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING',
    (write.putEventIndex ?? []).map(({ sourceId, key, seq }) => [source(sourceId), keyPart(key), seq]),
  );
  await run(
    `INSERT INTO identity_tombstones (source_key, key, tombstone) SELECT * FROM unnest($1::text[], $2::text[], $3::json[])
     ON CONFLICT (source_key, key) DO UPDATE SET tombstone = EXCLUDED.tombstone`,
    lastByKey((write.putTombstones ?? []).map(({ sourceId, key, at }) => [source(sourceId), keyPart(key), JSON.stringify({ sourceId, key, at })]), 2),
  );
  if (write.removeLog !== undefined && write.removeLog.length > 0) {
    await client.query('DELETE FROM events WHERE seq = ANY($1::bigint[])', [write.removeLog.map((seq) => Math.floor(seq))]);
  }
  if (write.appliedSeq !== undefined) {
    await client.query(
      `INSERT INTO profile_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE
       SET value = GREATEST(profile_meta.value::bigint, EXCLUDED.value::bigint)::text`,
      [APPLIED, String(write.appliedSeq)],
    );
  }
}
