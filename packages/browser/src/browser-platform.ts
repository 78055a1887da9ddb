import { SILENT_LOGGER, createMemoryStorage, type Lifecycle, type Platform, type TransportResponse } from '@tailor/core';

/**
 * The browser's Platform. Globals are read when a member is called, never at import, so the module is
 * safe to import during server rendering and fake timers installed later still apply.
 */
export function createBrowserPlatform(overrides: Partial<Platform> = {}): Platform {
  return {
    clock: { now: () => Date.now() },
    timers: {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    random: { random: () => Math.random() },
    ids: { uuid: randomUuid },
    transport: {
      async send(request): Promise<TransportResponse> {
        if (request.keepalive && typeof fetch !== 'function' && typeof navigator !== 'undefined' && navigator.sendBeacon) {
          // Old browsers without fetch keepalive: a beacon is fire-and-forget, so "accepted" is all we learn.
          const type = request.headers['content-type'] ?? 'text/plain';
          const queued = navigator.sendBeacon(request.url, new Blob([(request.body ?? '') as BlobPart], { type }));
          return { status: queued ? 202 : 0, header: () => null, text: async () => '' };
        }
        const response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body as BodyInit | undefined,
          keepalive: request.keepalive ?? false,
          credentials: 'omit',
          signal: request.signal as AbortSignal | undefined,
        });
        return { status: response.status, header: (name) => response.headers.get(name), text: () => response.text() };
      },
    },
    storage: createMemoryStorage(),
    logger: SILENT_LOGGER,
    lifecycle: browserLifecycle,
    ...overrides,
  };
}

function randomUuid(): string {
  const crypto = globalThis.crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  // Insecure contexts (plain http on a LAN address) have getRandomValues but not randomUUID.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const browserLifecycle: Lifecycle = {
  onHidden(listener) {
    if (typeof window === 'undefined') return () => {};
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') listener();
    };
    window.addEventListener('pagehide', listener);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('pagehide', listener);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  },
  onOnline(listener) {
    if (typeof window === 'undefined') return () => {};
    window.addEventListener('online', listener);
    return () => window.removeEventListener('online', listener);
  },
};
