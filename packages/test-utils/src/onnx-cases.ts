import {
  buildExplicitTreeRegressorModel,
  buildLinearClassifierModel,
  buildLinearRegressorModel,
  buildLogisticGraphModel,
  buildTreeEnsembleClassifierModel,
  buildTreeEnsembleRegressorModel,
  type TestModel,
} from './onnx-models';

/** A model the evaluators are checked on, and how to read it. */
export interface EvaluatorCase {
  readonly model: TestModel;
  readonly outputColumn?: number;
  /** onnxruntime scores every row alike (the class-1-only layout below): agreement is all there is to check. */
  readonly constant?: boolean;
}

/**
 * The models every evaluator comparison runs: Tailor's ONNX evaluators against onnxruntime
 * (`packages/node/src/models/differential.test.ts`) and the compact form against the ONNX evaluators
 * (`packages/core/src/models/compact-model.test.ts`). Linear and logistic forms, every tree post-transform and
 * aggregate, and the layouts converters write.
 */
export const EVALUATOR_CASES: readonly EvaluatorCase[] = [
  { model: buildLinearClassifierModel({ seed: 11, rows: 1, postTransform: 'LOGISTIC' }) },
  { model: buildLinearClassifierModel({ seed: 12, rows: 2, postTransform: 'LOGISTIC' }) },
  { model: buildLinearClassifierModel({ seed: 13, rows: 1, postTransform: 'NONE' }) },
  { model: buildLinearClassifierModel({ seed: 14, rows: 3, postTransform: 'SOFTMAX' }), outputColumn: 2 },
  { model: buildLinearRegressorModel({ seed: 15, features: 8 }) },
  { model: buildLogisticGraphModel({ seed: 16, form: 'matmul' }) },
  { model: buildLogisticGraphModel({ seed: 17, form: 'matmul', scaler: true }) },
  { model: buildLogisticGraphModel({ seed: 18, form: 'gemm' }) },
  { model: buildLogisticGraphModel({ seed: 19, form: 'gemm', scaler: true, sigmoid: false }) },
  { model: buildTreeEnsembleClassifierModel({ seed: 21, trees: 12, depth: 4, weights: 'class-0', postTransform: 'LOGISTIC' }) },
  // Votes for class 1 only plus two base values: onnxruntime replaces the vote sum with class 0's (zero)
  // sum, so every row scores logistic(base[1]). Tailor reproduces it; converters do not write this layout.
  { model: buildTreeEnsembleClassifierModel({ seed: 22, trees: 12, depth: 4, weights: 'class-1', baseValues: [0.2, -0.4], postTransform: 'LOGISTIC' }), constant: true },
  { model: buildTreeEnsembleClassifierModel({ seed: 23, trees: 12, depth: 4, weights: 'class-0', positiveWeights: true, baseValues: [0.1], postTransform: 'LOGISTIC' }) },
  { model: buildTreeEnsembleClassifierModel({ seed: 24, trees: 8, depth: 5, weights: 'both', baseValues: [0.3], postTransform: 'SOFTMAX' }) },
  { model: buildTreeEnsembleClassifierModel({ seed: 25, trees: 8, depth: 4, weights: 'both', postTransform: 'NONE', labels: 'strings' }) },
  { model: buildTreeEnsembleClassifierModel({ seed: 26, trees: 8, depth: 4, weights: 'three', baseValues: [0.1, 0, -0.1], postTransform: 'SOFTMAX_ZERO' }), outputColumn: 0 },
  { model: buildTreeEnsembleClassifierModel({ seed: 27, trees: 20, depth: 6, modes: ['BRANCH_LEQ'], baseValues: [-0.2] }) },
  { model: buildTreeEnsembleRegressorModel({ seed: 28, trees: 20, depth: 6, modes: ['BRANCH_LT'] }) },
  { model: buildTreeEnsembleRegressorModel({ seed: 31, trees: 10, depth: 5, aggregate: 'SUM', baseValues: [1.5] }) },
  { model: buildTreeEnsembleRegressorModel({ seed: 32, trees: 10, depth: 4, aggregate: 'AVERAGE' }) },
  { model: buildTreeEnsembleRegressorModel({ seed: 33, trees: 10, depth: 4, aggregate: 'MIN', baseValues: [-2] }) },
  { model: buildTreeEnsembleRegressorModel({ seed: 34, trees: 10, depth: 4, aggregate: 'MAX', missingTracksTrue: false }) },
  {
    model: buildExplicitTreeRegressorModel(
      [
        { id: 0, mode: 'BRANCH_LEQ', feature: 0, threshold: 1, trueId: 1, falseId: 2, missingTrue: true },
        { id: 1, mode: 'LEAF', weight: 10 },
        { id: 2, mode: 'BRANCH_NEQ', feature: 1, threshold: 0.5, trueId: 3, falseId: 4 },
        { id: 3, mode: 'LEAF', weight: 20 },
        { id: 4, mode: 'LEAF', weight: 30 },
      ],
      { features: 2, baseValues: [100] },
    ),
  },
];
