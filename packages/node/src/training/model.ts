/**
 * The trained models, as plain data: what the trainers return, what calibration rewrites and what the ONNX
 * exporter writes. Both are binary classifiers whose probability is `σ(margin(x))`.
 */

/** L2 logistic regression with the standardization folded in: `margin = intercept + Σ weights[j] · x[j]`. */
export interface LinearModel {
  readonly kind: 'logistic';
  readonly featureNames: readonly string[];
  readonly weights: Float64Array;
  readonly intercept: number;
}

/**
 * One regression tree in flat arrays. Node `i` is a leaf when `feature[i] === -1` (its margin contribution
 * is `value[i]`); otherwise rows with `x[feature[i]] <= threshold[i]` go to `left[i]`, the rest (NaN
 * included) to `right[i]`. Node 0 is the root. Thresholds are float32 values, as ONNX stores them.
 */
export interface RegressionTree {
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

/** Gradient-boosted trees for log loss: `margin = base + Σ tree(x)` (the learning rate is in the leaves). */
export interface TreeEnsembleModel {
  readonly kind: 'gbt';
  readonly featureNames: readonly string[];
  readonly base: number;
  readonly trees: readonly RegressionTree[];
}

export type TrainedModel = LinearModel | TreeEnsembleModel;

/** Platt scaling: `p = σ(a · margin + c)`. */
export interface PlattScaling {
  readonly a: number;
  readonly c: number;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The leaf value a row reaches in one tree. */
export function evaluateTree(tree: RegressionTree, x: ArrayLike<number>, offset: number): number {
  let at = 0;
  for (let feature = tree.feature[0] as number; feature >= 0; feature = tree.feature[at] as number) {
    at = ((x[offset + feature] as number) <= (tree.threshold[at] as number) ? tree.left[at] : tree.right[at]) as number;
  }
  return tree.value[at] as number;
}

/** The model's margin (log-odds) for the row starting at `x[offset]`. */
export function marginOf(model: TrainedModel, x: ArrayLike<number>, offset = 0): number {
  if (model.kind === 'logistic') {
    let sum = model.intercept;
    for (let j = 0; j < model.weights.length; j++) sum += (model.weights[j] as number) * (x[offset + j] as number);
    return sum;
  }
  let sum = model.base;
  for (const tree of model.trees) sum += evaluateTree(tree, x, offset);
  return sum;
}

/**
 * The model's probabilities for `rows` rows of `featureNames.length` features each.
 *
 * @example predictProbabilities(model, dataset.validation.x, dataset.validation.n)
 */
export function predictProbabilities(model: TrainedModel, x: ArrayLike<number>, rows: number): Float64Array {
  const width = model.featureNames.length;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = sigmoid(marginOf(model, x, i * width));
  return out;
}

/** The margins of `rows` rows (what calibration is fitted on). */
export function predictMargins(model: TrainedModel, x: ArrayLike<number>, rows: number): Float64Array {
  const width = model.featureNames.length;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = marginOf(model, x, i * width);
  return out;
}

/**
 * Bakes Platt scaling into the model, so the exported file gives calibrated probabilities with no extra
 * operator: a linear model's weights and intercept, or a tree ensemble's leaves and base, are scaled by `a`
 * and `c` is added to the intercept (or base).
 */
export function foldPlatt(model: TrainedModel, platt: PlattScaling): TrainedModel {
  const { a, c } = platt;
  if (model.kind === 'logistic') {
    return { ...model, weights: model.weights.map((w) => w * a), intercept: model.intercept * a + c };
  }
  return {
    ...model,
    base: model.base * a + c,
    trees: model.trees.map((tree) => ({ ...tree, value: tree.value.map((v) => v * a) })),
  };
}
