import {
  TailorError,
  createEventBuilder,
  type CallOptions,
  type OutgoingEvent,
  type Platform,
  type RetailEvents,
} from '@tailor/core';
import { createBrowserPlatform } from './browser-platform';

/** Event name → properties type. Pass `PlanEvents<typeof plan>` to type `track()` by your tracking plan. */
export type EventMap = { readonly [event: string]: Readonly<Record<string, unknown>> };

export interface TailorOptions {
  /** The source's write key, from the collector's config. */
  readonly writeKey: string;
  /** The collector's origin (first-party, e.g. `https://t.shop.example`). Default: the page's own origin. */
  readonly endpoint?: string;
  /** Path of the batch endpoint; configurable because blocklists match well-known paths. Default `/v1/batch`. */
  readonly batchPath?: string;
  /** Send once this many events are queued. Default 20. */
  readonly flushAt?: number;
  /** Send queued events after this many milliseconds. Default 1000. */
  readonly flushInterval?: number;
  readonly platform?: Partial<Platform>;
}

export interface TailorClient<Events extends EventMap = RetailEvents> {
  track<E extends keyof Events & string>(event: E, properties: Events[E], options?: CallOptions): void;
  page(name?: string, properties?: Readonly<Record<string, unknown>>, options?: CallOptions): void;
  identify(userId: string, traits?: Readonly<Record<string, unknown>>, options?: CallOptions): void;
  alias(userId: string, previousId?: string, options?: CallOptions): void;
  group(groupId: string, traits?: Readonly<Record<string, unknown>>, options?: CallOptions): void;
  /** Forgets the user (logout): a new anonymous id, no user id. */
  reset(): void;
  /** Sends everything queued; resolves when the collector has answered. */
  flush(): Promise<void>;
  /** Resolves once the client has loaded its ids from storage. */
  ready(): Promise<void>;
  getAnonymousId(): string | undefined;
  getUserId(): string | undefined;
}

const LIBRARY = { name: '@tailor/browser', version: '0.1.0' } as const;
const ANONYMOUS_ID_KEY = 'tailor.anonymousId';
const USER_ID_KEY = 'tailor.userId';

/**
 * Creates the browser client.
 *
 * Today's queue is in memory and sends Segment JSON batches; the durable IndexedDB queue, one sender
 * across tabs, unload delivery and consent arrive with the browser SDK issue.
 *
 * @example
 * const tailor = createTailor({ writeKey: 'wk_web', endpoint: 'https://t.shop.example' });
 * tailor.track('Product Viewed', { product_id: 'sku-1', price: 19.99, currency: 'EUR' });
 */
export function createTailor<Events extends EventMap = RetailEvents>(options: TailorOptions): TailorClient<Events> {
  if (typeof options?.writeKey !== 'string' || options.writeKey.length === 0) {
    throw new TailorError('invalid_options', 'createTailor: "writeKey" is required (find it in your collector config)');
  }
  const platform = createBrowserPlatform(options.platform);
  const build = createEventBuilder({ platform, library: LIBRARY });
  const endpoint = (options.endpoint ?? '').replace(/\/+$/, '');
  const url = `${endpoint}${options.batchPath ?? '/v1/batch'}`;
  const flushAt = options.flushAt ?? 20;
  const flushInterval = options.flushInterval ?? 1000;

  let anonymousId: string | undefined;
  let userId: string | undefined;
  let queue: OutgoingEvent[] = [];
  let timer: unknown;
  let sending: Promise<void> = Promise.resolve();

  const loaded = (async () => {
    anonymousId = (await platform.storage.get(ANONYMOUS_ID_KEY)) ?? platform.ids.uuid();
    userId = await platform.storage.get(USER_ID_KEY);
    await platform.storage.set(ANONYMOUS_ID_KEY, anonymousId);
  })().catch((error: unknown) => {
    anonymousId ??= platform.ids.uuid();
    platform.logger.warn({ error }, 'tailor: storage unavailable, ids last for this page only');
  });

  function enqueue(type: OutgoingEvent['type'], fields: Record<string, unknown>, call?: CallOptions, as?: { userId: string }): void {
    void loaded.then(() => {
      queue.push(build(type, fields, { userId: as?.userId ?? userId, anonymousId }, call));
      if (queue.length >= flushAt) void flush();
      else if (timer === undefined) timer = platform.timers.setTimeout(() => void flush(), flushInterval);
    });
  }

  async function send(batch: OutgoingEvent[]): Promise<void> {
    const body = JSON.stringify({ batch, writeKey: options.writeKey, sentAt: new Date(platform.clock.now()).toISOString() });
    try {
      const response = await platform.transport.send({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (response.status >= 500 || response.status === 429) queue = batch.concat(queue);
      else if (response.status >= 400) platform.logger.warn({ status: response.status, body: await response.text() }, 'tailor: batch rejected');
    } catch (error) {
      queue = batch.concat(queue);
      platform.logger.warn({ error }, 'tailor: network error, will retry on the next flush');
    }
  }

  function flush(): Promise<void> {
    if (timer !== undefined) platform.timers.clearTimeout(timer);
    timer = undefined;
    sending = sending.then(async () => {
      await loaded;
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      await send(batch);
    });
    return sending;
  }

  function remember(key: string, value: string | undefined): void {
    const write = value === undefined ? platform.storage.delete(key) : platform.storage.set(key, value);
    write.catch((error: unknown) => platform.logger.warn({ error, key }, 'tailor: could not persist id'));
  }

  return {
    track: (event, properties, call) => enqueue('track', { event, properties }, call),
    page: (name, properties, call) => enqueue('page', { ...(name === undefined ? {} : { name }), properties: properties ?? {} }, call),
    identify(id, traits, call) {
      void loaded.then(() => {
        userId = id;
        remember(USER_ID_KEY, id);
      });
      enqueue('identify', { traits: traits ?? {} }, call);
    },
    alias: (id, previousId, call) =>
      void loaded.then(() => enqueue('alias', { previousId: previousId ?? userId ?? anonymousId }, call, { userId: id })),
    group: (groupId, traits, call) => enqueue('group', { groupId, traits: traits ?? {} }, call),
    reset() {
      void loaded.then(() => {
        userId = undefined;
        anonymousId = platform.ids.uuid();
        remember(USER_ID_KEY, undefined);
        remember(ANONYMOUS_ID_KEY, anonymousId);
      });
    },
    flush,
    ready: () => loaded,
    getAnonymousId: () => anonymousId,
    getUserId: () => userId,
  };
}
