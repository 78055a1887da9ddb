import { fnv1a32, type FeatureSpec } from '@tailor/core';
import { buildTrainingSet, formatLabel, type DatasetRows, type LabelSpec, type TrainingSet } from './dataset';
import { trainGbt, type GbtOptions } from './gbt';
import { trainLogistic, type LogisticOptions } from './logistic';
import { auc, brierScore, createReferenceBins, expectedCalibrationError, fitPlattOnMargins, liftAtTop, logLoss, reliabilityTable, type ReferenceBins, type ReliabilityBin } from './metrics';
import { foldPlatt, predictMargins, predictProbabilities, type TrainedModel } from './model';
import type { PersonHistory } from './people';

export type Algorithm = 'logistic' | 'gbt';

/** The key of the score's reference bins in `tailor.reference_bins` (feature names never take it). */
export const SCORE_REFERENCE_KEY = 'score';

/** Progress reporting for long steps (the CLI passes its progress bar). */
export interface TrainHooks {
  readonly stage?: (message: string) => void;
  readonly progress?: (label: string, total: number) => { tick(count?: number): void; finish(): void };
}

export interface TrainOptions {
  readonly label: LabelSpec;
  readonly algorithm: Algorithm;
  readonly spec?: FeatureSpec;
  readonly fromMs?: number;
  readonly untilMs?: number;
  readonly stepDays?: number;
  readonly validationShare?: number;
  /** Seeds tree row sampling and the calibration fold. Default 1. */
  readonly seed?: number;
  readonly logistic?: LogisticOptions;
  readonly gbt?: Omit<GbtOptions, 'seed' | 'onTree'>;
  /** Fit Platt scaling on a held-out calibration fold and bake it into the model. Default true. */
  readonly calibrate?: boolean;
  readonly hooks?: TrainHooks;
}

export interface SplitMetrics {
  readonly rows: number;
  readonly positives: number;
  readonly baseRate: number;
  readonly auc: number;
  readonly logLoss: number;
  readonly brier: number;
  readonly ece: number;
  /** Positive rate in the top 10% by score ÷ base rate. */
  readonly liftTop10: number;
}

/** What `tailor train` prints and stores next to the model (report.json). */
export interface TrainingReport {
  readonly label: string;
  readonly algorithm: Algorithm;
  readonly featureNames: readonly string[];
  readonly trainingWindow: {
    readonly from: string;
    readonly until: string;
    readonly trainCutoffs: readonly string[];
    readonly validationCutoffs: readonly string[];
  };
  readonly rows: { readonly fit: number; readonly calibration: number; readonly validation: number };
  readonly calibration: { readonly method: 'platt'; readonly a: number; readonly c: number; readonly baked: true } | { readonly method: 'none' };
  readonly metrics: {
    /** The shipped (calibrated) model on the validation snapshots. */
    readonly validation: SplitMetrics;
    /** The same model before calibration. */
    readonly uncalibrated: SplitMetrics;
    /** The RFM heuristic (rank by orders_total, then recency) on the same rows. */
    readonly rfm: Pick<SplitMetrics, 'auc' | 'liftTop10'>;
    /** Model over RFM: AUC difference and top-decile lift ratio. */
    readonly liftOverRfm: { readonly aucDelta: number; readonly top10Ratio: number };
    readonly reliability: readonly ReliabilityBin[];
  };
  /**
   * The drift reference: quantile bins of each feature, and of the model's probability under the key
   * {@link SCORE_REFERENCE_KEY}, on the validation rows (the latest data, scored out of sample).
   */
  readonly referenceBins: Readonly<Record<string, ReferenceBins>>;
  readonly options: Readonly<Record<string, unknown>>;
}

export type TrainResult =
  | { readonly ok: true; readonly model: TrainedModel; readonly report: TrainingReport; readonly set: TrainingSet }
  | { readonly ok: false; readonly reason: string };

