import {
  TailorError,
  createEventBuilder,
  type CallOptions,
  type EventType,
  type OutgoingEvent,
  type Platform,
  type RetailEvents,
} from '@tailor/core';
import { createBrowserPlatform } from './browser-platform';
import { consentChangeEvent, createConsentManager, toContextConsent, type ConsentOptions, type ConsentState, type Purpose } from './consent';
import { openIdbQueue } from './idb-queue';
import { createIdentity, type IdentityOptions } from './identity';
import { electLeader } from './leader';
import { hashIdentifiers, redact } from './pii';
import { DEFAULT_QUEUE_LIMITS, createMemoryQueue, type EventQueue, type QueueLimits } from './queue';
import { JSON_ENCODER, createSender, type BodyEncoder } from './sender';
import { sendOnUnload } from './unload';

/** Event name → properties type. Pass `PlanEvents<typeof plan>` to type `track()` by your tracking plan. */
export type EventMap = { readonly [event: string]: Readonly<Record<string, unknown>> };

export interface TailorOptions {
  /** The source's write key, from the collector's config. */
  readonly writeKey: string;
  /** The collector's origin (first-party, e.g. `https://t.shop.example`). Default: the page's own origin. */
  readonly endpoint?: string;
  /** Send once this many events are waiting. Default 20. */
  readonly flushAt?: number;
  /** Send waiting events after this many ms. Default 1000. */
  readonly flushInterval?: number;
  /** Bounds of the on-device queue; the oldest events are dropped (and counted) past them. */
  readonly queueLimits?: Partial<QueueLimits>;
  /** `memory` keeps nothing across page loads (tests, kiosks). Default `indexeddb`, memory where unavailable. */
  readonly storage?: 'indexeddb' | 'memory';
  readonly consent?: ConsentOptions;
  readonly identity?: IdentityOptions;
  /** Hash normalized email/phone traits on the device (SHA-256) and strip denylisted keys everywhere. */
  readonly pii?: { readonly hashEmail?: boolean; readonly hashPhone?: boolean; readonly defaultCountryCode?: string; readonly denylist?: readonly (string | RegExp)[] };
  /** Send a page view on load and on every SPA navigation (history.pushState/replaceState, popstate). */
  readonly autoPageViews?: boolean;
  /** Send an alias (anonymous id → user id) on the first identify of an anonymous visitor. Default true. */
  readonly aliasOnIdentify?: boolean;
  /** Body format; JSON by default, `msgpackEncoder` from `@tailor/browser/msgpack` for /v1/events. */
  readonly encoder?: BodyEncoder;
  /** Log what the SDK does to the console. */
  readonly debug?: boolean;
  readonly platform?: Partial<Platform>;
}

export interface TailorSnapshot {
  readonly anonymousId: string;
  readonly userId: string | undefined;
  readonly consent: ConsentState;
  /** True once the on-device queue is open (IndexedDB or its memory fallback). */
  readonly ready: boolean;
  /** True when events survive a reload (IndexedDB); false on the memory fallback. */
  readonly durable: boolean;
}

export interface TailorClient<Events extends EventMap = RetailEvents> {
  track<E extends keyof Events & string>(event: E, properties: Events[E], options?: CallOptions): void;
  page(name?: string, properties?: Readonly<Record<string, unknown>>, options?: CallOptions): void;
  identify(userId: string, traits?: Readonly<Record<string, unknown>>, options?: CallOptions): void;
  alias(userId: string, previousId?: string, options?: CallOptions): void;
  group(groupId: string, traits?: Readonly<Record<string, unknown>>, options?: CallOptions): void;
  /** Forgets the user (logout): a new anonymous id, no user id, a new session. */
  reset(): void;
  /** Records a consent decision (an audit event is sent when measurement is allowed) and applies it. */
  consent(update: Partial<Record<Purpose, boolean>>): ConsentState;
  /** Persists what is waiting and, in the tab that sends, delivers it; resolves when the collector answered. */
  flush(): Promise<void>;
  /** Resolves once the queue is open. */
  ready(): Promise<void>;
  getAnonymousId(): string;
  getUserId(): string | undefined;
  /** For UI bindings (`useSyncExternalStore`): a stable snapshot, replaced when something changes. */
  getSnapshot(): TailorSnapshot;
  subscribe(listener: () => void): () => void;
  /**
   * Calls `listener` with every event this client builds (after consent gating of sending is decided, before
   * it is queued): how on-device decisions keep the person's features current. Returns an unsubscribe.
   */
  onEvent(listener: (event: OutgoingEvent) => void): () => void;
  /** The platform the client runs on (clock, ids, transport, timers), for companions like `createDecisions`. */
  readonly platform: Platform;
  /** Where the client sends, and with which key. */
  readonly connection: { readonly endpoint: string; readonly writeKey: string };
  /** Stops timers and listeners (the queue keeps what was not sent). */
  close(): void;
}

