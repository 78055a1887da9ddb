import { SILENT_LOGGER, createMemoryStorage, type LogFields, type Platform, type TransportRequest, type TransportResponse } from '@tailor/core';

export interface RecordedLog {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: LogFields;
  readonly message: string;
}

export interface FakePlatform extends Platform {
  /** Requests sent through the transport, in order (also those answered with an error). */
  readonly requests: TransportRequest[];
  /** Requests the fake answered with a 2xx status: what a collector would have received. */
  readonly delivered: TransportRequest[];
  readonly logs: RecordedLog[];
  /** Sets the status (and optional body) the fake transport answers with, or an Error to reject with. */
  respondWith(answer: number | Error | ((request: TransportRequest) => number | Error)): void;
  /** Moves the fake clock (epoch ms). */
  setNow(ms: number): void;
}

/**
 * A deterministic Platform for unit tests: a fixed clock you move with `vi.setSystemTime` or by hand,
 * counter-based ids, seeded randomness, a recording transport.
 */
export function createFakePlatform(options: { now?: number; seed?: number; realClock?: boolean } = {}): FakePlatform {
  let now = options.now ?? Date.UTC(2026, 10, 24, 10, 0, 0);
  const realClock = options.realClock ?? false;
  let seed = options.seed ?? 42;
  let counter = 0;
  let answer: number | Error | ((request: TransportRequest) => number | Error) = 200;
  const requests: TransportRequest[] = [];
  const delivered: TransportRequest[] = [];
  const logs: RecordedLog[] = [];
  const log = (level: RecordedLog['level']) => (fields: LogFields, message: string) => {
    logs.push({ level, fields, message });
  };
  const platform: FakePlatform = {
    clock: { now: () => (realClock ? Date.now() : now) },
    timers: { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as number) },
    random: {
      random: () => {
        // mulberry32: small, seedable, good enough for tests.
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      },
    },
    ids: { uuid: () => `00000000-0000-4000-8000-${(++counter).toString().padStart(12, '0')}` },
    transport: {
      async send(request): Promise<TransportResponse> {
        requests.push(request);
        const result = typeof answer === 'function' ? answer(request) : answer;
        if (result instanceof Error) throw result;
        if (result >= 200 && result < 300) delivered.push(request);
        return { status: result, header: () => null, text: async () => '' };
      },
    },
    storage: createMemoryStorage(),
    logger: { ...SILENT_LOGGER, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    lifecycle: { onHidden: () => () => {}, onOnline: () => () => {} },
    requests,
    delivered,
    logs,
    respondWith(next) {
      answer = next;
    },
    setNow(ms) {
      now = ms;
    },
  };
  return platform;
}
