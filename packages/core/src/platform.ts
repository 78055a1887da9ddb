/**
 * Everything platform-specific that core needs, passed in once per instance.
 * Core never reads a global: adapters (`@tailor/browser`, `@tailor/node`) build a Platform
 * from their environment and tests pass fakes, so time, randomness and I/O stay in the caller's hands.
 *
 * @example
 * const platform: Platform = { clock: { now: () => Date.now() }, ...rest };
 */
export interface Platform {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: RandomSource;
  readonly ids: IdSource;
  readonly transport: Transport;
  readonly storage: KeyValueStorage;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
}

/** Wall-clock time in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** An opaque handle returned by {@link Timers.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Timers are called late (at schedule time, never captured at import) so fake timers work in tests.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Uniform random numbers in [0, 1). */
export interface RandomSource {
  random(): number;
}

/** Unique ids (RFC 4122 v4 UUIDs in the shipped adapters). */
export interface IdSource {
  uuid(): string;
}

/** The few members of an AbortSignal that core uses; both DOM and Node signals satisfy it. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface TransportRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Ask the platform to let the request outlive the page (fetch keepalive / sendBeacon). */
  readonly keepalive?: boolean;
  readonly signal?: AbortSignalLike;
}

export interface TransportResponse {
  readonly status: number;
  header(name: string): string | null;
  text(): Promise<string>;
}

/** Sends one HTTP request. Rejects only for network failures; any HTTP status resolves. */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
}

/** A small async key-value store (IndexedDB, LMDB, a file, memory). Values are strings. */
export interface KeyValueStorage {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export type LogFields = Readonly<Record<string, unknown>>;

/** Structured logger: a message plus fields, never a formatted string. pino satisfies it. */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** Moments at which queued work must be saved or sent (page hidden, process exiting, back online). */
export interface Lifecycle {
  /** Returns a function that removes the listener. */
  onHidden(listener: () => void): () => void;
  onOnline(listener: () => void): () => void;
}

/** A logger that drops everything; the default where the host gives none. */
export const SILENT_LOGGER: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A lifecycle with no events, for hosts that have none (scripts, tests). */
export const NO_LIFECYCLE: Lifecycle = {
  onHidden: () => () => {},
  onOnline: () => () => {},
};

/**
 * An in-memory {@link KeyValueStorage}: the fallback where IndexedDB is unavailable, and a fake for tests.
 *
 * @example
 * const storage = createMemoryStorage();
 * await storage.set('anonymousId', 'a-1');
 */
export function createMemoryStorage(initial?: Iterable<readonly [string, string]>): KeyValueStorage {
  const map = new Map<string, string>(initial);
  return {
    get: async (key) => map.get(key),
    set: async (key, value) => {
      map.set(key, value);
    },
    delete: async (key) => {
      map.delete(key);
    },
  };
}
