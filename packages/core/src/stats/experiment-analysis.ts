import { TailorError } from '../errors';
import {
  compareMeans,
  cuped,
  srmTest,
  toMeanEstimate,
  type CompareMeansOptions,
  type CovariateSums,
  type LiftResult,
  type MeanEstimate,
  type MetricSums,
  type SrmResult,
} from './experiments';

/** What was collected for one variation. */
export interface VariationData {
  readonly key: string;
  /** Units exposed to the variation. */
  readonly units: number;
  /** Per-unit metric sums by metric name. With pre-period sums ({@link CovariateSums}) in every variation, the metric is CUPED-adjusted. */
  readonly metrics: Readonly<Record<string, MetricSums | CovariateSums>>;
}

export interface ExperimentAnalysisOptions extends CompareMeansOptions {
  /** Configured traffic weights, for the SRM check (equal by default). */
  readonly weights?: readonly number[];
  /** SRM alarm level. Default 0.001. */
  readonly srmThreshold?: number;
  /** The variation the others are compared with. Default 0. */
  readonly controlIndex?: number;
}

export interface VariationMetric {
  readonly key: string;
  /** null when the variation has no data for the metric. */
  readonly estimate: MeanEstimate | null;
  /** Against control; null for control itself and for variations without data. */
  readonly lift: LiftResult | null;
}

export interface MetricAnalysis {
  readonly metric: string;
  /** Set when the metric was CUPED-adjusted. */
  readonly cuped: { readonly theta: number; readonly varianceReduction: number[] } | null;
  readonly variations: VariationMetric[];
}

export interface ExperimentAnalysis {
  readonly srm: SrmResult;
  readonly exposures: { readonly key: string; readonly units: number }[];
  readonly metrics: MetricAnalysis[];
}

function isCovariateSums(sums: MetricSums | CovariateSums): sums is CovariateSums {
  return 'sumXY' in sums;
}

function toPlainSums(sums: MetricSums | CovariateSums): MetricSums {
  return isCovariateSums(sums) ? { n: sums.n, sum: sums.sumY, sumSquares: sums.sumY2 } : sums;
}

/**
 * The whole read-out of one experiment: exposures and the SRM check, then for each metric every
 * variation's mean and its lift over control (CUPED-adjusted where pre-period data is there; always-valid
 * with `sequential`). Lifts are still computed when the SRM check fails; the report should lead with it.
 *
 * @example
 * const analysis = analyzeExperiment([
 *   { key: 'control', units: 5000, metrics: { converted: { n: 5000, sum: 250, sumSquares: 250 } } },
 *   { key: 'thompson', units: 5050, metrics: { converted: { n: 5050, sum: 290, sumSquares: 290 } } },
 * ], { sequential: { tuningSize: 20_000 } });
 */
export function analyzeExperiment(variations: readonly VariationData[], options: ExperimentAnalysisOptions = {}): ExperimentAnalysis {
  const controlIndex = options.controlIndex ?? 0;
  if (!Number.isInteger(controlIndex) || controlIndex < 0 || controlIndex >= variations.length) {
    throw new TailorError('invalid_options', `analyzeExperiment: "controlIndex" ${controlIndex} is not one of the ${variations.length} variations`);
  }
  const srm = srmTest(
    variations.map((v) => v.units),
    options.weights,
    options.srmThreshold === undefined ? {} : { threshold: options.srmThreshold },
  );
  const names = [...new Set(variations.flatMap((v) => Object.keys(v.metrics)))];
  const metrics = names.map((metric): MetricAnalysis => {
    const sums = variations.map((v) => (Object.hasOwn(v.metrics, metric) ? v.metrics[metric] : undefined));
    const withCovariate = sums.every((s) => s !== undefined && isCovariateSums(s));
    const adjustment = withCovariate ? cuped(sums as CovariateSums[]) : undefined;
    const estimates = sums.map((s, i) => (adjustment ? (adjustment.adjusted[i] as MeanEstimate) : s === undefined ? null : toMeanEstimate(toPlainSums(s))));
    const control = estimates[controlIndex] ?? null;
    return {
      metric,
      cuped: adjustment ? { theta: adjustment.theta, varianceReduction: adjustment.varianceReduction } : null,
      variations: variations.map((v, i) => {
        const estimate = estimates[i] ?? null;
        const lift = i === controlIndex || estimate === null || control === null ? null : compareMeans(control, estimate, options);
        return { key: v.key, estimate, lift };
      }),
    };
  });
  return { srm, exposures: variations.map((v) => ({ key: v.key, units: v.units })), metrics };
}
