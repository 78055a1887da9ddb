import type { CallOptions, EventIssue, OutgoingEvent, Platform } from '@tailor/core';

/** Event name → properties type. `RetailEvents` from `@tailor/core` by default, or `PlanEvents<typeof plan>`. */
export type EventMap = { readonly [event: string]: Readonly<Record<string, unknown>> };

type Dictionary = Readonly<Record<string, unknown>>;

/** Who an event is about, given on every call: a server handles many people at once, so there is no "current user". */
export interface Person {
  readonly userId?: string;
  readonly anonymousId?: string;
}

/** `track()`: properties are typed for the events of the map (the retail catalog by default), loose for other names. */
export type TrackCall<E extends string = string, P = Dictionary> = Person & CallOptions & { readonly event: E; readonly properties?: P };

export interface IdentifyCall extends Person, CallOptions {
  readonly traits?: Dictionary;
}

export interface PageCall extends Person, CallOptions {
  readonly name?: string;
  readonly category?: string;
  readonly properties?: Dictionary;
}

export interface GroupCall extends Person, CallOptions {
  readonly groupId: string;
  readonly traits?: Dictionary;
}

/** `alias()`: `previousId` (an anonymous id or an old user id) is the same person as `userId`. */
export interface AliasCall extends CallOptions {
  readonly userId: string;
  readonly previousId: string;
}

/** Why a call was not taken. The call itself never throws: it returns this instead. */
export type CallRefusalReason =
  /** A mistake in this call: no userId/anonymousId, no event name, a messageId over 99 characters, a cycle, … */
  | 'invalid_call'
  /** The encoded event is over the collector's 32 KB per-event limit (or over `maxBatchBytes`). */
  | 'too_large'
  /** Memory mode: `maxQueuedEvents` are waiting already (the collector has been unreachable for a while). */
  | 'queue_full'
  /** `close()` was called. */
  | 'closed'
  /** Spool mode: the event could not be written to the spool (disk full, spool closed underneath). */
  | 'spool_write_failed';

export type CallResult =
  | { readonly ok: true; readonly messageId: string }
  | { readonly ok: false; readonly reason: CallRefusalReason; readonly message: string };

export interface RetryOptions {
  /** First backoff delay in ms. Default 500. */
  readonly initialMs: number;
  /** Longest backoff delay in ms (a `Retry-After` up to an hour is honoured even when longer). Default 30,000. */
  readonly maxMs: number;
  /**
   * Memory mode: attempts per batch before its events are given up and `flush()`/`close()` reject with them.
   * Default: no limit (retry until delivered). The spool ignores it: it keeps forwarding through any outage.
   */
  readonly maxAttempts?: number;
}

export interface SpoolOptions {
  /** Directory of the spool's LMDB files; created when missing. One process per directory. */
  readonly dir: string;
}

/** What the client reports through `onError` (and its logger). None of it is thrown. */
export type DeliveryProblem =
  | {
      /** The collector answered 400/207 and will never accept these events; they are dropped. */
      readonly type: 'refused';
      readonly status: number;
      readonly events: readonly OutgoingEvent[];
      readonly issues: readonly EventIssue[];
      readonly message: string;
    }
  | {
      /** A request failed (network, 429, 5xx, 401/403/404): the batch is kept and sent again after `delayMs`. */
      readonly type: 'retrying';
      readonly status?: number;
      readonly message: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly events: number;
    }
  | {
      /** Memory mode with `retry.maxAttempts`: the batch was given up; `flush()`/`close()` reject with it. */
      readonly type: 'gave_up';
      readonly events: readonly OutgoingEvent[];
      readonly message: string;
    }
  | { readonly type: 'spool_write_failed'; readonly message: string; readonly error: unknown };

