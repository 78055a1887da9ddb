import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { TailorError, type Logger } from '@tailor/core';
import { pack } from 'msgpackr';
import type { Sink, StoredEvent } from './types';

export interface JetStreamSinkOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: string | string[];
  readonly stream: string;
  /** Subject per event. Default `tailor.events.<sourceId>.<type>`, the sourceId made token-safe. */
  readonly subject?: (event: StoredEvent) => string;
  /** The stream's subjects, used when the sink creates it. Default `['tailor.events.>']`. */
  readonly subjects?: string[];
  /** Replicas when the sink creates the stream. Default 1. */
  readonly replicas?: number;
  /** JetStream's dedup window when the sink creates the stream. Default 24 h. */
  readonly duplicateWindowMs?: number;
  /** How long the stream keeps a message when the sink creates it. Default: forever (0). */
  readonly maxAgeMs?: number;
  /** Publishes awaiting their PubAck at once. Default 256. */
  readonly maxInFlight?: number;
  /** Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** How long one publish waits for its PubAck before the send fails. Default 5 s. */
  readonly publishTimeoutMs?: number;
  /** The sink's name, which is also its outbox cursor: keep it stable. Default `jetstream:<stream>`. */
  readonly name?: string;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_IN_FLIGHT = 256;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_PUBLISH_TIMEOUT_MS = 5000;
const SILENT = { info() {}, warn() {}, error() {} };

/** Characters that split or wildcard a NATS subject (`.`, `*`, `>`, whitespace) and anything exotic. */
const UNSAFE_TOKEN_CHARS = /[^A-Za-z0-9_-]/g;

/**
 * Makes a value safe as one NATS subject token: anything outside `[A-Za-z0-9_-]` becomes `_`, so a
 * source id can never add tokens or wildcards to a subject.
 *
 * @example
 * subjectToken('acme.eu *'); // 'acme_eu__'
 */
export function subjectToken(value: string): string {
  return value.replace(UNSAFE_TOKEN_CHARS, '_') || '_';
}

/** The default subject: `tailor.events.<sourceId>.<type>`, the sourceId passed through {@link subjectToken}. */
export function defaultEventSubject(event: StoredEvent): string {
  return `tailor.events.${subjectToken(event.sourceId)}.${event.event.type}`;
}

/** The JetStream msg id of an event: what makes a redelivered event a duplicate for the stream. */
export function eventMsgId(event: StoredEvent): string {
  return `${event.sourceId}:${event.event.messageId}`;
}

/** JetStream's answer to one publish: where the stream stored it, or that it was a duplicate within the window. */
export interface PublishAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

/** A JetStream sink that also tells, event by event, what JetStream made of each publish. */
export interface JetStreamPublisher extends Sink {
  /** Publishes and resolves once every event has its PubAck, in input order; rejects on the first failure. */
  publish(events: readonly StoredEvent[]): Promise<PublishAck[]>;
}

interface Session {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  connected: boolean;
  /** Reset on reconnect: the server we reach now may have lost or never had the stream. */
  streamReady: Promise<void> | undefined;
}

/**
 * A {@link Sink} that publishes each event, msgpack-encoded, to a JetStream stream with the msg id
 * `<sourceId>:<messageId>`, so JetStream drops a redelivered event within the stream's dedup window.
 * It connects on the first send, keeps reconnecting forever while the server is away, and fails a send
 * (rather than waiting) while disconnected so the outbox can back off. On each (re)connection it checks
 * that the stream exists and creates it if not; an existing stream is used as it is, its config untouched.
 *
 * @example
 * const sink = createJetStreamSink({ servers: 'nats://127.0.0.1:4222', stream: 'TAILOR_EVENTS' });
 * const outbox = createOutbox({ store, sinks: [sink] });
 */
