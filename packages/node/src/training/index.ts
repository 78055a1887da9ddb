export { runTrainCommand, formatTrainingReport } from './command';
export {
  buildTrainingSet,
  formatLabel,
  parseLabel,
  type BuildTrainingSetResult,
  type DatasetOptions,
  type DatasetRows,
  type LabelSpec,
  type TrainingSet,
} from './dataset';
export { trainGbt, type GbtOptions, type GbtTrainingResult } from './gbt';
export { TRAIN_HELP } from './help';
export { trainLogistic, type LogisticOptions, type LogisticTrainingResult, type TrainingMatrix } from './logistic';
export {
  auc,
  brierScore,
  createReferenceBins,
  expectedCalibrationError,
  fitPlattOnMargins,
  liftAtTop,
  logLoss,
  reliabilityTable,
  type LiftPoint,
  type ReferenceBins,
  type ReliabilityBin,
} from './metrics';
export {
  evaluateTree,
  foldPlatt,
  marginOf,
  predictMargins,
  predictProbabilities,
  sigmoid,
  type LinearModel,
  type PlattScaling,
  type RegressionTree,
  type TrainedModel,
  type TreeEnsembleModel,
} from './model';
export { exportOnnx, METADATA, type OnnxExportOptions } from './onnx-export';
export { eventTimeMs, groupEventsByPerson, type GroupByPersonOptions, type GroupByPersonResult, type PersonHistory, type TimedEvent } from './people';
export { createModelRegistry, type ModelRegistry, type ModelVersion } from './registry';
export {
  SCORE_REFERENCE_KEY,
  rfmHeuristic,
  trainFromHistories,
  type Algorithm,
  type SplitMetrics,
  type TrainHooks,
  type TrainingReport,
  type TrainOptions,
  type TrainResult,
} from './train';
