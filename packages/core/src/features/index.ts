export { applyEvent, createFeatureState } from './apply-event';
export { DEFAULT_RETAIL_FEATURE_SPEC } from './default-spec';
export { normalizeFeatureKey } from './event-fields';
export {
  featureSpecSchema,
  featureStateSchema,
  parseFeatureSpec,
  parseFeatureState,
} from './feature-spec';
export type { FeatureSpecIssue, ParseFeatureSpecResult, ParseFeatureStateResult } from './feature-spec';
export { foldFeatures, listFeatureNames, readFeatures } from './read-features';
export type {
  AffinityState,
  DecayedSum,
  FeatureEvent,
  FeatureSpec,
  FeatureState,
  SessionState,
} from './types';
