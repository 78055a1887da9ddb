import { isIP } from 'node:net';
import { resolveServerTimes, type EventIssue, type EventType, type SegmentEvent } from '@tailor/core';

/** The analytics.js short paths name the call type by its first letter. */
export const SHORT_TYPES: Readonly<Record<string, EventType>> = { t: 'track', i: 'identify', p: 'page', s: 'screen', g: 'group', a: 'alias' };

export type Items = { readonly ok: true; readonly items: unknown[]; readonly sentAt?: string; readonly writeKey?: string } | { readonly ok: false; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The events a body carries. A batch body is `{ batch: [...], context?, integrations?, sentAt?, writeKey? }`
 * (the native endpoint also takes a bare array); batch-level `context` and `integrations` are merged into
 * each item, the item's own keys winning. A single-call body is the event itself, its `type` implied by the path.
 */
export function extractItems(body: unknown, impliedType: EventType | undefined): Items {
  if (impliedType === undefined) {
    const batch = Array.isArray(body) ? body : isRecord(body) ? body.batch : undefined;
    if (!Array.isArray(batch)) return { ok: false, message: 'a batch body must be an object with a "batch" array of events' };
    const shared = isRecord(body) ? body : {};
    const context = isRecord(shared.context) ? shared.context : undefined;
    const integrations = isRecord(shared.integrations) ? shared.integrations : undefined;
    const items =
      context === undefined && integrations === undefined
        ? batch
        : batch.map((item) => {
            if (!isRecord(item)) return item;
            const merged: Record<string, unknown> = { ...item };
            if (context) merged.context = { ...context, ...(isRecord(item.context) ? item.context : {}) };
            if (integrations) merged.integrations = { ...integrations, ...(isRecord(item.integrations) ? item.integrations : {}) };
            return merged;
          });
    return { ok: true, items, ...optionalString('sentAt', shared.sentAt), ...optionalString('writeKey', shared.writeKey) };
  }
  if (!isRecord(body)) return { ok: false, message: `the body of a ${impliedType} call must be a JSON object` };
  const { writeKey, ...event } = body;
  if (event.type === undefined) event.type = impliedType;
  return { ok: true, items: [event], ...optionalString('writeKey', writeKey) };
}

function optionalString<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return (typeof value === 'string' ? { [key]: value } : {}) as { [P in K]?: string };
}

/** For a single-call path, an event whose `type` disagrees with the path is a client bug worth naming. */
export function checkImpliedType(item: unknown, impliedType: EventType | undefined, index: number): EventIssue | undefined {
  if (impliedType === undefined || !isRecord(item) || item.type === impliedType) return undefined;
  return {
    index,
    path: 'type',
    code: 'invalid_value',
    message: `type: this endpoint takes "${impliedType}" calls, got ${JSON.stringify(item.type)}`,
    severity: 'error',
  };
}

export interface Enrichment {
  readonly receivedAt: number;
  /** `receivedAt` formatted once per request. */
  readonly receivedIso: string;
  readonly batchSentAt?: string;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly anonymizeIp: boolean;
}

/**
 * What the collector adds before storing: `receivedAt`, the skew-corrected `timestamp` (keeping the device's
 * as `originalTimestamp`), the client IP and user agent unless the event already carries them (as Segment
 * does: a backend forwarding a shopper's event sets `context.ip` to the shopper's address).
 */
export function enrichEvent(event: SegmentEvent, how: Enrichment): SegmentEvent {
  const times = resolveServerTimes(event, how.receivedAt, how.batchSentAt, how.receivedIso);
  const context: Record<string, unknown> = { ...event.context };
  const givenIp = typeof context.ip === 'string' ? context.ip : how.ip;
  if (givenIp !== undefined) context.ip = how.anonymizeIp ? anonymizeIp(givenIp) : givenIp;
  else delete context.ip;
  if (context.userAgent === undefined && how.userAgent !== undefined) context.userAgent = how.userAgent;
  return { ...event, ...times, context } as SegmentEvent;
}

/** Zeroes the host part: the last octet of IPv4, the last 80 bits of IPv6 (as Google Analytics does). */
export function anonymizeIp(ip: string): string {
  const mapped = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const version = isIP(mapped);
  if (version === 4) return mapped.replace(/\.\d+$/, '.0');
  if (version === 6) {
    const [head = ''] = mapped.split('::');
    const groups = mapped.includes('::') ? head.split(':').filter(Boolean) : mapped.split(':');
    return `${groups.slice(0, 3).join(':')}::`;
  }
  return '0.0.0.0';
}
