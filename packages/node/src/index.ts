export { createNodePlatform } from './node-platform';
export { startCollector, type Collector, type StartCollectorOptions } from './collector/collector';
export {
  collectorConfigSchema,
  parseCollectorConfig,
  type CollectorConfig,
  type CollectorConfigInput,
  type Source,
  type SourceConfig,
} from './collector/config';
export { createHandler, type CollectorRequest, type CollectorResponse, type Handler } from './collector/handler';
export { createNodeListener, toFetchHandler } from './collector/http-adapter';
export { createLmdbStore, type LmdbStoreOptions } from './collector/lmdb-store';
export { createOutbox, type Outbox } from './collector/outbox';
export { createJetStreamSink } from './collector/jetstream-sink';
export { createWebhookSink } from './collector/webhook-sink';
export type { AppendResult, EventStore, IngestedEvent, Profile, RetentionPolicy, Sink, StoreStats, StoredEvent } from './collector/types';
export {
  ANONYMOUS_ID_COOKIE,
  SIGNATURE_HEADER,
  anonymousIdFrom,
  bindRequest,
  createTailorNode,
  signBody,
  tailorMiddleware,
  verifySignature,
  withTailor,
  type CallResult,
  type Person,
  type SpoolOptions,
  type TailorNode,
  type TailorNodeOptions,
  type TrackCall,
} from './client/index';
export {
  createDecisionClient,
  type DecideCall,
  type DecideResult,
  type DecisionClient,
  type DecisionClientOptions,
  type DecisionClientStats,
} from './client/decisions';
export { createScorer, createOnnxRuntimeScorer, loadOnnxRuntimeNode, type CreateScorerOptions, type OnnxNodeOptions } from './models/index';
export {
  createPostgresEventStore,
  createPostgresStore,
  createRedisProfileCache,
  toAsyncCollectorStore,
  toAsyncEventStore,
  toAsyncProfileStore,
  type AsyncCollectorStore,
  type AsyncEventStore,
  type AsyncProfileStore,
  type PostgresStore,
} from './storage/index';