export function createJetStreamSink(options: JetStreamSinkOptions): JetStreamPublisher {
  const { stream } = options;
  const name = options.name ?? `jetstream:${stream}`;
  const subjectOf = options.subject ?? defaultEventSubject;
  const subjects = options.subjects ?? ['tailor.events.>'];
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  const logger = options.logger ?? SILENT;
  const servers = Array.isArray(options.servers) ? options.servers.join(', ') : options.servers;
  if (!stream) throw new TailorError('invalid_options', 'createJetStreamSink: "stream" is required');
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new TailorError('invalid_options', `createJetStreamSink: "maxInFlight" must be a positive integer, got ${maxInFlight}`);
  }
  const failure = (message: string, cause?: unknown) =>
    new TailorError('transport_failed', `JetStream sink "${name}": ${message}`, cause === undefined ? undefined : { cause });

  let session: Promise<Session> | undefined;
  /** The session `session` resolved to, so the close handler can tell whether it is still the current one. */
  let live: Session | undefined;
  let closed = false;

  const watch = async (current: Session) => {
    for await (const status of current.nc.status()) {
      if (status.type === 'disconnect') {
        current.connected = false;
        logger.warn({ sink: name, server: status.server }, 'NATS connection lost; reconnecting');
      } else if (status.type === 'reconnect') {
        current.connected = true;
        current.streamReady = undefined;
        logger.info({ sink: name, server: status.server }, 'NATS connection restored');
      }
    }
  };

  const open = async (): Promise<Session> => {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: options.servers,
        name: `tailor:${name}`,
        timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        reconnect: true,
        maxReconnectAttempts: -1,
      });
    } catch (cause) {
      throw failure(`cannot connect to NATS at ${servers}: ${messageOf(cause)}`, cause);
    }
    const current: Session = { nc, js: jetstream(nc), connected: true, streamReady: undefined };
    live = current;
    void watch(current).catch(() => {});
    // A connection closes for good only on close() or a fatal error (auth); then the next send starts over.
    void nc.closed().then(() => {
      current.connected = false;
      if (live === current) {
        live = undefined;
        session = undefined;
      }
    });
    return current;
  };

  const getSession = () => {
    session ??= open().catch((error: unknown) => {
      session = undefined;
      throw error;
    });
    return session;
  };

  const ensureStream = (current: Session) =>
    ensureJetStreamStream(current.nc, { stream, subjects, replicas: options.replicas ?? 1, duplicateWindowMs: options.duplicateWindowMs ?? DAY_MS, maxAgeMs: options.maxAgeMs ?? 0 }, logger, name);

  const streamReady = (current: Session) => {
    current.streamReady ??= ensureStream(current).catch((cause: unknown) => {
      current.streamReady = undefined;
      throw failure(`cannot find or create stream "${stream}" on ${servers}: ${messageOf(cause)}`, cause);
    });
    return current.streamReady;
  };

  const publish = async (js: JetStreamClient, event: StoredEvent): Promise<PublishAck> => {
    const subject = subjectOf(event);
    let ack;
    try {
      ack = await js.publish(subject, pack(event), { msgID: eventMsgId(event), timeout: publishTimeoutMs });
    } catch (cause) {
      throw failure(`publish of seq ${event.seq} to "${subject}" failed: ${messageOf(cause)}`, cause);
    }
    if (ack.stream !== stream) {
      throw failure(`subject "${subject}" is captured by stream "${ack.stream}", not "${stream}"; fix the "subject" option`);
    }
    return { seq: ack.seq, duplicate: ack.duplicate };
  };

  /** Publishes with up to `maxInFlight` PubAcks outstanding; settles only when none is left in flight. */
  const publishAll = (js: JetStreamClient, events: readonly StoredEvent[]) =>
    new Promise<PublishAck[]>((resolve, reject) => {
      const acks: PublishAck[] = new Array(events.length);
      let next = 0;
      let inFlight = 0;
      let firstError: unknown;
      const pump = () => {
        while (firstError === undefined && inFlight < maxInFlight && next < events.length) {
          const index = next++;
          inFlight += 1;
          publish(js, events[index]!).then(
            (ack) => {
              acks[index] = ack;
              settled();
            },
            (error: unknown) => {
              firstError ??= error;
              settled();
            },
          );
        }
      };
      const settled = () => {
        inFlight -= 1;
        if (inFlight > 0) {
          if (firstError === undefined) pump();
          return;
        }
        if (firstError !== undefined) reject(firstError);
        else if (next >= events.length) resolve(acks);
        else pump();
      };
      pump();
    });

  const publishEvents = async (events: readonly StoredEvent[]): Promise<PublishAck[]> => {
    if (closed) throw failure('send() called after close()');
    if (events.length === 0) return [];
    const current = await getSession();
    // Publishes made while disconnected would only sit in the client's buffer until they time out.
    if (!current.connected) throw failure(`not connected to NATS at ${servers} (reconnecting)`);
    await streamReady(current);
    try {
      return await publishAll(current.js, events);
    } catch (error) {
      // "No responders" means nothing stores the subject (stream deleted, fresh server): check again next time.
      current.streamReady = undefined;
      throw error;
    }
  };

  return {
    name,
    publish: publishEvents,
    async send(events) {
      await publishEvents(events);
    },

    async close() {
      closed = true;
      const current = await session?.catch(() => undefined);
      session = undefined;
      live = undefined;
      if (current === undefined || current.nc.isClosed()) return;
      try {
        // Drain flushes what is buffered; while reconnecting there is nothing to flush to, so just close.
        if (current.connected) await current.nc.drain();
        else await current.nc.close();
      } catch {
        await current.nc.close();
      }
    },
  };
}

/** What a stream should look like when Tailor creates it. */
export interface StreamSpec {
  readonly stream: string;
  readonly subjects: readonly string[];
  readonly replicas: number;
  readonly duplicateWindowMs: number;
  /** 0 keeps messages until the stream's other limits remove them. */
  readonly maxAgeMs: number;
}

/**
 * Makes sure a stream exists: creates it from `spec` if not, uses an existing one as it is (warning when its
 * dedup window is shorter than asked). Safe when several processes race to create it.
 */
export async function ensureJetStreamStream(nc: NatsConnection, spec: StreamSpec, logger: Pick<Logger, 'info' | 'warn'>, owner: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const duplicateWindowNs = spec.duplicateWindowMs * 1_000_000;
  try {
    const info = await jsm.streams.info(spec.stream);
    if (info.config.duplicate_window < duplicateWindowNs) {
      // Redelivery older than the stream's window would be stored twice; say so instead of failing.
      logger.warn(
        { owner, stream: spec.stream, duplicateWindowMs: info.config.duplicate_window / 1_000_000, wantedMs: spec.duplicateWindowMs },
        'JetStream stream has a shorter dedup window than asked for; redelivered events may be stored twice',
      );
    }
    return;
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
  }
  try {
    await jsm.streams.add({
      name: spec.stream,
      subjects: [...spec.subjects],
      num_replicas: spec.replicas,
      duplicate_window: duplicateWindowNs,
      ...(spec.maxAgeMs > 0 ? { max_age: spec.maxAgeMs * 1_000_000 } : {}),
    });
    logger.info({ owner, stream: spec.stream, subjects: spec.subjects }, 'created JetStream stream');
  } catch (error) {
    // Another process may have created it between our info and add; that is success.
    await jsm.streams.info(spec.stream).catch(() => {
      throw error;
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
