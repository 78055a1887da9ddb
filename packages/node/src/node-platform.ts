import { randomUUID } from 'node:crypto';
import { SILENT_LOGGER, createMemoryStorage, type Platform, type TransportResponse } from '@tailor/core';

/**
 * Node's Platform: fetch for transport, crypto UUIDs, process exit as the "hidden" moment.
 * Every member can be replaced, e.g. a pino logger or an LMDB-backed storage.
 *
 * @example
 * const platform = createNodePlatform({ logger: pino() });
 */
export function createNodePlatform(overrides: Partial<Platform> = {}): Platform {
  return {
    clock: { now: () => Date.now() },
    timers: {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    },
    random: { random: () => Math.random() },
    ids: { uuid: () => randomUUID() },
    transport: {
      async send(request): Promise<TransportResponse> {
        const response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: request.signal as AbortSignal | undefined,
        });
        return { status: response.status, header: (name) => response.headers.get(name), text: () => response.text() };
      },
    },
    storage: createMemoryStorage(),
    logger: SILENT_LOGGER,
    lifecycle: {
      onHidden(listener) {
        process.once('beforeExit', listener);
        return () => process.off('beforeExit', listener);
      },
      onOnline: () => () => {},
    },
    ...overrides,
  };
}
