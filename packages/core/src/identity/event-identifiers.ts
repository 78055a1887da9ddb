import { isIdentifierType, type BuiltInIdentifierType, type IdentifierType } from './identifiers';

/**
 * A Segment-shaped event as the identity graph reads it (a validated `SegmentEvent` fits). Only the fields
 * that carry identifiers, the type, the id and the time are read.
 */
export interface IdentityEvent {
  readonly type?: string;
  readonly messageId?: string;
  readonly userId?: unknown;
  readonly anonymousId?: unknown;
  /** alias only: the id the person had before. */
  readonly previousId?: unknown;
  readonly timestamp?: unknown;
  readonly originalTimestamp?: unknown;
  readonly receivedAt?: unknown;
  readonly traits?: unknown;
  readonly context?: unknown;
  readonly properties?: unknown;
  readonly [field: string]: unknown;
}

/** Where each type is read from, as dotted paths into the event. */
export type IdentifierPaths = { readonly [T in IdentifierType]?: readonly string[] };

export const DEFAULT_IDENTIFIER_PATHS: Readonly<Record<BuiltInIdentifierType, readonly string[]>> = Object.freeze({
  userId: ['userId'],
  anonymousId: ['anonymousId'],
  email: ['traits.email', 'context.traits.email'],
  phone: ['traits.phone', 'context.traits.phone'],
  loyaltyId: ['context.loyaltyId', 'traits.loyaltyId', 'traits.loyalty_id', 'context.traits.loyaltyId', 'properties.loyalty_id'],
  posCustomerId: ['context.posCustomerId', 'traits.posCustomerId', 'traits.pos_customer_id', 'properties.pos_customer_id'],
  deviceId: ['context.device.id'],
});

/** Segment `context.externalIds[].type` names that mean a built-in type; any other becomes `custom:<type>`. */
const EXTERNAL_ID_TYPES: Readonly<Record<string, BuiltInIdentifierType>> = {
  user_id: 'userId',
  userId: 'userId',
  anonymous_id: 'anonymousId',
  anonymousId: 'anonymousId',
  email: 'email',
  phone: 'phone',
  loyalty_id: 'loyaltyId',
  loyaltyId: 'loyaltyId',
  pos_customer_id: 'posCustomerId',
  posCustomerId: 'posCustomerId',
  device_id: 'deviceId',
  deviceId: 'deviceId',
};

export interface RawIdentifier {
  readonly type: IdentifierType;
  readonly value: string;
}

export interface EventIdentifierOptions {
  /** Per-type paths; an entry replaces that type's defaults. Add `custom:<name>` entries for custom types. */
  readonly paths?: IdentifierPaths;
  /**
   * Segment's `alias.previousId` may be an anonymousId or an older userId and the event does not say which.
   * Typed as `anonymousId` by default (the browser case); use `'userId'` for server-side renames, and raise
   * `userId.maxValuesPerProfile` accordingly or the rename will be refused as a second userId.
   */
  readonly aliasPreviousIdType?: 'anonymousId' | 'userId';
}

/** The rule name an event's edges carry: `identify`, `alias`, or `shared-identifier` (seen together in any other event). */
export function edgeRuleOf(event: IdentityEvent): 'identify' | 'alias' | 'shared-identifier' {
  return event.type === 'identify' ? 'identify' : event.type === 'alias' ? 'alias' : 'shared-identifier';
}

function asValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Compiles the paths once and returns a function listing an event's raw identifiers (unnormalized, maybe
 * repeated; the graph normalizes and de-duplicates them).
 *
 * @example
 * createEventIdentifierReader()({ type: 'identify', userId: 'u1', traits: { email: 'a@x.com' } })
 * // [{ type: 'userId', value: 'u1' }, { type: 'email', value: 'a@x.com' }]
 */
export function createEventIdentifierReader(options: EventIdentifierOptions = {}): (event: IdentityEvent) => RawIdentifier[] {
  const table = new Map<IdentifierType, readonly string[]>(Object.entries(DEFAULT_IDENTIFIER_PATHS) as [IdentifierType, readonly string[]][]);
  for (const [type, paths] of Object.entries(options.paths ?? {})) {
    if (isIdentifierType(type) && paths) table.set(type, paths);
  }
  const compiled = [...table].flatMap(([type, paths]) => paths.map((path) => ({ type, steps: path.split('.') })));
  const previousIdType = options.aliasPreviousIdType ?? 'anonymousId';

  return (event) => {
    const out: RawIdentifier[] = [];
    for (const { type, steps } of compiled) {
      let at: unknown = event;
      for (const step of steps) {
        if (at === null || typeof at !== 'object') {
          at = undefined;
          break;
        }
        at = (at as Record<string, unknown>)[step];
      }
      const value = asValue(at);
      if (value !== undefined) out.push({ type, value });
    }
    if (event.type === 'alias') {
      const previous = asValue(event.previousId);
      if (previous !== undefined) out.push({ type: previousIdType, value: previous });
    }
    const external = (event.context as { externalIds?: unknown } | undefined)?.externalIds;
    if (Array.isArray(external)) {
      for (const entry of external as unknown[]) {
        if (entry === null || typeof entry !== 'object') continue;
        const { id, type } = entry as { id?: unknown; type?: unknown };
        const value = asValue(id);
        if (value === undefined || typeof type !== 'string') continue;
        const mapped = Object.hasOwn(EXTERNAL_ID_TYPES, type) ? EXTERNAL_ID_TYPES[type] : `custom:${type}`;
        if (mapped !== undefined && isIdentifierType(mapped)) out.push({ type: mapped, value });
      }
    }
    return out;
  };
}

/** The event's time in epoch ms: `timestamp`, else `originalTimestamp`, else `receivedAt`; undefined if none parses. */
export function eventTime(event: IdentityEvent): number | undefined {
  for (const value of [event.timestamp, event.originalTimestamp, event.receivedAt]) {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string') {
      const parsed = Date.parse(value);
      if (!Number.isNaN(parsed)) return parsed;
    }
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  }
  return undefined;
}