/**
 * Builds the training set from people's histories, trains, calibrates on a held-out fold, evaluates on the
 * validation snapshots against an RFM heuristic, and returns the calibrated model with its report.
 *
 * Folds: validation = the latest snapshots (see `buildTrainingSet`); among the training snapshots, the last
 * one is the calibration fold when there are three or more (the model is fitted on those whose label period
 * ends before it), else a seeded fifth of the people.
 *
 * @example
 * const result = trainFromHistories(people, { label: parseLabel('purchase-7d')!, algorithm: 'gbt' });
 * if (result.ok) exportOnnx(result.model, { modelId: 'purchase-7d', modelVersion: '1' });
 */
export function trainFromHistories(people: readonly PersonHistory[], options: TrainOptions): TrainResult {
  const hooks = options.hooks ?? {};
  const seed = options.seed ?? 1;
  hooks.stage?.(`building ${formatLabel(options.label)} rows for ${people.length} people`);
  const built = buildTrainingSet(people, options);
  if (!built.ok) return built;
  const set = built.set;
  const calibrate = options.calibrate ?? true;
  const { fit, calibration } = calibrate ? splitCalibration(set, seed) : { fit: set.train, calibration: undefined };
  if (fit.n === 0) return { ok: false, reason: 'no training rows left after holding out the calibration fold; widen the window' };
  if (countPositives(fit) === 0 || countPositives(fit) === fit.n) {
    return { ok: false, reason: `the ${fit.n} training rows all have label ${fit.y[0]}: a model needs both outcomes; widen the window or pick another label` };
  }
  hooks.stage?.(`training ${options.algorithm} on ${fit.n} rows (${countPositives(fit)} positive), ${set.featureNames.length} features`);

  let raw: TrainedModel;
  if (options.algorithm === 'logistic') {
    raw = trainLogistic(fit, options.logistic).model;
  } else {
    const trees = options.gbt?.trees ?? 100;
    const bar = hooks.progress?.('trees', trees);
    raw = trainGbt(fit, { ...options.gbt, seed, onTree: () => bar?.tick() }).model;
    bar?.finish();
  }

  let model = raw;
  let calibrationInfo: TrainingReport['calibration'] = { method: 'none' };
  if (calibration !== undefined && calibration.n > 0 && countPositives(calibration) > 0 && countPositives(calibration) < calibration.n) {
    const platt = fitPlattOnMargins(calibration.y, predictMargins(raw, calibration.x, calibration.n));
    model = foldPlatt(raw, platt);
    calibrationInfo = { method: 'platt', a: platt.a, c: platt.c, baked: true };
  }

  const validation = set.validation;
  const scores = predictProbabilities(model, validation.x, validation.n);
  const rfmScores = rfmHeuristic(validation);
  const calibrated = splitMetrics(validation.y, scores);
  const rfm = { auc: auc(validation.y, rfmScores), liftTop10: liftAtTop(validation.y, rfmScores, 0.1).lift };
  const referenceBins: Record<string, ReferenceBins> = {};
  // Live rows and scores are float32 (model inputs, scorer outputs): bin what serving will see, or values
  // on a bin edge fall on the other side and show as drift.
  set.featureNames.forEach((name, j) => {
    referenceBins[name] = createReferenceBins(Float32Array.from(column(validation, j)));
  });
  referenceBins[SCORE_REFERENCE_KEY] = createReferenceBins(Float32Array.from(scores));

  const report: TrainingReport = {
    label: formatLabel(options.label),
    algorithm: options.algorithm,
    featureNames: set.featureNames,
    trainingWindow: {
      from: new Date(set.window.fromMs).toISOString(),
      until: new Date(set.window.untilMs).toISOString(),
      trainCutoffs: set.trainCutoffs.map((at) => new Date(at).toISOString()),
      validationCutoffs: set.validationCutoffs.map((at) => new Date(at).toISOString()),
    },
    rows: { fit: fit.n, calibration: calibration?.n ?? 0, validation: validation.n },
    calibration: calibrationInfo,
    metrics: {
      validation: calibrated,
      uncalibrated: splitMetrics(validation.y, predictProbabilities(raw, validation.x, validation.n)),
      rfm,
      liftOverRfm: { aucDelta: calibrated.auc - rfm.auc, top10Ratio: calibrated.liftTop10 / rfm.liftTop10 },
      reliability: reliabilityTable(validation.y, scores),
    },
    referenceBins,
    options: {
      seed,
      stepDays: options.stepDays ?? 7,
      validationShare: options.validationShare ?? 0.25,
      ...(options.algorithm === 'logistic' ? { logistic: { l2: 1, ...options.logistic } } : { gbt: { trees: 100, maxDepth: 4, learningRate: 0.1, minLeaf: 20, l2: 1, maxBins: 64, subsample: 0.8, ...options.gbt } }),
    },
  };
  return { ok: true, model, report, set };
}

