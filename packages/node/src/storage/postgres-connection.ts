import { TailorError } from '@tailor/core';
import type { Pool, PoolClient } from 'pg';
import { MIGRATIONS, MIGRATIONS_TABLE, type Migration } from './postgres-migrations';

export interface PostgresConnectionOptions {
  /** `postgres://user:password@host:5432/database`. */
  readonly connectionString: string;
  /** Schema holding the store's tables, created when missing. Default `tailor`. */
  readonly schema?: string;
  /** Pool size of this process. Default 4: appends use one connection at a time (group commit), reads the rest. */
  readonly maxConnections?: number;
  /** Called with errors of idle connections (a server restart); they are dropped and reopened on demand. */
  readonly onConnectionError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function resolveSchema(caller: string, schema: string | undefined): string {
  const name = schema ?? 'tailor';
  if (!SCHEMA_NAME.test(name)) {
    throw new TailorError('invalid_options', `${caller}: "schema" must be a lowercase SQL identifier (a-z, 0-9, _), got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * Opens a pool whose sessions use the store's schema and commit synchronously: `synchronous_commit = on`
 * whatever the server's default, so COMMIT returns only once the WAL is flushed and an acknowledged
 * event survives a crash of PostgreSQL (not only of the collector).
 */
export async function openPool(caller: string, options: PostgresConnectionOptions, schema: string): Promise<Pool> {
  if (typeof options?.connectionString !== 'string' || options.connectionString.length === 0) {
    throw new TailorError('invalid_options', `${caller}: "connectionString" is required (postgres://user:password@host:5432/database)`);
  }
  const max = options.maxConnections ?? 4;
  if (!Number.isInteger(max) || max < 1) throw new TailorError('invalid_options', `${caller}: "maxConnections" must be an integer >= 1`);
  // pg is loaded on first use: only cluster mode needs it.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max,
    options: `-c search_path=${schema} -c synchronous_commit=on`,
  });
  // Without a listener, an idle connection killed by a server restart would crash the process.
  pool.on('error', (error) => options.onConnectionError?.(error));
  return pool;
}

/** Runs `work` in a transaction on one pooled connection; rolls back and rethrows on failure. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client emits 'error' when the server goes away between two queries; unheard, that event
  // would crash the process. The failing query rejects anyway, and the client is destroyed on release.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken ??= await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: Error) => rollbackError,
    );
    throw error;
  } finally {
    client.off('error', onError);
    // A connection that broke or whose rollback failed is in an unknown state: destroy it rather than reuse it.
    client.release(broken);
  }
}

/**
 * Brings the schema up to date, once per database even when several collectors start together
 * (an advisory lock serializes them); returns the versions this call applied.
 */
export async function migrate(pool: Pool, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tailor-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.${MIGRATIONS_TABLE} (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await client.query<{ version: number }>(`SELECT version FROM ${schema}.${MIGRATIONS_TABLE}`);
    const applied = new Set(done.rows.map((row) => row.version));
    const ran: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${schema}.${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      ran.push(migration.version);
    }
    return ran;
  });
}
