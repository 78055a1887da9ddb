/*
 * How the PostgreSQL log keeps the EventStore promises:
 * - Durable on commit: sessions run with synchronous_commit = on, so `append` resolves after the WAL flush.
 * - Group commit: appends queued while a transaction is in flight go into the next one (one per process at a
 *   time), so 1,000 concurrent single-event appends cost a few commits, not 1,000.
 * - Seqs without gaps or reordering: a transaction takes the `log_head` row lock before it assigns seqs and
 *   holds it until COMMIT, so commits happen in seq order across every collector process. A reader that sees
 *   seq n therefore sees every seq below it, and a sink cursor (`read(after)`) never skips a late commit.
 *   (A bigserial would hand out seqs before commit order is known: a reader could pass seq 5 while the
 *   transaction holding it is still open.) The price is one appending transaction at a time per database.
 * - Dedup under the same lock: the (source, messageId) check and the insert cannot interleave with another
 *   append, in this process or another.
 */
import { TailorError } from '@tailor/core';
import type { Pool, PoolClient } from 'pg';
import { keyPart } from '../collector/lmdb-store';
import type { AppendResult, IngestedEvent, RetentionPolicy, StoredEvent, StoreStats } from '../collector/types';
import type { AsyncEventStore } from './async-store';
import { inTransaction, migrate, openPool, resolveSchema, type PostgresConnectionOptions } from './postgres-connection';

export interface PostgresEventStoreOptions extends PostgresConnectionOptions {
  /** How long a (sourceId, messageId) suppresses duplicates. Default 24 hours. */
  readonly dedupWindowMs?: number;
  /** Clock for dedup-window checks in `append`; tests inject one. */
  readonly clock?: { now(): number };
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Events per scan page: bounds memory without a server-side cursor (which would pin a connection). */
const SCAN_PAGE = 1_000;
/** Appends per transaction: bounds the statement size when a burst queues up. */
const MAX_BATCH = 500;

interface PendingAppend {
  readonly sourceId: string;
  readonly events: readonly IngestedEvent[];
  readonly receivedAt: number;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface EventRow {
  readonly seq: string;
  readonly source_id: string;
  readonly received_at: string;
  readonly event: StoredEvent['event'];
}

/** Internal hooks for {@link createPostgresStore}, which shares the pool with the profile store. */
export interface PostgresEventStoreParts {
  readonly pool: Pool;
  readonly schema: string;
  readonly countProfiles?: () => Promise<number>;
}

/**
 * Opens (creating or migrating) the event log in PostgreSQL: the shared store of cluster mode.
 * Reads are asynchronous, so it implements {@link AsyncEventStore}, not the embedded `EventStore`.
 *
 * @example
 * const log = await createPostgresEventStore({ connectionString: 'postgres://postgres@127.0.0.1:5432/tailor' });
 * const { seqs } = await log.append('shop', [{ messageId: 'm1', event }], Date.now()); // durable once resolved
 */
export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<AsyncEventStore> {
  const schema = resolveSchema('createPostgresEventStore', options?.schema);
  const pool = await openPool('createPostgresEventStore', options, schema);
  try {
    await migrate(pool, schema);
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw unavailable('createPostgresEventStore', cause);
  }
  return createEventStoreOnPool(options, { pool, schema });
}

export function unavailable(caller: string, cause: unknown): TailorError {
  const problem = cause instanceof Error ? cause.message : String(cause);
  return new TailorError(
    'storage_unavailable',
    `${caller}: cannot open the PostgreSQL store: ${problem}. Check that the server in "connectionString" is running and that its user may create a schema.`,
    { cause },
  );
}

export function createEventStoreOnPool(options: PostgresEventStoreOptions, parts: PostgresEventStoreParts): AsyncEventStore {
  const windowMs = options.dedupWindowMs ?? DAY_MS;
  if (!(windowMs >= 0)) throw new TailorError('invalid_options', 'createPostgresEventStore: "dedupWindowMs" must be a number >= 0');
  const clock = options.clock ?? { now: () => Date.now() };
  const { pool } = parts;
  let closed = false;
  let queue: PendingAppend[] = [];
  let draining: Promise<void> | undefined;

  function assertOpen(method: string): void {
    if (closed) throw new TailorError('storage_unavailable', `PostgresEventStore.${method}: the store is closed; open it again with createPostgresEventStore()`);
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(MAX_BATCH);
      try {
        const results = await inTransaction(pool, (client) => writeBatch(client, batch));
        batch.forEach((pending, i) => pending.resolve(results[i] as AppendResult));
      } catch (error) {
        if (batch.length === 1) {
          batch[0]?.reject(error);
          continue;
        }
        // One bad request must not fail the others that shared its transaction: retry each on its own.
        await appendOneByOne(batch);
      }
    }
    draining = undefined;
  }

