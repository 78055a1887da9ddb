import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithClusterService, POSTGRES_URL, probeClusterServices } from '../../test-utils/src/cluster-services';
import { runProfileStoreContract } from '../../test-utils/src/profile-store-contract';
import { createLmdbStore } from '../src/collector/lmdb-store';
import { toAsyncCollectorStore } from '../src/storage/async-store';
import { createPostgresStore } from '../src/storage/postgres-profile-store';
import { dropSchema, freshSchema } from './storage-helpers';

const gaps = await probeClusterServices();

runProfileStoreContract(
  'lmdb',
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tailor-lmdb-profiles-'));
    const make = async () => toAsyncCollectorStore(createLmdbStore({ dataDir }));
    return { store: await make(), reopen: make, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
  {
    // LMDB's eventSeqs() returns Buffers instead of seqs for identifier keys over 250 characters (keyPart hashes
    // them); not explained by the hash prefix alone (a plain lmdb-js key with it reads back fine). Remove when fixed.
    knownFailures: ['keeps identifier keys over 250 characters distinct and verbatim (stores hash them)'],
  },
);

describeWithClusterService(gaps.postgres, 'PostgreSQL profile store', () => {
  runProfileStoreContract('postgres', async () => {
    const schema = freshSchema();
    const make = () => createPostgresStore({ connectionString: POSTGRES_URL, schema });
    return { store: await make(), reopen: make, cleanup: () => dropSchema(schema) };
  });
});
