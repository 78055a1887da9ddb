export {
  COMPACT_MODEL_FORMAT,
  loadCompactModel,
  type CompactLinear,
  type CompactModel,
  type CompactPreprocessor,
  type CompactTreeClassifier,
  type CompactTreeNodes,
  type CompactTreeRegressor,
  type LoadCompactModelResult,
} from './compact-model';
export { loadModel, toCompactModel, type LoadModelOptions, type LoadModelResult, type ToCompactModelResult } from './load';
export {
  readOnnxModel,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxOpset,
  type OnnxTensor,
  type OnnxValueInfo,
  type ReadOnnxModelResult,
} from './onnx-model';
export { METADATA_FEATURE_NAMES, METADATA_MODEL_ID, METADATA_MODEL_VERSION, METADATA_TASK } from './model-info';
export { planRuntimeRun, type RuntimePlan, type RuntimePlanResult } from './runtime-plan';
export {
  createFallbackScorer,
  createSessionScorer,
  type FallbackScorerOptions,
  type OnnxRuntime,
  type OnnxRuntimeSession,
  type OnnxRuntimeTensor,
  type SessionScorer,
  type SessionScorerOptions,
} from './session-scorer';
