import { TailorError, type Logger, type RandomSource, type Timers } from '@tailor/core';
import type { EventStore, Sink, StoredEvent } from './types';

/** The logger members the outbox uses; pino satisfies it. */
export type OutboxLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface OutboxOptions {
  readonly store: EventStore;
  /** Each sink gets its own loop and cursor (named by `sink.name`, which must be unique). */
  readonly sinks: readonly Sink[];
  /** Events per `sink.send` call. Default 500. */
  readonly batchSize?: number;
  /** Backoff after a failed send: doubles from `initialMs` up to `maxMs`, with jitter. Default 200 ms → 10 s. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** How long a caught-up loop sleeps when nobody calls `notify()`. Default 1000 ms. */
  readonly pollMs?: number;
  readonly logger?: OutboxLogger;
  /** Defaults call the globals late, at schedule time, so `vi.useFakeTimers()` works. */
  readonly timers?: Timers;
  readonly random?: RandomSource;
}

export interface OutboxSinkStatus {
  readonly sink: string;
  /** Last seq the sink has durably accepted. */
  readonly cursor: number;
  readonly lag: number;
  /** False from a failed send until the next successful one. */
  readonly healthy: boolean;
  /** Failed attempts since the last success. */
  readonly failures: number;
  readonly lastError?: string;
}

export interface Outbox {
  /** Starts one forwarding loop per sink. Calling it again is a no-op. */
  start(): void;
  /** New events were appended: wake the loops that are waiting (a down sink keeps its backoff). */
  notify(): void;
  /** Events not yet forwarded by one sink, or the largest lag over all sinks when no name is given. */
  lag(sinkName?: string): number;
  status(): OutboxSinkStatus[];
  /** Resolves true once every sink has caught up with the log, false if that takes longer than `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Lets each in-flight send (and its cursor write) finish, then stops. Does not close the sinks. */
  stop(): Promise<void>;
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_RETRY_INITIAL_MS = 200;
const DEFAULT_RETRY_MAX_MS = 10_000;
const DEFAULT_POLL_MS = 1000;

const SILENT: OutboxLogger = { info() {}, warn() {}, error() {} };
const GLOBAL_TIMERS: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
const MATH_RANDOM: RandomSource = { random: () => Math.random() };

interface SinkState {
  readonly sink: Sink;
  cursor: number;
  healthy: boolean;
  failures: number;
  lastError: string | undefined;
  /** Set by notify(); checked before sleeping so a wakeup that lands mid-send is not lost. */
  woken: boolean;
  /** Ends the current sleep early (notify, stop); undefined while not sleeping. */
  wake: (() => void) | undefined;
  loop: Promise<void> | undefined;
}

/**
 * Forwards the durable log to every sink, at least once and in seq order per sink.
 * Each sink has its own loop: read from its cursor, `send`, then move the cursor. A failed send is retried
 * with the same events after an exponential backoff, so a sink that is down delays only itself, and a send
 * that succeeded but whose cursor write was lost is repeated (sinks dedup: JetStream msg ids, webhook
 * idempotency keys).
 *
 * @example
 * const outbox = createOutbox({ store, sinks: [createJetStreamSink({ servers: 'nats://127.0.0.1:4222', stream: 'TAILOR' })] });
 * outbox.start();
 * await store.append(sourceId, events, Date.now());
 * outbox.notify();
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { store } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const initialMs = options.retry?.initialMs ?? DEFAULT_RETRY_INITIAL_MS;
  const maxMs = options.retry?.maxMs ?? DEFAULT_RETRY_MAX_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const logger = options.logger ?? SILENT;
  const timers = options.timers ?? GLOBAL_TIMERS;
  const random = options.random ?? MATH_RANDOM;

  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TailorError('invalid_options', `createOutbox: "batchSize" must be a positive integer, got ${batchSize}`);
  }
  if (!(initialMs > 0) || !(maxMs >= initialMs)) {
    throw new TailorError('invalid_options', `createOutbox: "retry" needs 0 < initialMs <= maxMs, got ${initialMs} and ${maxMs}`);
  }
  const names = options.sinks.map((sink) => sink.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    // Two sinks with one name would share a cursor and each would skip what the other sent.
    throw new TailorError('invalid_options', `createOutbox: two sinks are named "${duplicate}"; sink names must be unique`);
  }

  const states: SinkState[] = options.sinks.map((sink) => ({
    sink,
    cursor: 0,
    healthy: true,
    failures: 0,
    lastError: undefined,
    woken: false,
    wake: undefined,
    loop: undefined,
  }));
  let started = false;
  let stopping = false;
  /** Called after every cursor move and on stop; drain() listens here. */
  const progressListeners = new Set<() => void>();