  async function appendOneByOne(batch: readonly PendingAppend[]): Promise<void> {
    for (const pending of batch) {
      try {
        pending.resolve((await inTransaction(pool, (client) => writeBatch(client, [pending])))[0] as AppendResult);
      } catch (error) {
        pending.reject(error);
      }
    }
  }

  async function writeBatch(client: PoolClient, batch: readonly PendingAppend[]): Promise<AppendResult[]> {
    const head = await client.query<{ last_seq: string }>('SELECT last_seq FROM log_head WHERE id = 1 FOR UPDATE');
    let seq = Number(head.rows[0]?.last_seq ?? 0);
    const dedupKey = (sourceKey: string, messageKey: string) => `${sourceKey}\u0000${messageKey}`;
    const sources: string[] = [];
    const messages: string[] = [];
    for (const pending of batch) {
      const sourceKey = keyPart(pending.sourceId);
      for (const { messageId } of pending.events) {
        sources.push(sourceKey);
        messages.push(keyPart(messageId));
      }
    }
    const seen = await client.query<{ source_key: string; message_key: string; received_at: string }>(
      'SELECT source_key, message_key, received_at FROM dedup WHERE (source_key, message_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
      [sources, messages],
    );
    const lastSeen = new Map(seen.rows.map((row) => [dedupKey(row.source_key, row.message_key), Number(row.received_at)]));
    const now = clock.now();
    const rows: Array<{ seq: number; source_id: string; received_at: number; event: unknown }> = [];
    const dedupRows = new Map<string, { source_key: string; message_key: string; received_at: number; seq: number }>();
    let at = 0;
    const results = batch.map((pending): AppendResult => {
      const seqs: Array<number | null> = [];
      for (const { event } of pending.events) {
        const source_key = sources[at] as string;
        const message_key = messages[at++] as string;
        const key = dedupKey(source_key, message_key);
        const previous = lastSeen.get(key);
        if (previous !== undefined && now - previous < windowMs) {
          seqs.push(null);
          continue;
        }
        seq++;
        rows.push({ seq, source_id: pending.sourceId, received_at: pending.receivedAt, event });
        lastSeen.set(key, pending.receivedAt);
        dedupRows.set(key, { source_key, message_key, received_at: pending.receivedAt, seq });
        seqs.push(seq);
      }
      const stored = seqs.filter((s) => s !== null).length;
      return { seqs, stored, duplicates: seqs.length - stored };
    });
    if (rows.length === 0) return results;
    // One typed array per column: json_to_recordset would refuse a \u0000 anywhere in the batch; json[] keeps it.
    await client.query('INSERT INTO events (seq, source_id, received_at, event) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::json[])', [
      rows.map((row) => row.seq),
      rows.map((row) => row.source_id),
      rows.map((row) => row.received_at),
      rows.map((row) => JSON.stringify(row.event)),
    ]);
    const claims = [...dedupRows.values()];
    await client.query(
      `INSERT INTO dedup (source_key, message_key, received_at, seq) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
       ON CONFLICT (source_key, message_key) DO UPDATE SET received_at = EXCLUDED.received_at, seq = EXCLUDED.seq`,
      [claims.map((c) => c.source_key), claims.map((c) => c.message_key), claims.map((c) => c.received_at), claims.map((c) => c.seq)],
    );
    await client.query('UPDATE log_head SET last_seq = $1 WHERE id = 1', [seq]);
    return results;
  }

  async function lastSeq(): Promise<number> {
    const result = await pool.query<{ last_seq: string }>('SELECT last_seq FROM log_head WHERE id = 1');
    return Number(result.rows[0]?.last_seq ?? 0);
  }

  async function* scanLog(filter: { sinceMs?: number; sourceId?: string }): AsyncGenerator<StoredEvent> {
    assertOpen('scan');
    const end = await lastSeq();
    let after = 0;
    for (;;) {
      const page = await pool.query<EventRow>(
        `SELECT seq, source_id, received_at, event FROM events
         WHERE seq > $1 AND seq <= $2 AND ($3::text IS NULL OR source_id = $3) AND ($4::bigint IS NULL OR received_at >= $4)
         ORDER BY seq LIMIT $5`,
        [after, end, filter.sourceId ?? null, filter.sinceMs ?? null, SCAN_PAGE],
      );
      for (const row of page.rows) yield toStored(row);
      if (page.rows.length < SCAN_PAGE) return;
      after = Number((page.rows[page.rows.length - 1] as EventRow).seq);
    }
  }

