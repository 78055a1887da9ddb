import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { POSTGRES_URL } from '../../test-utils/src/cluster-services';

/** A fresh schema name per store, so suites share the machine's PostgreSQL without seeing each other. */
export function freshSchema(): string {
  return `tailor_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

export async function dropSchema(schema: string, connectionString = POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