  const lagOf = (state: SinkState) => Math.max(0, store.lastSeq() - state.cursor);
  const maxLag = () => states.reduce((max, state) => Math.max(max, lagOf(state)), 0);

  /** Sleeps up to `ms`; `interruptible` sleeps also end on notify(). All sleeps end on stop(). */
  const sleep = (state: SinkState, ms: number, interruptible: boolean): Promise<void> =>
    new Promise((resolve) => {
      if (stopping || (interruptible && state.woken)) {
        resolve();
        return;
      }
      const handle = timers.setTimeout(() => finish(), ms);
      function finish() {
        timers.clearTimeout(handle);
        state.wake = undefined;
        resolve();
      }
      state.wake = interruptible ? finish : () => (stopping ? finish() : undefined);
    });

  /** Equal jitter: half the exponential delay is fixed, half random, so retries of many collectors spread out. */
  const backoffMs = (failures: number) => {
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
    return ceiling / 2 + random.random() * (ceiling / 2);
  };

  const forward = async (state: SinkState, events: readonly StoredEvent[]) => {
    const last = events[events.length - 1]!.seq;
    await state.sink.send(events);
    // A crash between send and setCursor resends this batch on restart: that is the at-least-once half.
    await store.setCursor(state.sink.name, last);
    state.cursor = last;
  };

  const run = async (state: SinkState) => {
    const name = state.sink.name;
    let pending: readonly StoredEvent[] | undefined;
    while (!stopping) {
      try {
        state.woken = false;
        // Retry exactly the batch that failed, so a webhook sees the same chunks (and idempotency keys) again.
        const events = pending ?? store.read(state.cursor, batchSize);
        if (events.length === 0) {
          await sleep(state, pollMs, true);
          continue;
        }
        pending = events;
        await forward(state, events);
        pending = undefined;
        if (!state.healthy) {
          logger.info({ sink: name, failures: state.failures, cursor: state.cursor }, 'outbox sink recovered');
        }
        state.healthy = true;
        state.failures = 0;
        state.lastError = undefined;
        for (const listener of progressListeners) listener();
      } catch (error) {
        state.healthy = false;
        state.failures += 1;
        state.lastError = error instanceof Error ? error.message : String(error);
        const delayMs = backoffMs(state.failures);
        const fields = {
          sink: name,
          failures: state.failures,
          fromSeq: pending?.[0]?.seq,
          toSeq: pending?.[pending.length - 1]?.seq,
          retryInMs: Math.round(delayMs),
          err: error,
        };
        // The first failure is news; the rest of an outage is the same news, so it goes to warn.
        if (state.failures === 1) logger.error(fields, 'outbox sink send failed; retrying the same events');
        else logger.warn(fields, 'outbox sink still failing; retrying the same events');
        await sleep(state, delayMs, false);
      }
    }
  };

  const findState = (method: string, sinkName: string) => {
    const state = states.find((candidate) => candidate.sink.name === sinkName);
    if (state === undefined) {
      throw new TailorError('invalid_options', `outbox.${method}: no sink named "${sinkName}" (sinks: ${names.join(', ') || 'none'})`);
    }
    return state;
  };

  const notify = () => {
    for (const state of states) {
      state.woken = true;
      state.wake?.();
    }
  };

  return {
    start() {
      if (stopping) throw new TailorError('invalid_options', 'outbox.start: this outbox was stopped; create a new one');
      if (started) return;
      started = true;
      for (const state of states) {
        state.cursor = store.getCursor(state.sink.name);
        state.loop = run(state);
      }
    },

    notify,

    lag(sinkName?: string) {
      return sinkName === undefined ? maxLag() : lagOf(findState('lag', sinkName));
    },

    status() {
      return states.map((state) => ({
        sink: state.sink.name,
        cursor: state.cursor,
        lag: lagOf(state),
        healthy: state.healthy,
        failures: state.failures,
        ...(state.lastError === undefined ? {} : { lastError: state.lastError }),
      }));
    },

    drain(timeoutMs: number) {
      if (maxLag() === 0) return Promise.resolve(true);
      notify();
      return new Promise<boolean>((resolve) => {
        const finish = (drained: boolean) => {
          timers.clearTimeout(handle);
          progressListeners.delete(check);
          resolve(drained);
        };
        const check = () => {
          if (maxLag() === 0) finish(true);
          else if (stopping) finish(false);
        };
        const handle = timers.setTimeout(() => finish(maxLag() === 0), timeoutMs);
        progressListeners.add(check);
      });
    },

    async stop() {
      stopping = true;
      for (const state of states) state.wake?.();
      for (const listener of progressListeners) listener();
      await Promise.all(states.map((state) => state.loop));
    },
  };
}
