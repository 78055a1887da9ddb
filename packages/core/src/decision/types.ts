/**
 * The contracts that connect the decision engine's parts: scorers (ONNX evaluators, onnxruntime),
 * features, experiments and `decide()`. Each part lives in its own folder and depends only on these
 * shapes, so the browser, the Node client and the collector can assemble them differently.
 */

/**
 * Scores rows of features with one model. Tailor's own evaluators (linear, tree ensembles) are
 * synchronous and take microseconds; onnxruntime-backed scorers return a promise.
 *
 * Rows are laid out row-major in `input`: row `r`, feature `f` is `input[r * featureNames.length + f]`.
 * The result holds one value per row: the positive-class probability for classifiers, the prediction
 * for regressors.
 *
 * @example
 * const out = scorer.score(Float32Array.of(0.2, 3, 1, 0.5, 0, 2), 2); // two rows of three features
 */
export interface Scorer {
  readonly model: ModelInfo;
  /** True when {@link score} always returns synchronously (usable inside the pure `decide()`). */
  readonly sync: boolean;
  score(input: Float32Array, rows: number): Float32Array | Promise<Float32Array>;
}

/** A scorer that never returns a promise: what `decide()` can call inline. */
export interface SyncScorer extends Scorer {
  readonly sync: true;
  score(input: Float32Array, rows: number): Float32Array;
}

/** What Tailor needs to know about a model, read from the ONNX file's metadata_props. */
export interface ModelInfo {
  /** Stable model name (metadata `tailor.model_id`, else the graph name). */
  readonly id: string;
  /** Model version (metadata `tailor.model_version`, else the ONNX `model_version`). */
  readonly version: string;
  /** Feature names in input-column order (metadata `tailor.feature_names`, a JSON array of strings). */
  readonly featureNames: readonly string[];
  /** `classifier` scores a probability in [0, 1]; `regressor` a real value. */
  readonly task: 'classifier' | 'regressor';
  /** Every metadata_props entry as found in the file (drift reference bins, training window, ...). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Feature values by name, as read from a profile's feature state at a point in time. */
export type FeatureValues = Readonly<Record<string, number>>;

/** An experiment's variation as assigned to one unit. */
export interface ExperimentAssignment {
  readonly experimentKey: string;
  /** Index into the experiment's variations; -1 when the unit is not in the experiment. */
  readonly variationIndex: number;
  /** The variation's key (or its index as a string when it has none). */
  readonly variationKey: string;
  /** The unit attribute the assignment hashed (`profileId`, `anonymousId`, ...). */
  readonly hashAttribute: string;
  /** The hash value that was used, so the assignment can be reproduced and audited. */
  readonly hashValue: string;
  readonly inExperiment: boolean;
  /** Why: `assigned`, `not-in-coverage`, `namespace`, `holdout`, `forced`, `sticky`, `no-unit`, `inactive`, `condition`. */
  readonly reason: string;
  /** The variation's value (JSON), e.g. `{ "policy": "thompson" }` or a model version to use. */
  readonly value?: unknown;
}