function splitMetrics(labels: Uint8Array, scores: Float64Array): SplitMetrics {
  const positives = labels.reduce((sum, y) => sum + y, 0);
  return {
    rows: labels.length,
    positives,
    baseRate: labels.length === 0 ? Number.NaN : positives / labels.length,
    auc: auc(labels, scores),
    logLoss: logLoss(labels, scores),
    brier: brierScore(labels, scores),
    ece: expectedCalibrationError(labels, scores),
    liftTop10: liftAtTop(labels, scores, 0.1).lift,
  };
}

/**
 * The heuristic a retailer would use without a model: more lifetime orders first, then the more recent
 * last order (recency is capped well below 10,000 days, so it only breaks ties).
 */
export function rfmHeuristic(rows: DatasetRows): Float64Array {
  const orders = rows.featureNames.indexOf('rfm.orders_total');
  const recency = rows.featureNames.indexOf('rfm.days_since_last_order');
  const d = rows.featureNames.length;
  return Float64Array.from({ length: rows.n }, (_, i) => (orders < 0 ? 0 : (rows.x[i * d + orders] as number) * 10_000) - (recency < 0 ? 0 : (rows.x[i * d + recency] as number)));
}

function column(rows: DatasetRows, j: number): Float64Array {
  const d = rows.featureNames.length;
  return Float64Array.from({ length: rows.n }, (_, i) => rows.x[i * d + j] as number);
}

function countPositives(rows: DatasetRows): number {
  let count = 0;
  for (let i = 0; i < rows.n; i++) count += rows.y[i] as number;
  return count;
}

/** The calibration fold (see {@link trainFromHistories}) and the rows the model is fitted on. */
function splitCalibration(set: TrainingSet, seed: number): { fit: DatasetRows; calibration: DatasetRows } {
  const rows = set.train;
  const horizonMs = set.label.days * 24 * 60 * 60 * 1000;
  if (set.label.kind === 'purchase' && set.trainCutoffs.length >= 3) {
    const last = set.trainCutoffs[set.trainCutoffs.length - 1] as number;
    const fit = subset(rows, (i) => (rows.at[i] as number) + horizonMs <= last);
    // A label longer than the step leaves no snapshot before the last one: hold out people instead.
    if (fit.n > 0) return { fit, calibration: subset(rows, (i) => rows.at[i] === last) };
  }
  const held = (i: number) => fnv1a32(`${seed}:${rows.people[i]}`) % 5 === 0;
  return { fit: subset(rows, (i) => !held(i)), calibration: subset(rows, held) };
}

function subset(rows: DatasetRows, keep: (i: number) => boolean): DatasetRows {
  const d = rows.featureNames.length;
  const picked: number[] = [];
  for (let i = 0; i < rows.n; i++) if (keep(i)) picked.push(i);
  const x = new Float32Array(picked.length * d);
  picked.forEach((i, r) => x.set(rows.x.subarray(i * d, (i + 1) * d), r * d));
  return {
    featureNames: rows.featureNames,
    x,
    y: Uint8Array.from(picked, (i) => rows.y[i] as number),
    n: picked.length,
    at: Float64Array.from(picked, (i) => rows.at[i] as number),
    people: picked.map((i) => rows.people[i] as string),
  };
}
