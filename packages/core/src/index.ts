export type {
  AbortSignalLike,
  Clock,
  IdSource,
  KeyValueStorage,
  Lifecycle,
  LogFields,
  Logger,
  Platform,
  RandomSource,
  TimerHandle,
  Timers,
  Transport,
  TransportRequest,
  TransportResponse,
} from './platform';
export { NO_LIFECYCLE, SILENT_LOGGER, createMemoryStorage } from './platform';
export { TailorError, isTailorError, type TailorErrorCode } from './errors';
export { inspectJson, jsonSizeUpperBound, utf8ByteLength, type JsonShape } from './bytes';
export { SEGMENT_LIMITS, TAILOR_LIMITS, type SegmentLimits } from './limits';
export {
  ENVELOPE_OBJECTS,
  ENVELOPE_SCHEMAS,
  EVENT_TYPES,
  aliasEventSchema,
  contextSchema,
  groupEventSchema,
  identifyEventSchema,
  integrationsSchema,
  isEventType,
  pageEventSchema,
  screenEventSchema,
  segmentEventSchema,
  trackEventSchema,
  type AliasEvent,
  type EventContext,
  type EventType,
  type GroupEvent,
  type IdentifyEvent,
  type PageEvent,
  type ScreenEvent,
  type SegmentEvent,
  type TrackEvent,
} from './envelope';
export {
  CHANNELS,
  ECOMMERCE_EVENTS,
  POS_LOYALTY_EVENTS,
  RETAIL_EVENTS,
  channelSchema,
  currencySchema,
  productSchema,
  type Product,
  type RetailEventName,
  type RetailEvents,
} from './catalog/index';
export { correctTimestamp, resolveServerTimes, type ServerTimes } from './skew';
export { describeIssue, formatIssuePath, type EventIssue, type SchemaIssue } from './issues';
export {
  createDefaultTrackingPlan,
  defineTrackingPlan,
  type EventSchemas,
  type PlanEvents,
  type PropertiesSchema,
  type TrackingPlan,
  type TrackingPlanOptions,
  type UnplannedEventPolicy,
  type ValidationMode,
} from './tracking-plan';
export {
  checkBatchLimits,
  createEventValidator,
  type BatchValidationResult,
  type EventValidationResult,
  type EventValidator,
  type EventValidatorOptions,
} from './validate';
export { trackingPlanToJsonSchema, type JsonSchema } from './json-schema';
export {
  createEventBuilder,
  type CallOptions,
  type EventBuilder,
  type EventBuilderOptions,
  type Identity,
  type OutgoingEvent,
} from './event-builder';
