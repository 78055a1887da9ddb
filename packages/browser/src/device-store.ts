import { openDB, type IDBPDatabase } from 'idb';

/** A small key-value store for on-device decision state: config, models, features, history, assignments. */
export interface DeviceStore {
  getJson<T>(key: string): Promise<T | undefined>;
  setJson(key: string, value: unknown): Promise<void>;
  getBytes(key: string): Promise<Uint8Array | undefined>;
  setBytes(key: string, value: Uint8Array): Promise<void>;
}

const KV = 'kv';

/**
 * Opens the device store in IndexedDB (one database per write key), or a memory store where IndexedDB cannot
 * be opened (some private modes): decisions still work for the page, they are just not remembered.
 * Failed writes are ignored: this state can always be rebuilt (config from the collector, features from new events).
 */
export async function openDeviceStore(name: string): Promise<DeviceStore> {
  let db: IDBPDatabase | undefined;
  if (typeof indexedDB !== 'undefined') {
    try {
      db = await openDB(name, 1, {
        upgrade(database) {
          database.createObjectStore(KV);
        },
      });
    } catch {
      db = undefined;
    }
  }
  if (db === undefined) return createMemoryDeviceStore();
  const database = db;
  const get = async (key: string): Promise<unknown> => {
    try {
      return await database.get(KV, key);
    } catch {
      return undefined;
    }
  };
  const set = async (key: string, value: unknown): Promise<void> => {
    try {
      await database.put(KV, value, key);
    } catch {
      // Quota or a closing database: the state is a cache of what can be fetched or rebuilt.
    }
  };
  return {
    getJson: async <T>(key: string) => (await get(key)) as T | undefined,
    setJson: set,
    async getBytes(key) {
      const value = await get(key);
      return value instanceof Uint8Array ? value : value instanceof ArrayBuffer ? new Uint8Array(value) : undefined;
    },
    setBytes: set,
  };
}

export function createMemoryDeviceStore(): DeviceStore {
  const values = new Map<string, unknown>();
  return {
    getJson: async <T>(key: string) => structuredClone(values.get(key)) as T | undefined,
    setJson: async (key, value) => void values.set(key, structuredClone(value)),
    getBytes: async (key) => values.get(key) as Uint8Array | undefined,
    setBytes: async (key, value) => void values.set(key, value),
  };
}