const LIBRARY = { name: '@tailor/browser', version: '0.1.0' } as const;
/** Events held in memory while consent is undecided in default-deny mode. */
const MAX_HELD = 1_000;

/**
 * Creates the browser client. Every call returns at once and never throws: events are built
 * synchronously, persisted to IndexedDB in one transaction per task, and sent by one tab of the origin.
 *
 * @example
 * const tailor = createTailor({ writeKey: 'wk_web', endpoint: 'https://t.shop.example', consent: { mode: 'default-deny' } });
 * tailor.track('Product Viewed', { product_id: 'sku-1', price: 19.99, currency: 'EUR' });
 */
export function createTailor<Events extends EventMap = RetailEvents>(options: TailorOptions): TailorClient<Events> {
  if (typeof options?.writeKey !== 'string' || options.writeKey.length === 0) {
    throw new TailorError('invalid_options', 'createTailor: "writeKey" is required (find it in your collector config)');
  }
  const debugLogger = options.debug ? consoleLogger() : undefined;
  const platform = createBrowserPlatform({ ...(debugLogger ? { logger: debugLogger } : {}), ...options.platform });
  const { logger, timers } = platform;
  const now = () => platform.clock.now();
  const build = createEventBuilder({ platform, library: LIBRARY });
  const endpoint = (options.endpoint ?? (typeof location === 'undefined' ? '' : location.origin)).replace(/\/+$/, '');
  const encoder = options.encoder ?? JSON_ENCODER;
  const flushAt = options.flushAt ?? 20;
  const flushInterval = options.flushInterval ?? 1_000;
  const limits = { ...DEFAULT_QUEUE_LIMITS, ...options.queueLimits };
  const consent = createConsentManager(options.consent ?? {}, { now });
  const mayPersist = (state: ConsentState) => state.purposes.measurement;
  const identity = createIdentity(options.identity ?? {}, () => platform.ids.uuid(), mayPersist(consent.get()));

  const listeners = new Set<() => void>();
  let snapshot: TailorSnapshot;
  // Until the durable queue opens, events wait in an unbounded memory queue; limits apply when they move.
  let queue: EventQueue = createMemoryQueue({ maxEvents: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY });
  let durableQueue: EventQueue | undefined;
  let opened = false;
  /** Built events not yet in the queue: written together at the end of the task. */
  let buffer: OutgoingEvent[] = [];
  /** JSON sizes of `buffer`'s events, measured once when they were accepted. */
  let bufferSizes: number[] = [];
  /** Events waiting for a consent decision (default-deny): never persisted, never sent unless allowed. */
  let held: OutgoingEvent[] = [];
  let writing: Promise<void> = Promise.resolve();
  let writeScheduled = false;
  let timer: unknown;
  let leader = false;
  let closed = false;
  let chain: Promise<void> | undefined;
  /**
   * This page's events not yet confirmed delivered, by messageId, for the synchronous send at pagehide
   * (IndexedDB cannot be read then). Bounded: the queue, not this mirror, is what keeps events safe.
   */
  const recent = new Map<string, OutgoingEvent>();
  const MAX_RECENT = 200;
  const cleanups: Array<() => void> = [];

  const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(`tailor:${options.writeKey}`);
  const wakeLeader = () => channel?.postMessage('wake');
  if (channel) {
    channel.onmessage = () => {
      if (leader) scheduleFlush(0);
    };
    cleanups.push(() => channel.close());
  }

  const sender = createSender({
    queue: () => queue,
    transport: platform.transport,
    timers,
    random: platform.random,
    logger,
    now,
    endpoint,
    writeKey: options.writeKey,
    encoder,
    onDelivered: (events) => {
      for (const event of events) recent.delete(event.messageId);
    },
    dropEvent: (drops) => build('track', { event: 'Tailor Events Dropped', properties: { ...drops, limitEvents: limits.maxEvents, limitBytes: limits.maxBytes } }, ids()),
  });

  function ids() {
    const userId = identity.userId();
    return { anonymousId: identity.anonymousId(), ...(userId === undefined ? {} : { userId }) };
  }

  function refreshSnapshot(): void {
    snapshot = { anonymousId: identity.anonymousId(), userId: identity.userId(), consent: consent.get(), ready: opened, durable: queue.durable };
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        logger.warn({ error }, 'tailor: a subscriber threw');
      }
    }
  }
  refreshSnapshot();

  function scheduleFlush(delay: number): void {
    if (closed || timer !== undefined) return;
    timer = timers.setTimeout(() => {
      timer = undefined;
      void deliver();
    }, delay);
  }

  async function deliver(): Promise<void> {
    await persist();
    if (leader) await sender.flush();
    else wakeLeader();
  }

  /** Writes the buffer to the queue in one transaction; the promise settles when it is stored. */
  function persist(): Promise<void> {
    if (buffer.length === 0) return writing;
    const batch = buffer;
    const sizes = bufferSizes;
    buffer = [];
    bufferSizes = [];
    writing = writing
      .then(() => queue.push(batch, sizes))
      .catch((error: unknown) => {
        logger.warn({ error }, 'tailor: could not persist events; keeping them in memory');
        queue = createMemoryQueue(limits);
        return queue.push(batch);
      })
      .then(async () => {
        if ((await queue.count()) >= flushAt) scheduleFlush(0);
        else scheduleFlush(flushInterval);
      });
    return writing;
  }

  const eventListeners = new Set<(event: OutgoingEvent) => void>();

  function accept(event: OutgoingEvent): void {
    for (const listener of eventListeners) {
      try {
        listener(event);
      } catch (error) {
        logger.warn({ error }, 'tailor: an event listener threw');
      }
    }
    let size: number;
    try {
      size = JSON.stringify(event).length;
    } catch (error) {
      // A cycle or a BigInt could never be sent; queuing it would block everything behind it.
      logger.warn({ error, event: event.event }, 'tailor: dropped an event that cannot be encoded as JSON');
      return;
    }
    const state = consent.get();
    if (!state.purposes.measurement) {
      // Undecided under default-deny: hold in memory only. Decided against: drop.
      if (state.source === 'default' && held.length < MAX_HELD) held.push(event);
      return;
    }
    buffer.push(event);
    bufferSizes.push(size);
    recent.set(event.messageId, event);
    if (recent.size > MAX_RECENT) recent.delete(recent.keys().next().value as string);
    if (!writeScheduled) {
      writeScheduled = true;
      queueMicrotask(() => {
        writeScheduled = false;
        void persist();
      });
    }
  }

  function enqueue(type: EventType, fields: Record<string, unknown>, call?: CallOptions, as?: { userId: string }): void {
    try {
      if (closed) return;
      const session = identity.touch(now());
      const page = typeof location === 'undefined' ? undefined : { path: location.pathname, search: location.search, url: location.href, title: typeof document === 'undefined' ? '' : document.title, referrer: typeof document === 'undefined' ? '' : document.referrer };
      const context = {
        channel: 'web' as const,
        ...(page ? { page } : {}),
        ...(typeof navigator === 'undefined' ? {} : { locale: navigator.language }),
        session: { id: session.id, startedAt: new Date(session.startedAt).toISOString() },
        consent: consentContext,
        ...call?.context,
      };
      const identityNow = as ? { ...ids(), userId: as.userId } : ids();
      const denylist = options.pii?.denylist;
      const clean = denylist && denylist.length > 0 ? redact(fields, denylist) : fields;
      const needsHash = (options.pii?.hashEmail || options.pii?.hashPhone) && (type === 'identify' || type === 'group');
      const make = (payload: Record<string, unknown>) => build(type, payload, identityNow, { ...call, context });
      if (!needsHash && chain === undefined) return accept(make(clean));
      // Hashing is async (WebCrypto): this and every later call wait their turn, so order is kept.
      const step = (chain ?? Promise.resolve()).then(async () => {
        const traits = needsHash ? await hashIdentifiers((clean.traits ?? {}) as Record<string, unknown>, { email: options.pii?.hashEmail ?? false, phone: options.pii?.hashPhone ?? false, ...(options.pii?.defaultCountryCode ? { defaultCountryCode: options.pii.defaultCountryCode } : {}) }) : undefined;
        accept(make(traits ? { ...clean, traits } : clean));
      });
      const current = step.catch((error: unknown) => logger.warn({ error }, 'tailor: could not build an event')).finally(() => {
        if (chain === current) chain = undefined;
      });
      chain = current;
    } catch (error) {
      logger.warn({ error }, 'tailor: could not record an event');
    }
  }

  /** Rebuilt only when consent changes: every event shares it. */
  let consentContext = toContextConsent(consent.get());
  consent.subscribe((state, previous) => {
    consentContext = toContextConsent(state);
    identity.setPersist(mayPersist(state));
    if (state.purposes.measurement) {
      if (!previous.purposes.measurement) {
        const released = held;
        held = [];
        for (const event of released) accept({ ...event, context: { ...event.context, consent: toContextConsent(state) } });
      }
      const audit = consentChangeEvent(state, previous);
      enqueue('track', { event: audit.event, properties: audit.properties });
    } else held = state.source === 'default' ? held : [];
    refreshSnapshot();
  });
  consent.start();
  cleanups.push(() => consent.stop());

  const loaded = (async () => {
    if (options.storage !== 'memory' && typeof indexedDB !== 'undefined') {
      durableQueue = await openIdbQueue(`tailor:${options.writeKey}`, limits);
      if (durableQueue === undefined) logger.info({}, 'tailor: IndexedDB is unavailable here; events are kept in memory for this page only');
    }
    const target = durableQueue ?? createMemoryQueue(limits);
    // Behind any write in flight: events queued before the queue opened move into it, in order.
    writing = writing.then(async () => {
      const early = await queue.peek(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      queue = target;
      if (early.length > 0) await target.push(early.map((item) => item.event));
    });
    await writing;
    opened = true;
    refreshSnapshot();
    scheduleFlush(0);
  })().catch((error: unknown) => {
    opened = true;
    logger.warn({ error }, 'tailor: queue setup failed; using memory');
  });

  cleanups.push(
    electLeader(`tailor:${options.writeKey}`, (isLeader) => {
      leader = isLeader;
      if (isLeader) void loaded.then(() => scheduleFlush(0));
    }),
  );
  cleanups.push(
    platform.lifecycle.onHidden(() => {
      if (recent.size === 0) return;
      sendOnUnload({ events: [...recent.values()], transport: platform.transport, url: endpoint + encoder.path, encoder, writeKey: options.writeKey, now, logger });
      void persist();
    }),
  );
  cleanups.push(platform.lifecycle.onOnline(() => scheduleFlush(0)));
  if (options.autoPageViews) cleanups.push(watchNavigation(() => enqueue('page', { properties: {} })));

  const client: TailorClient<Events> = {
    track: (event, properties, call) => enqueue('track', { event, properties }, call),
    page: (name, properties, call) => enqueue('page', { ...(name === undefined ? {} : { name }), properties: properties ?? {} }, call),
    identify(userId, traits, call) {
      const wasAnonymous = identity.userId() === undefined;
      if (wasAnonymous && (options.aliasOnIdentify ?? true)) enqueue('alias', { previousId: identity.anonymousId() }, call, { userId });
      identity.setUserId(userId);
      enqueue('identify', { traits: traits ?? {} }, call);
      refreshSnapshot();
    },
    alias: (userId, previousId, call) => enqueue('alias', { previousId: previousId ?? identity.userId() ?? identity.anonymousId() }, call, { userId }),
    group: (groupId, traits, call) => enqueue('group', { groupId, traits: traits ?? {} }, call),
    reset() {
      identity.reset();
      refreshSnapshot();
    },
    consent: (update) => consent.set(update),
    async flush() {
      await loaded;
      await chain;
      await persist();
      if (leader) await sender.flush();
      else wakeLeader();
    },
    ready: () => loaded,
    getAnonymousId: () => identity.anonymousId(),
    getUserId: () => identity.userId(),
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    platform,
    connection: { endpoint, writeKey: options.writeKey },
    close() {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
  return client;
}

/** Calls `onNavigate` on load and after each history change of a single-page app. */
function watchNavigation(onNavigate: () => void): () => void {
  if (typeof window === 'undefined' || typeof history === 'undefined') return () => {};
  let last = location.href;
  const check = () => {
    if (location.href === last) return;
    last = location.href;
    onNavigate();
  };
  const original = { push: history.pushState, replace: history.replaceState };
  history.pushState = function (...args: Parameters<History['pushState']>) {
    original.push.apply(this, args);
    check();
  };
  history.replaceState = function (...args: Parameters<History['replaceState']>) {
    original.replace.apply(this, args);
    check();
  };
  window.addEventListener('popstate', check);
  onNavigate();
  return () => {
    history.pushState = original.push;
    history.replaceState = original.replace;
    window.removeEventListener('popstate', check);
  };
}

function consoleLogger(): Platform['logger'] {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (fields: object, message: string) => console[level](message, fields);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
