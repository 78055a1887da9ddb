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
  DECISION_EVENTS,
  ECOMMERCE_EVENTS,
  OUTCOME_EVENTS,
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
export {
  DEFAULT_BLOCKED_VALUES,
  DEFAULT_EMAIL_PROVIDERS,
  DEFAULT_GUARDS,
  DEFAULT_IDENTITY_RULES,
  IDENTIFIER_TYPES,
  createIdentifierNormalizer,
  createEventIdentifierReader,
  createIdentityGraph,
  identifierKey,
  isIdentifierRejection,
  normalizeIdentifier,
  parseIdentifier,
  resolveGuards,
  resolveIdentityRules,
  type AddEdgeResult,
  type AddEventResult,
  type DeletePersonResult,
  type EdgeInput,
  type EdgeRule,
  type EventIdentifierOptions,
  type GuardOptions,
  type IdentifierInput,
  type IdentifierRule,
  type IdentifierType,
  type IdentityChange,
  type IdentityEdge,
  type IdentityEvent,
  type IdentityGraph,
  type IdentityGraphOptions,
  type IdentityRules,
  type IdentityStats,
  type ResolvedProfile,
  type UnmergeResult,
} from './identity/index';
export { MAX_RETRY_AFTER_MS, backoffDelay, parseRetryAfter } from './retry';
export { jaro, jaroWinkler, levenshtein } from './identity/compare';
export type { IdentityRecord } from './identity/probabilistic-comparisons';
export {
  createMatcher,
  createRetailMatcherConfig,
  type MatchExplanation,
  type Matcher,
  type MatcherConfig,
  type ProbabilisticEdge,
} from './identity/probabilistic';
export { NOISE_LEVELS, generateIdentities, type NoiseLevel, type SyntheticIdentities } from './identity/generator';
export type { ExperimentAssignment, FeatureValues, ModelInfo, Scorer, SyncScorer } from './decision/types';
