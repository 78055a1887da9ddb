import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach } from 'vitest';

// happy-dom has no IndexedDB: each test gets a fresh, empty in-memory one, so no test sees another's queue.
beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});
