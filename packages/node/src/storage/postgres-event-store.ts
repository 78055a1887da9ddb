/*
 * How the PostgreSQL log keeps the EventStore promises:
 * - Durable on commit: sessions run with synchronous_commit = on, so `append` resolves after the WAL flush.
 * - Group commit: appends queued while a transaction is in flight go into the next one (one per process at a
 *   time), so 1,000 concurrent single-event appends cost a few commits, not 1,000.
 * - Seqs without gaps or reordering: an append (one call of the `append_events` function, its own
 *   transaction, so one round trip) takes the `log_head` row lock before it assigns seqs and holds it until
 *   COMMIT, so commits happen in seq order across every process. A reader that sees seq n therefore sees
 *   every seq below it, and a sink cursor (`read(after)`) never skips a late commit.
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

/** One request's events, as `append` takes them. */
export interface AppendRequest {
  readonly sourceId: string;
  readonly events: readonly IngestedEvent[];
  readonly receivedAt: number;
}

/** Requests that must be stored together or not at all (one `append`, or one `appendAll`). */
interface PendingUnit {
  readonly requests: readonly AppendRequest[];
  readonly resolve: (results: AppendResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** The PostgreSQL log: an {@link AsyncEventStore} that can also store several requests atomically. */
export interface PostgresEventStore extends AsyncEventStore {
  /**
   * Appends several requests (of any sources and receipt times) as one unit: in this order, in one
   * transaction, so a failure stores none of them. How a cluster processor keeps a partition's batch in order.
   */
  appendAll(requests: readonly AppendRequest[]): Promise<AppendResult[]>;
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
export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
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

export function createEventStoreOnPool(options: PostgresEventStoreOptions, parts: PostgresEventStoreParts): PostgresEventStore {
  const windowMs = options.dedupWindowMs ?? DAY_MS;
  if (!(windowMs >= 0)) throw new TailorError('invalid_options', 'createPostgresEventStore: "dedupWindowMs" must be a number >= 0');
  const clock = options.clock ?? { now: () => Date.now() };
  const { pool } = parts;
  let closed = false;
  let queue: PendingUnit[] = [];
  let draining: Promise<void> | undefined;

  function assertOpen(method: string): void {
    if (closed) throw new TailorError('storage_unavailable', `PostgresEventStore.${method}: the store is closed; open it again with createPostgresEventStore()`);
  }

  /** Units queued together, up to MAX_BATCH requests (a unit is never split). */
  function takeBatch(): PendingUnit[] {
    const batch: PendingUnit[] = [];
    let requests = 0;
    while (queue.length > 0 && (batch.length === 0 || requests + (queue[0] as PendingUnit).requests.length <= MAX_BATCH)) {
      const unit = queue.shift() as PendingUnit;
      batch.push(unit);
      requests += unit.requests.length;
    }
    return batch;
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = takeBatch();
      try {
        // A single statement is its own transaction: BEGIN/COMMIT would only add round trips.
        const results = await writeBatch(pool, batch.flatMap((unit) => unit.requests));
        let at = 0;
        for (const unit of batch) unit.resolve(results.slice(at, (at += unit.requests.length)));
      } catch (error) {
        if (batch.length === 1) {
          batch[0]?.reject(error);
          continue;
        }
        // One bad request must not fail the others that shared its transaction: retry each unit on its own.
        await appendOneByOne(batch);
      }
    }
    draining = undefined;
  }

  async function appendOneByOne(batch: readonly PendingUnit[]): Promise<void> {
    for (const unit of batch) {
      try {
        unit.resolve(await writeBatch(pool, unit.requests));
      } catch (error) {
        unit.reject(error);
      }
    }
  }

  function enqueue(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    return new Promise<AppendResult[]>((resolve, reject) => {
      queue.push({ requests, resolve, reject });
      // Started a microtask later, so appends issued in the same turn share the first transaction.
      draining ??= Promise.resolve().then(drain);
    });
  }

  /** One statement (`append_events`, migration 3): the log-head lock is held for its run and the commit only. */
  async function writeBatch(client: Pick<PoolClient, 'query'>, batch: readonly AppendRequest[]): Promise<AppendResult[]> {
    const sourceKeys: string[] = [];
    const messageKeys: string[] = [];
    const sourceIds: string[] = [];
    const receivedAt: number[] = [];
    const events: string[] = [];
    for (const pending of batch) {
      const sourceKey = keyPart(pending.sourceId);
      for (const { messageId, event } of pending.events) {
        sourceKeys.push(sourceKey);
        messageKeys.push(keyPart(messageId));
        sourceIds.push(pending.sourceId);
        receivedAt.push(pending.receivedAt);
        // json[] keeps a \u0000 escape where json_to_recordset would refuse it.
        events.push(JSON.stringify(event));
      }
    }
    const result = await client.query<{ seqs: Array<string | null> }>('SELECT append_events($1::text[], $2::text[], $3::text[], $4::bigint[], $5::json[], $6, $7) AS seqs', [
      sourceKeys,
      messageKeys,
      sourceIds,
      receivedAt,
      events,
      windowMs,
      clock.now(),
    ]);
    const seqs = (result.rows[0]?.seqs ?? []).map((seq) => (seq === null ? null : Number(seq)));
    let at = 0;
    return batch.map((pending): AppendResult => {
      const mine = seqs.slice(at, (at += pending.events.length));
      const stored = mine.filter((seq) => seq !== null).length;
      return { seqs: mine, stored, duplicates: mine.length - stored };
    });
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
      return enqueue([{ sourceId, events, receivedAt }]).then((results) => results[0] as AppendResult);
    },

    appendAll(requests) {
      try {
        assertOpen('appendAll');
      } catch (error) {
        return Promise.reject(error);
      }
      const nonEmpty = requests.filter((request) => request.events.length > 0);
      if (nonEmpty.length === 0) return Promise.resolve(requests.map(() => ({ seqs: [], stored: 0, duplicates: 0 })));
      return enqueue(nonEmpty).then((results) => {
        let at = 0;
        return requests.map((request) => (request.events.length > 0 ? (results[at++] as AppendResult) : { seqs: [], stored: 0, duplicates: 0 }));
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
