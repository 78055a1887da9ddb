import { describe, expect, it } from 'vitest';

// The browser project's environment: happy-dom plus a fresh fake IndexedDB per test.
describe('browser test environment', () => {
  it('has an IndexedDB that starts empty in every test (write)', async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('probe', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('s');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    await new Promise<void>((resolve) => {
      const tx = db.transaction('s', 'readwrite');
      tx.objectStore('s').put('v', 'k');
      tx.oncomplete = () => resolve();
    });
    db.close();
    expect((await indexedDB.databases()).map((d) => d.name)).toEqual(['probe']);
  });

  it('has an IndexedDB that starts empty in every test (read)', async () => {
    expect(await indexedDB.databases()).toEqual([]);
  });
});
