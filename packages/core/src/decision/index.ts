export type { ExperimentAssignment, FeatureValues, ModelInfo, Scorer, SyncScorer } from './types';
export {
  contactPolicySchema,
  decisionConfigSchema,
  explorationSchema,
  interactionHistorySchema,
  modelRefSchema,
  offerSchema,
  parseDecisionConfig,
  placementSchema,
  type DecisionConfig,
  type DecisionConfigInput,
  type DecisionConfigIssue,
  type ExplorationConfig,
  type ModelRef,
  type Offer,
  type ParseDecisionConfigResult,
  type Placement,
} from './catalog';
export { hashDecisionConfig } from './config-hash';
export { createPathTable, type PathTable } from './condition-paths';
export {
  CONDITION_LIMITS,
  compileCondition,
  createConditionMatcher,
  type CompileConditionResult,
  type CompiledCondition,
  type Condition,
  type ConditionIssue,
} from './conditions';
export {
  EMPTY_HISTORY,
  HISTORY_LIMITS,
  checkContactPolicies,
  compileContactPolicies,
  historyKey,
  parseDuration,
  recordOutcome,
  type CompiledContactPolicy,
  type ContactPolicy,
  type ContactPolicyResult,
  type ContactPolicyScope,
  type Duration,
  type HistoryEntry,
  type InteractionHistory,
  type InteractionHistoryStore,
  type InteractionOutcome,
} from './contact-policy';
export {
  chooseSlot,
  computeThompsonWeights,
  createSeededRandom,
  slotDistribution,
  type ExplorationPolicy,
  type SelectionKind,
  type SlotCandidates,
  type SlotChoice,
  type ThompsonArm,
} from './exploration';
export {
  RULE_STAGES,
  compileDecisionConfig,
  leverMultiplier,
  type CompiledDecisionConfig,
  type CompiledOffer,
  type CompiledPlacement,
  type RuleStage,
} from './compile';
export { buildFeaturePlan, type FeaturePlan } from './arbitration';
export {
  decide,
  decideWithCandidates,
  type CandidateRecord,
  type DecisionInputs,
  type DecisionItem,
  type DecisionMode,
  type DecisionProfile,
  type DecisionRequest,
  type DecisionResponse,
  type PlacementDecision,
  type ScoreParts,
} from './decide';
export { getModelOverrides } from './model-overrides';
export { toDecisionLogRecord, trimDecisionLogRecord, type DecisionLogRecord } from './decision-log';
export { OUTCOME_TYPES, outcomeRecordSchema, type OutcomeRecord, type OutcomeType } from './outcome-record';
