import type { EventContext, EventType } from './envelope';
import type { Platform } from './platform';

/** Who an event is about. Clients pass it per call: no hidden "current user" is shared between requests. */
export interface Identity {
  readonly userId?: string;
  readonly anonymousId?: string;
}

/** Per-call options every verb takes, as in analytics.js. */
export interface CallOptions {
  /** When the event happened; defaults to now. */
  readonly timestamp?: Date | string | number;
  readonly context?: EventContext;
  readonly integrations?: Readonly<Record<string, boolean | Readonly<Record<string, unknown>>>>;
  /** Set it to make a retry of the same business event idempotent (e.g. `order-123-completed`). */
  readonly messageId?: string;
}

/** An event as a client builds it: the Segment envelope before the collector adds its times. */
export interface OutgoingEvent {
  readonly type: EventType;
  readonly messageId: string;
  readonly timestamp: string;
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly context: EventContext;
  readonly integrations?: CallOptions['integrations'];
  readonly [field: string]: unknown;
}

export interface EventBuilderOptions {
  readonly platform: Pick<Platform, 'clock' | 'ids'>;
  /** Written to `context.library`, so the collector can tell which client sent an event. */
  readonly library: { readonly name: string; readonly version: string };
}

export type EventBuilder = (
  type: EventType,
  fields: Readonly<Record<string, unknown>>,
  identity: Identity,
  options?: CallOptions,
) => OutgoingEvent;

function toIso(value: Date | string | number): string {
  if (typeof value === 'string') return value;
  return new Date(value).toISOString();
}

/**
 * Makes the function that turns one call (`track('Product Viewed', {...})`) into a Segment envelope.
 * Shared by the browser and Node clients so both send byte-for-byte the same shape.
 *
 * @example
 * const build = createEventBuilder({ platform, library: { name: '@tailor/node', version } });
 * build('track', { event: 'Order Completed', properties }, { userId: 'u-1' });
 */
export function createEventBuilder(options: EventBuilderOptions): EventBuilder {
  const { platform, library } = options;
  return (type, fields, identity, call = {}) => {
    const event: Record<string, unknown> = {
      ...fields,
      type,
      messageId: call.messageId ?? platform.ids.uuid(),
      timestamp: toIso(call.timestamp ?? platform.clock.now()),
      context: { ...call.context, library },
    };
    if (identity.userId !== undefined) event.userId = identity.userId;
    if (identity.anonymousId !== undefined) event.anonymousId = identity.anonymousId;
    if (call.integrations !== undefined) event.integrations = call.integrations;
    return event as OutgoingEvent;
  };
}
