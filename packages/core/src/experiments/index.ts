export { assignExperiments, assignHoldout, getStickyDocId, HOLDOUT_VARIATIONS } from './assign-experiments';
export {
  experimentSchema,
  holdoutSchema,
  parseExperiments,
  parseHoldout,
} from './experiment-schema';
export type { ExperimentConfigIssue, ParseExperimentsResult, ParseHoldoutResult } from './experiment-schema';
export {
  chooseVariation,
  fnv1a32,
  getBucket,
  getBucketRanges,
  getEqualWeights,
  isInNamespace,
  isInRange,
} from './hashing';
export type { HashVersion, NamespaceRange, VariationRange } from './hashing';
export type {
  AssignExperimentsOptions,
  Experiment,
  ExperimentUnits,
  ExperimentVariation,
  Holdout,
  StickyAssignmentDoc,
  StickyAssignments,
} from './types';
