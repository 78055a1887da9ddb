/*
 * Who does what in a cluster, decided by PostgreSQL session-level advisory locks on one dedicated connection:
 * - a member slot (lock class `member`, ids 0…MAX_MEMBERS-1): how processors count each other;
 * - one lock per partition of the ingest stream: its owner alone consumes it, so a person's events are
 *   appended in order;
 * - the projector lease: its holder alone applies the shared log to the identity graph and profiles.
 * A lock lives exactly as long as its session: a processor killed with SIGKILL closes its socket, PostgreSQL
 * ends the session and frees every lock, and the others pick the work up at their next rebalance. A process
 * whose lock connection breaks (PostgreSQL restarted) has lost all its locks at once and stops all that work.
 */
import { TailorError } from '@tailor/core';
import type { Client } from 'pg';
import { fnv1a32 } from '@tailor/core';

/** The most processors that can share one store. */
export const MAX_MEMBERS = 256;

export type LeaseKind = 'member' | 'partition' | 'projector';

export interface LeaseConnection {
  /** Takes the lock if free; true when this session holds it now. */
  tryLock(kind: LeaseKind, id: number): Promise<boolean>;
  unlock(kind: LeaseKind, id: number): Promise<void>;
  /** How many locks of a kind are held by any session (e.g. live processors). */
  countHeld(kind: LeaseKind): Promise<number>;
  /** Which ids of a kind are held by any session. */
  heldIds(kind: LeaseKind): Promise<Set<number>>;
  /** The PostgreSQL backend of this session (pg_stat_activity.pid): what an operator looks for. */
  readonly backendPid: number;
  /** Resolves when the connection breaks: every lock is gone from then on. */
  readonly lost: Promise<Error>;
  close(): Promise<void>;
}

/** Lock class of a kind in one store: 31-bit, so it reads the same as pg_locks' unsigned `classid`. */
function classOf(schema: string, kind: LeaseKind): number {
  return fnv1a32(`tailor:${schema}:${kind}`) & 0x7fffffff;
}

/**
 * Opens the connection that holds this process's leases.
 *
 * @example
 * const leases = await openLeaseConnection({ connectionString, schema: 'tailor' });
 * if (await leases.tryLock('projector', 0)) startProjecting();
 */
export async function openLeaseConnection(options: { readonly connectionString: string; readonly schema: string }): Promise<LeaseConnection> {
  const { default: pg } = await import('pg');
  const client: Client = new pg.Client({ connectionString: options.connectionString, application_name: 'tailor-processor-leases' });
  let markLost: (error: Error) => void = () => {};
  const lost = new Promise<Error>((resolve) => {
    markLost = resolve;
  });
  client.on('error', (error) => markLost(error));
  client.on('end', () => markLost(new Error('the lease connection to PostgreSQL closed')));
  try {
    await client.connect();
  } catch (cause) {
    throw new TailorError('storage_unavailable', `cannot connect to PostgreSQL for leases: ${(cause as Error).message}. Check --postgres.`, { cause });
  }
  const backendPid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
  const classes = new Map<LeaseKind, number>((['member', 'partition', 'projector'] as const).map((kind) => [kind, classOf(options.schema, kind)]));
  const cls = (kind: LeaseKind) => classes.get(kind) as number;
  return {
    async tryLock(kind, id) {
      const result = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [cls(kind), id]);
      return result.rows[0]?.ok === true;
    },
    async unlock(kind, id) {
      await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [cls(kind), id]);
    },
    async countHeld(kind) {
      const result = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [cls(kind)],
      );
      return Number(result.rows[0]?.n ?? 0);
    },
    async heldIds(kind) {
      const result = await client.query<{ id: string }>(
        "SELECT objid AS id FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [cls(kind)],
      );
      return new Set(result.rows.map((row) => Number(row.id)));
    },
    backendPid,
    lost,
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}

/** How many partitions a processor should own when `members` share `partitions`: everyone covered, none idle. */
export function fairShare(partitions: number, members: number): number {
  return Math.ceil(partitions / Math.max(1, members));
}
