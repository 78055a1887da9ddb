import { SEGMENT_LIMITS, createEventBuilder, type CallOptions, type EventType, type OutgoingEvent, type Platform } from '@tailor/core';
import type { CallRefusalReason, Person } from './types';
import type { WireEncoding } from './wire';

export const LIBRARY = { name: '@tailor/node', version: '0.1.0' } as const;

/** A call turned into an event and its wire bytes, or the reason it was not. */
export type BuiltEvent =
  | { readonly ok: true; readonly event: OutgoingEvent; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: CallRefusalReason; readonly message: string };

export type CallBuilder = (type: EventType, call: unknown) => BuiltEvent;

type Fields = Record<string, unknown>;
type Checked = { readonly fields: Fields; readonly person: Person } | string;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function optionalRecord(call: Record<string, unknown>, key: string, verb: string): string | undefined {
  return call[key] === undefined || isRecord(call[key]) ? undefined : `${verb}: "${key}" must be an object`;
}

function checkPerson(call: Record<string, unknown>, verb: string): Person | string {
  const { userId, anonymousId } = call;
  if (userId !== undefined && !isText(userId)) return `${verb}: "userId" must be a non-empty string`;
  if (anonymousId !== undefined && !isText(anonymousId)) return `${verb}: "anonymousId" must be a non-empty string`;
  if (userId === undefined && anonymousId === undefined) {
    return `${verb}: pass "userId" or "anonymousId" on every call (e.g. anonymousIdFrom(request) for a shopper not logged in)`;
  }
  return { ...(userId === undefined ? {} : { userId }), ...(anonymousId === undefined ? {} : { anonymousId }) };
}

/** The verb-specific fields of a call, checked; a string is the problem. */
function checkFields(type: EventType, call: Record<string, unknown>): Checked {
  const verb = type === 'track' ? 'track' : type;
  if (type === 'alias') {
    if (!isText(call.userId)) return 'alias: "userId" (the known id) must be a non-empty string';
    if (!isText(call.previousId)) return 'alias: "previousId" (the anonymous or old id) must be a non-empty string';
    return { fields: { previousId: call.previousId }, person: { userId: call.userId } };
  }
  const person = checkPerson(call, verb);
  if (typeof person === 'string') return person;
  switch (type) {
    case 'track': {
      if (!isText(call.event)) return 'track: "event" must be the event name, e.g. "Order Completed"';
      return optionalRecord(call, 'properties', verb) ?? { fields: { event: call.event, properties: call.properties ?? {} }, person };
    }
    case 'identify':
      return optionalRecord(call, 'traits', verb) ?? { fields: call.traits === undefined ? {} : { traits: call.traits }, person };
    case 'group':
      if (!isText(call.groupId)) return 'group: "groupId" must be a non-empty string';
      return optionalRecord(call, 'traits', verb) ?? { fields: { groupId: call.groupId, traits: call.traits ?? {} }, person };
    default: {
      if (call.name !== undefined && typeof call.name !== 'string') return `${verb}: "name" must be a string`;
      if (call.category !== undefined && typeof call.category !== 'string') return `${verb}: "category" must be a string`;
      const problem = optionalRecord(call, 'properties', verb);
      if (problem) return problem;
      const fields: Fields = { properties: call.properties ?? {} };
      if (call.name !== undefined) fields.name = call.name;
      if (call.category !== undefined) fields.category = call.category;
      return { fields, person };
    }
  }
}

function checkOptions(call: Record<string, unknown>, verb: string): CallOptions | string {
  const { messageId, timestamp, context, integrations } = call;
  if (messageId !== undefined && (!isText(messageId) || messageId.length > SEGMENT_LIMITS.maxMessageIdLength)) {
    return `${verb}: "messageId" must be a string of 1-${SEGMENT_LIMITS.maxMessageIdLength} characters`;
  }
  if (timestamp !== undefined) {
    const valid =
      (timestamp instanceof Date && !Number.isNaN(timestamp.getTime())) ||
      (typeof timestamp === 'number' && Number.isFinite(timestamp)) ||
      (typeof timestamp === 'string' && !Number.isNaN(Date.parse(timestamp)));
    if (!valid) return `${verb}: "timestamp" must be a Date, epoch ms or an ISO 8601 string`;
  }
  const problem = optionalRecord(call, 'context', verb) ?? optionalRecord(call, 'integrations', verb);
  if (problem) return problem;
  return { messageId, timestamp, context, integrations } as CallOptions;
}

/**
 * Makes the function that checks a call, builds its Segment envelope (with core's builder) and encodes it.
 * It never throws: a mistake in the call comes back as a reason, for the caller to return.
 */
export function createCallBuilder(platform: Pick<Platform, 'clock' | 'ids'>, encoding: WireEncoding, maxBatchBytes: number): CallBuilder {
  const build = createEventBuilder({ platform, library: LIBRARY });
  const maxEventBytes = Math.min(SEGMENT_LIMITS.maxEventBytes, maxBatchBytes - encoding.overheadBytes);
  return (type, call) => {
    if (!isRecord(call)) return { ok: false, reason: 'invalid_call', message: `${type}: pass one object, e.g. ${type}({ userId, ... })` };
    const checked = checkFields(type, call);
    if (typeof checked === 'string') return { ok: false, reason: 'invalid_call', message: checked };
    const options = checkOptions(call, type);
    if (typeof options === 'string') return { ok: false, reason: 'invalid_call', message: options };
    const event = build(type, checked.fields, checked.person, options);
    let bytes: Uint8Array;
    try {
      bytes = encoding.encodeEvent(event);
    } catch (error) {
      return { ok: false, reason: 'invalid_call', message: `${type}: the event cannot be encoded (${(error as Error).message}); remove cycles and BigInt values` };
    }
    if (bytes.length > maxEventBytes) {
      return { ok: false, reason: 'too_large', message: `${type}: the event is ${bytes.length} bytes encoded; the limit is ${maxEventBytes}` };
    }
    return { ok: true, event, bytes };
  };
}
