import * as z from 'zod';
import { TailorError } from '../errors';
import { formatIssuePath } from '../issues';
import type { StatsIssue } from './checks';
import {
  binnedKsStatistic,
  countBins,
  createReferenceBins,
  DEFAULT_DRIFT_THRESHOLDS,
  ksTest,
  psiFromCounts,
  type DriftThresholds,
  type PsiBin,
  type ReferenceBins,
} from './drift';

/** `no-data`: no reference for the feature, or no current values to compare. */
export type DriftStatus = 'ok' | 'warn' | 'alert' | 'no-data';

export interface FeatureDrift {
  readonly feature: string;
  /** From PSI against the thresholds; KS is reported alongside but does not set the status. */
  readonly status: DriftStatus;
  /** Why the status is `no-data`: `no-reference` or `no-current-values`. */
  readonly reason?: 'no-reference' | 'no-current-values';
  readonly psi: number | null;
  /** Exact two-sample KS when the reference is a sample; evaluated at the bin edges when it is bins. */
  readonly ks: number | null;
  /** Only when the reference is a sample (binned KS has no honest p-value). */
  readonly ksPValue: number | null;
  /** Current values seen, missing ones included. */
  readonly count: number;
  /** Share of current values that were missing (NaN). */
  readonly missingRate: number | null;
  readonly bins: PsiBin[];
}

export interface DriftReport {
  /** The worst feature status, in the order ok < no-data < warn < alert. */
  readonly status: DriftStatus;
  readonly thresholds: DriftThresholds;
  readonly features: FeatureDrift[];
}

export interface DriftReportOptions {
  readonly thresholds?: Partial<DriftThresholds>;
  readonly epsilon?: number;
  /** Bins made from a reference given as a sample. Default 10. */
  readonly bins?: number;
}

const SEVERITY: Record<DriftStatus, number> = { ok: 0, 'no-data': 1, warn: 2, alert: 3 };

function isReferenceBins(value: ReferenceBins | ArrayLike<number>): value is ReferenceBins {
  return 'edges' in value && 'proportions' in value;
}

/**
 * PSI and KS per feature, with a status from the thresholds. The reference of each feature is either its
 * stored {@link ReferenceBins} (from the model's metadata) or a raw sample (binned here, with an exact KS).
 * Scores work the same way: pass them under their own name. Throws only for bad thresholds.
 *
 * @example
 * const report = driftReport(['recency_days', 'score'], model.referenceBins, { recency_days: values, score: scores });
 * report.features.filter((f) => f.status === 'alert');
 */
export function driftReport(
  features: readonly string[],
  reference: Readonly<Record<string, ReferenceBins | ArrayLike<number>>>,
  current: Readonly<Record<string, ArrayLike<number>>>,
  options: DriftReportOptions = {},
): DriftReport {
  const thresholds = { ...DEFAULT_DRIFT_THRESHOLDS, ...options.thresholds };
  if (!(thresholds.warn >= 0 && thresholds.alert >= thresholds.warn && Number.isFinite(thresholds.alert))) {
    throw new TailorError('invalid_options', `driftReport: thresholds must satisfy 0 ≤ warn ≤ alert, got warn ${thresholds.warn}, alert ${thresholds.alert}`);
  }
  const rows = features.map((feature): FeatureDrift => {
    const given = Object.hasOwn(reference, feature) ? reference[feature] : undefined;
    const values = Object.hasOwn(current, feature) ? current[feature] : undefined;
    const count = values?.length ?? 0;
    const empty = { feature, status: 'no-data' as const, psi: null, ks: null, ksPValue: null, count, missingRate: null, bins: [] };
    if (given === undefined) return { ...empty, reason: 'no-reference' };
    if (values === undefined || count === 0) return { ...empty, reason: 'no-current-values' };
    const sample = isReferenceBins(given) ? undefined : given;
    const bins = isReferenceBins(given) ? given : createReferenceBins(given, { bins: options.bins ?? 10 });
    const counts = countBins(bins, values);
    const breakdown = psiFromCounts(bins, counts, { epsilon: options.epsilon });
    const ks = sample === undefined ? { statistic: binnedKsStatistic(bins, counts), pValue: Number.NaN } : ksTest(sample, values);
    const status = breakdown.psi >= thresholds.alert ? 'alert' : breakdown.psi >= thresholds.warn ? 'warn' : 'ok';
    return {
      feature,
      status,
      psi: breakdown.psi,
      ks: Number.isNaN(ks.statistic) ? null : ks.statistic,
      ksPValue: Number.isNaN(ks.pValue) ? null : ks.pValue,
      count,
      missingRate: (counts[counts.length - 1] as number) / count,
      bins: breakdown.bins,
    };
  });
  const status = rows.reduce<DriftStatus>((worst, row) => (SEVERITY[row.status] > SEVERITY[worst] ? row.status : worst), 'ok');
  return { status, thresholds, features: rows };
}

const SUM_TOLERANCE = 1e-6;

export const referenceBinsSchema = z
  .object({
    edges: z.array(z.number().refine(Number.isFinite, 'edges must be finite')),
    proportions: z.array(z.number().min(0).max(1)).min(1),
    missing: z.number().min(0).max(1),
    count: z.number().int().min(0),
  })
  .refine((bins) => bins.edges.every((edge, i) => i === 0 || edge > (bins.edges[i - 1] as number)), { message: 'edges must be strictly ascending', path: ['edges'] })
  .refine((bins) => bins.proportions.length === bins.edges.length + 1, { message: 'proportions needs one entry per bin (edges.length + 1)', path: ['proportions'] })
  .refine((bins) => bins.count === 0 || Math.abs(bins.proportions.reduce((a, b) => a + b, bins.missing) - 1) <= SUM_TOLERANCE, {
    message: 'proportions and missing must sum to 1',
    path: ['proportions'],
  });

export type ParseDriftReferenceResult =
  | { readonly ok: true; readonly reference: Record<string, ReferenceBins> }
  | { readonly ok: false; readonly issues: StatsIssue[] };

/**
 * Validates reference bins by feature name, as stored in a model's metadata. All or nothing: a model
 * whose reference is damaged should be re-exported, not half-monitored.
 *
 * @example
 * const parsed = parseDriftReference(JSON.parse(model.metadata['tailor.reference_bins'] ?? '{}'));
 * if (parsed.ok) driftReport(model.featureNames, parsed.reference, current);
 */
export function parseDriftReference(input: unknown): ParseDriftReferenceResult {
  const parsed = z.record(z.string(), referenceBinsSchema).safeParse(input);
  if (parsed.success) return { ok: true, reference: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), code: issue.code, message: issue.message })) };
}