  return {
    append(sourceId, events, receivedAt) {
      try {
        assertOpen('append');
      } catch (error) {
        return Promise.reject(error);
      }
      if (events.length === 0) return Promise.resolve({ seqs: [], stored: 0, duplicates: 0 });
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ sourceId, events, receivedAt, resolve, reject });
        // Started a microtask later, so appends issued in the same turn share the first transaction.
        draining ??= Promise.resolve().then(drain);
      });
    },

    async read(afterSeq, limit) {
      assertOpen('read');
      if (!(limit > 0)) return [];
      const result = await pool.query<EventRow>('SELECT seq, source_id, received_at, event FROM events WHERE seq > $1 ORDER BY seq LIMIT $2', [
        Math.floor(afterSeq),
        Math.floor(limit),
      ]);
      return result.rows.map(toStored);
    },

    scan: (filter = {}) => scanLog(filter),

    async lastSeq() {
      assertOpen('lastSeq');
      return lastSeq();
    },

    async getCursor(name) {
      assertOpen('getCursor');
      const result = await pool.query<{ seq: string }>('SELECT seq FROM cursors WHERE name = $1', [name]);
      return Number(result.rows[0]?.seq ?? 0);
    },

    async setCursor(name, seq) {
      assertOpen('setCursor');
      if (!Number.isSafeInteger(seq) || seq < 0) {
        throw new TailorError('invalid_options', `PostgresEventStore.setCursor: seq must be an integer >= 0, got ${String(seq)}`);
      }
      await pool.query('INSERT INTO cursors (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq', [name, seq]);
    },

    async removeEvents(seqs) {
      assertOpen('removeEvents');
      if (seqs.length === 0) return 0;
      const result = await pool.query('DELETE FROM events WHERE seq = ANY($1::bigint[])', [seqs.map((seq) => Math.floor(seq))]);
      return result.rowCount ?? 0;
    },

    async stats(): Promise<StoreStats> {
      assertOpen('stats');
      const result = await pool.query<{ events: string; first_seq: string | null; last_seq: string; bytes: string; dedup: string }>(
        `SELECT (SELECT count(*) FROM events) AS events, (SELECT min(seq) FROM events) AS first_seq,
                (SELECT last_seq FROM log_head WHERE id = 1) AS last_seq, (SELECT count(*) FROM dedup) AS dedup,
                pg_total_relation_size('events') + pg_total_relation_size('dedup') + pg_total_relation_size('cursors') AS bytes`,
      );
      const row = result.rows[0];
      return {
        events: Number(row?.events ?? 0),
        firstSeq: Number(row?.first_seq ?? 0),
        lastSeq: Number(row?.last_seq ?? 0),
        bytes: Number(row?.bytes ?? 0),
        dedupEntries: Number(row?.dedup ?? 0),
        profiles: (await parts.countProfiles?.()) ?? 0,
      };
    },

    async compact(now: number, retention: RetentionPolicy, keepAfter: readonly string[]) {
      assertOpen('compact');
      const expired = await pool.query('DELETE FROM dedup WHERE received_at <= $1', [now - windowMs]);
      const removedDedup = expired.rowCount ?? 0;
      if (retention.maxEvents === undefined && retention.maxAgeMs === undefined) return { removedEvents: 0, removedDedup };
      const removedEvents = await inTransaction(pool, async (client) => {
        // Only a prefix of the log goes, and never past the slowest sink in keepAfter (0 if it never forwarded).
        let floor: number | null = null;
        if (keepAfter.length > 0) {
          const cursors = await client.query<{ name: string; seq: string }>('SELECT name, seq FROM cursors WHERE name = ANY($1::text[])', [[...keepAfter]]);
          const bySink = new Map(cursors.rows.map((row) => [row.name, Number(row.seq)]));
          floor = Math.min(...keepAfter.map((name) => bySink.get(name) ?? 0));
        }
        const count = await client.query<{ n: string }>('SELECT count(*) AS n FROM events');
        const excess = retention.maxEvents === undefined ? 0 : Math.max(0, Number(count.rows[0]?.n ?? 0) - retention.maxEvents);
        const cutoff = retention.maxAgeMs === undefined ? null : now - retention.maxAgeMs;
        const deleted = await client.query(
          `WITH ordered AS (
             SELECT seq, received_at, row_number() OVER (ORDER BY seq) AS n FROM events WHERE $1::bigint IS NULL OR seq <= $1
           ), stop AS (
             SELECT min(seq) AS seq FROM ordered WHERE n > $2 AND ($3::bigint IS NULL OR received_at >= $3)
           )
           DELETE FROM events e USING ordered o
           WHERE e.seq = o.seq AND o.seq < COALESCE((SELECT seq FROM stop), 9223372036854775807)`,
          [floor, excess, cutoff],
        );
        return deleted.rowCount ?? 0;
      });
      return { removedEvents, removedDedup };
    },

    async close() {
      if (closed) return;
      closed = true;
      while (draining !== undefined) await draining;
      await pool.end();
    },
  };
}

function toStored(row: EventRow): StoredEvent {
  return { seq: Number(row.seq), sourceId: row.source_id, receivedAt: Number(row.received_at), event: row.event };
}