export interface TailorNodeOptions {
  /** A source's write key: identifies the source. */
  readonly writeKey?: string;
  /** A source's secret key: preferred when both are given; every request is then HMAC-signed with it. */
  readonly secretKey?: string;
  /** The collector's origin, e.g. `https://t.shop.example`. */
  readonly endpoint: string;
  /** Send once this many events are waiting. Default 100 (at most 2,500, the collector's batch limit). */
  readonly flushAt?: number;
  /** Send waiting events after this many ms. Default 1,000. */
  readonly flushInterval?: number;
  /** Most body bytes per request, under the collector's 500 KB limit. Default 400,000. */
  readonly maxBatchBytes?: number;
  /** `msgpack` (default) posts to `/v1/events`; `json` posts Segment's `/v1/batch` body. */
  readonly encoding?: 'msgpack' | 'json';
  readonly retry?: Partial<RetryOptions>;
  /** Write every call to a durable local spool before acknowledging it (POS gateways); calls then return promises. */
  readonly spool?: SpoolOptions;
  /** Serverless hosts (Vercel, Cloudflare): called with each flush's promise so the runtime waits for it. */
  readonly waitUntil?: (promise: Promise<unknown>) => void;
  readonly platform?: Partial<Platform>;
  readonly onError?: (problem: DeliveryProblem) => void;
  /** Memory mode: most events waiting at once; further calls return `queue_full`. Default 100,000. */
  readonly maxQueuedEvents?: number;
  /** Memory mode: most requests in flight at once. Default 4. The spool sends one at a time, in order. */
  readonly maxInFlight?: number;
  /** Per-request time limit in ms; a request that takes longer is aborted and retried. Default 15,000. */
  readonly timeoutMs?: number;
}

export interface ClientStats {
  readonly mode: 'memory' | 'spool';
  /** Events handed to the client and not yet accepted by the collector (queued, in flight or spooled). */
  readonly lag: number;
  /** Events the collector answered 2xx for since start (stored now or earlier). */
  readonly accepted: number;
  /** Of the accepted, those the collector already had (a retry of a request whose answer was lost). */
  readonly duplicates: number;
  /** Events the collector refused (400/207); they are dropped and reported through `onError`. */
  readonly refused: number;
  /** Memory mode: events given up after `retry.maxAttempts`. */
  readonly undelivered: number;
  readonly requests: number;
  readonly failedRequests: number;
  /** Failed requests since the last success; > 0 means the client is backing off now. */
  readonly consecutiveFailures: number;
  readonly lastError?: string;
  /** Epoch ms of the last 2xx. */
  readonly lastAcceptedAt?: number;
  /** Spool mode: epoch ms at which the oldest event still waiting was spooled (a lag-in-time metric). */
  readonly oldestWaitingAt?: number;
}

/** Passing `signal` bounds the wait; the events stay queued (or spooled) when it aborts. */
export interface WaitOptions {
  readonly signal?: AbortSignal;
}

export interface TailorNodeCalls<Events extends EventMap, R> {
  track<E extends string>(call: TrackCall<E, E extends keyof Events ? Events[E] : Dictionary>): R;
  identify(call: IdentifyCall): R;
  page(call: PageCall): R;
  group(call: GroupCall): R;
  alias(call: AliasCall): R;
}

interface TailorNodeControl {
  /**
   * Resolves once every event taken before the call has been accepted by the collector (or refused by it).
   * Memory mode with `retry.maxAttempts`: rejects with a `TailorError` ('transport_failed') whose `cause`
   * is an {@link UndeliveredEvents} once a batch is given up.
   */
  flush(options?: WaitOptions): Promise<void>;
  /** Events taken and not yet accepted by the collector. */
  lag(): number;
  stats(): ClientStats;
}

/** The in-memory client: calls return at once with a {@link CallResult}. */
export interface TailorNode<Events extends EventMap = EventMap> extends TailorNodeCalls<Events, CallResult>, TailorNodeControl {
  /** Stops taking calls and resolves once everything taken was accepted (serverless: `await close()` before returning). */
  close(options?: WaitOptions): Promise<void>;
}

/** The spooled client: a call's promise resolves once the event is on disk (fsynced), before it is sent. */
export interface SpooledTailorNode<Events extends EventMap = EventMap> extends TailorNodeCalls<Events, Promise<CallResult>>, TailorNodeControl {
  /**
   * Stops taking calls and forwarding, waits for pending spool writes and closes the spool. Events not yet
   * accepted stay on disk and are forwarded on the next start; call `flush()` first to drain.
   */
  close(): Promise<void>;
}

/** The `cause` of the TailorError that `flush()`/`close()` reject with when events were not delivered. */
export interface UndeliveredEvents {
  readonly undelivered: readonly OutgoingEvent[];
  readonly reason: string;
}
