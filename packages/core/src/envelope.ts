import * as z from 'zod';
import { channelSchema } from './catalog/index';
import { SEGMENT_LIMITS } from './limits';

/** The six Segment call types. */
export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const identifier = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
const isoTimestamp = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' });
const shortText = z.string().max(1024);
const dictionary = z.record(z.string(), z.unknown());

/** Segment's `context`, typed where the spec names a key; anything else passes through. */
export const contextSchema = z.looseObject({
  active: z.boolean().optional(),
  app: z.looseObject({ name: shortText, version: shortText, build: shortText, namespace: shortText }).partial().optional(),
  campaign: z
    .looseObject({ name: shortText, source: shortText, medium: shortText, term: shortText, content: shortText })
    .partial()
    .optional(),
  device: z
    .looseObject({ id: shortText, advertisingId: shortText, manufacturer: shortText, model: shortText, name: shortText, type: shortText, version: shortText })
    .partial()
    .optional(),
  ip: z.string().max(64).optional(),
  library: z.looseObject({ name: shortText, version: shortText }).partial().optional(),
  locale: z.string().max(64).optional(),
  location: dictionary.optional(),
  network: dictionary.optional(),
  os: z.looseObject({ name: shortText, version: shortText }).partial().optional(),
  page: z
    .looseObject({ path: z.string(), referrer: z.string(), search: z.string(), title: z.string(), url: z.string() })
    .partial()
    .optional(),
  referrer: dictionary.optional(),
  screen: dictionary.optional(),
  groupId: shortText.optional(),
  timezone: z.string().max(64).optional(),
  traits: dictionary.optional(),
  userAgent: z.string().max(4096).optional(),
  /** Segment's consent context: purposes the person agreed to, e.g. `{ categoryPreferences: { analytics: true } }`. */
  consent: z.looseObject({ categoryPreferences: z.record(z.string(), z.boolean()) }).partial().optional(),
  /** Where the interaction happened: web, app, an in-store till, the call centre. */
  channel: channelSchema.optional(),
  storeId: identifier.optional(),
  registerId: identifier.optional(),
  loyaltyId: identifier.optional(),
});

/** Per-destination switches, `{ All: false, Mixpanel: true }` or options objects. */
export const integrationsSchema = z.record(z.string(), z.union([z.boolean(), dictionary]));

const common = {
  messageId: z
    .string()
    .min(1, 'must not be empty')
    .max(SEGMENT_LIMITS.maxMessageIdLength, `must be shorter than ${SEGMENT_LIMITS.maxMessageIdLength + 1} characters`),
  anonymousId: identifier.optional(),
  userId: identifier.optional(),
  timestamp: isoTimestamp.optional(),
  originalTimestamp: isoTimestamp.optional(),
  sentAt: isoTimestamp.optional(),
  receivedAt: isoTimestamp.optional(),
  context: contextSchema.optional(),
  integrations: integrationsSchema.optional(),
};

function requireIdentity(event: { userId?: string | undefined; anonymousId?: string | undefined }): boolean {
  return event.userId !== undefined || event.anonymousId !== undefined;
}
const IDENTITY_RULE = { message: 'needs a userId or an anonymousId', path: ['userId'] };

const trackObject = z.looseObject({
    ...common,
    type: z.literal('track'),
    event: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
    properties: dictionary.optional(),
  });
export const trackEventSchema = trackObject.refine(requireIdentity, IDENTITY_RULE);

const identifyObject = z.looseObject({ ...common, type: z.literal('identify'), traits: dictionary.optional() });
export const identifyEventSchema = identifyObject.refine(requireIdentity, IDENTITY_RULE);

const pageObject = z.looseObject({ ...common, type: z.literal('page'), name: shortText.optional(), category: shortText.optional(), properties: dictionary.optional() });
export const pageEventSchema = pageObject.refine(requireIdentity, IDENTITY_RULE);

const screenObject = z.looseObject({ ...common, type: z.literal('screen'), name: shortText.optional(), category: shortText.optional(), properties: dictionary.optional() });
export const screenEventSchema = screenObject.refine(requireIdentity, IDENTITY_RULE);

const groupObject = z.looseObject({ ...common, type: z.literal('group'), groupId: identifier, traits: dictionary.optional() });
export const groupEventSchema = groupObject.refine(requireIdentity, IDENTITY_RULE);

/** alias needs both ids: `previousId` is the old one, `userId` the new one. */
const aliasObject = z.looseObject({ ...common, type: z.literal('alias'), previousId: identifier, userId: identifier });
export const aliasEventSchema = aliasObject;

/** Every Segment call as one schema, discriminated on `type`. */
export const segmentEventSchema = z.discriminatedUnion('type', [
  trackEventSchema,
  identifyEventSchema,
  pageEventSchema,
  screenEventSchema,
  groupEventSchema,
  aliasEventSchema,
]);

export type TrackEvent = z.output<typeof trackEventSchema>;
export type IdentifyEvent = z.output<typeof identifyEventSchema>;
export type PageEvent = z.output<typeof pageEventSchema>;
export type ScreenEvent = z.output<typeof screenEventSchema>;
export type GroupEvent = z.output<typeof groupEventSchema>;
export type AliasEvent = z.output<typeof aliasEventSchema>;
/** A validated Segment-spec event. */
export type SegmentEvent = z.output<typeof segmentEventSchema>;
export type EventContext = z.output<typeof contextSchema>;

/**
 * The envelopes as plain object schemas, before the userId-or-anonymousId rule: for extending
 * (a plan pins a track event's name and properties) and for JSON Schema export.
 */
export const ENVELOPE_OBJECTS = {
  track: trackObject,
  identify: identifyObject,
  page: pageObject,
  screen: screenObject,
  group: groupObject,
  alias: aliasObject,
} as const;

/** The schema for one call type; dispatching by hand gives a clearer error for a bad `type` than the union. */
export const ENVELOPE_SCHEMAS: { readonly [T in EventType]: z.ZodType<Extract<SegmentEvent, { type: T }>> } = {
  track: trackEventSchema,
  identify: identifyEventSchema,
  page: pageEventSchema,
  screen: screenEventSchema,
  group: groupEventSchema,
  alias: aliasEventSchema,
};

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}
