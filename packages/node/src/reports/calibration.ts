import {
  DEFAULT_RETAIL_FEATURE_SPEC,
  TailorError,
  applyEvent,
  auc,
  brierScore,
  createFeatureState,
  expectedCalibrationError,
  readFeatures,
  reliabilityTable,
  type FeatureSpec,
  type FeatureValues,
  type ReliabilityBin,
  type SyncScorer,
} from '@tailor/core';
import * as z from 'zod';
import { formatLabel, parseLabel, type LabelSpec } from '../training/dataset';
import type { PersonHistory, TimedEvent } from '../training/people';

const DAY_MS = 86_400_000;

/** ECE levels of a cohort: at or above `warn` it warns, at or above `alert` it alerts. */
export interface CalibrationThresholds {
  readonly warn: number;
  readonly alert: number;
}

export const DEFAULT_CALIBRATION_THRESHOLDS: CalibrationThresholds = Object.freeze({ warn: 0.05, alert: 0.1 });

/** `insufficient`: fewer rows than `minRows`, too few for an ECE that means anything; it sets no alarm. */
export type CohortStatus = 'ok' | 'warn' | 'alert' | 'insufficient';

/** One matured snapshot: everyone known at `cutoff`, scored on their features then, against what they did next. */
export interface CohortCalibration {
  /** The snapshot time (ISO). */
  readonly cutoff: string;
  /** When its label window closed (ISO): cutoff + the label's horizon. */
  readonly maturedAt: string;
  readonly rows: number;
  readonly positives: number;
  readonly meanPredicted: number | null;
  readonly observedRate: number | null;
  readonly ece: number | null;
  readonly brier: number | null;
  /** Null when the cohort holds one class only. */
  readonly auc: number | null;
  readonly status: CohortStatus;
  /** The calibration curve of the cohort (10 equal-width bins). */
  readonly reliability: readonly ReliabilityBin[];
}

/**
 * Calibration of a model on the cohorts whose labels have matured since it was trained. `none` when there
 * is nothing to judge yet (or the model lacks the metadata to say what its label is); `reason` says why.
 */
export interface CalibrationReport {
  /** The worst cohort status, `insufficient` counting as ok; `none` without any matured cohort. */
  readonly status: 'ok' | 'warn' | 'alert' | 'none';
  readonly reason?: string;
  /** The model's label (`tailor.label`), e.g. `purchase-7d`. */
  readonly label: string | null;
  /** Labels are read up to here (ISO): `nowMs` or the log's last event, whichever is earlier. */
  readonly labelsKnownUntil: string | null;
  readonly thresholds: CalibrationThresholds;
  /** Oldest first. */
  readonly cohorts: readonly CohortCalibration[];
}

export interface CohortCalibrationOptions {
  /**
   * The report's time (epoch ms). Labels count as known up to it or up to the log's last event, whichever
   * is earlier: a log that stopped filling (an ingestion outage, a copied store) does not read as people
   * who stopped buying.
   */
  readonly nowMs: number;
  /** How many of the most recent matured cutoffs to report. Default 4. */
  readonly cohorts?: number;
  /** Days between cutoffs, counted from the end of the training window. Default 7. */
  readonly stepDays?: number;
  readonly thresholds?: Partial<CalibrationThresholds>;
  /** A cohort with fewer rows gets status `insufficient`. Default 100. */
  readonly minRows?: number;
  readonly spec?: FeatureSpec;
}

const trainingWindowSchema = z.object({ until: z.iso.datetime({ offset: true }) });

/**
 * How well the model's probabilities match what people then did, on the weekly cutoffs after its training
 * window whose label window has fully passed (cutoff + horizon ≤ now, see `nowMs`): the most recent `cohorts` of
 * them. Rows are built as `tailor train` built them (everyone with an event at or before the cutoff,
 * features folded at the cutoff with the shared spec, the label from the events after it) and scored by
 * `scorer` on its own feature names, so the numbers are those serving sees. Supports `purchase-Nd` labels.
 *
 * Never throws on data: a model without `tailor.label`/`tailor.training_window`, or nothing matured yet,
 * gives status `none` with the reason. Throws a TailorError for thresholds with warn > alert.
 *
 * @example
 * const calibration = cohortCalibration(loaded.scorer, people, { nowMs: Date.now() });
 * if (calibration.status === 'alert') page(calibration.cohorts.at(-1));
 */
export function cohortCalibration(scorer: SyncScorer, people: readonly PersonHistory[], options: CohortCalibrationOptions): CalibrationReport {
  const thresholds = { ...DEFAULT_CALIBRATION_THRESHOLDS, ...options.thresholds };
  if (!(thresholds.warn >= 0 && thresholds.alert >= thresholds.warn && Number.isFinite(thresholds.alert))) {
    throw new TailorError('invalid_options', `cohortCalibration: ECE thresholds must satisfy 0 ≤ warn ≤ alert, got warn ${thresholds.warn}, alert ${thresholds.alert}`);
  }
  const count = options.cohorts ?? 4;
  const stepMs = (options.stepDays ?? 7) * DAY_MS;
  if (!(Number.isInteger(count) && count >= 1) || !(stepMs > 0)) {
    throw new TailorError('invalid_options', `cohortCalibration: "cohorts" must be an integer ≥ 1 and "stepDays" > 0, got ${count} and ${options.stepDays}`);
  }
  const { id, metadata } = scorer.model;
  const labelText = metadata['tailor.label'];
  let logEnd = Number.NEGATIVE_INFINITY;
  for (const person of people) logEnd = Math.max(logEnd, person.events[person.events.length - 1]?.timestamp ?? logEnd);
  const knownUntil = Math.min(options.nowMs, logEnd);
  const labelsKnownUntil = Number.isFinite(knownUntil) ? iso(knownUntil) : null;
  const none = (reason: string): CalibrationReport => ({ status: 'none', reason, label: labelText ?? null, labelsKnownUntil, thresholds, cohorts: [] });

  const label = labelText === undefined ? undefined : parseLabel(labelText);
  if (label === undefined) return none(`model "${id}" has no usable tailor.label in its metadata (${labelText === undefined ? 'missing' : `"${labelText}"`}); export it with tailor train`);
  if (label.kind !== 'purchase') return none(`calibration on matured cohorts covers purchase-Nd labels; model "${id}" predicts ${labelText}`);
  const trainedUntil = parseTrainingEnd(metadata['tailor.training_window']);
  if (typeof trainedUntil === 'string') return none(`model "${id}": ${trainedUntil}; export it with tailor train`);

  const horizonMs = label.days * DAY_MS;
  const matured: number[] = [];
  for (let cutoff = trainedUntil; cutoff + horizonMs <= knownUntil; cutoff += stepMs) matured.push(cutoff);
  if (matured.length === 0) {
    return none(
      `no cohort has matured yet: the first cutoff after the training window (${iso(trainedUntil)}) matures on ${iso(trainedUntil + horizonMs)} ` +
        `(${formatLabel(label)}), and labels are known until ${labelsKnownUntil ?? 'nothing (no events)'}`,
    );
  }
  const cutoffs = matured.slice(-count);
  const rows = purchaseRows(scorer.model.featureNames, people, cutoffs, horizonMs, options.spec ?? DEFAULT_RETAIL_FEATURE_SPEC);
  const minRows = options.minRows ?? 100;
  const cohorts = cutoffs.map((cutoff, c) => {
    const { x, y, n } = rows[c] as CohortRows;
    return measureCohort(cutoff, horizonMs, y, n > 0 ? scorer.score(x, n) : new Float32Array(0), thresholds, minRows);
  });
  const severity = { ok: 0, insufficient: 0, warn: 1, alert: 2 } as const;
  const worst = cohorts.reduce<CohortStatus>((status, cohort) => (severity[cohort.status] > severity[status] ? cohort.status : status), 'ok');
  return { status: worst === 'insufficient' ? 'ok' : worst, label: formatLabel(label), labelsKnownUntil, thresholds, cohorts };
}

/** The end of the training window (epoch ms), or what is wrong with the metadata. */
function parseTrainingEnd(raw: string | undefined): number | string {
  if (raw === undefined) return 'no tailor.training_window in its metadata';
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return `tailor.training_window is not JSON (${(error as Error).message})`;
  }
  const parsed = trainingWindowSchema.safeParse(json);
  if (!parsed.success) return `tailor.training_window is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`;
  return Date.parse(parsed.data.until);
}

interface CohortRows {
  readonly x: Float32Array;
  readonly y: Uint8Array;
  readonly n: number;
}

/**
 * Model inputs and purchase labels per cutoff, as `buildTrainingSet` defines them: a row for each person
 * with an event at or before the cutoff; label 1 when one of the spec's order events follows within the horizon.
 */
function purchaseRows(featureNames: readonly string[], people: readonly PersonHistory[], cutoffs: readonly number[], horizonMs: number, spec: FeatureSpec): CohortRows[] {
  const orders = new Set(spec.events.order);
  const width = featureNames.length;
  const built = cutoffs.map(() => ({ x: [] as number[], y: [] as number[] }));
  const row = new Float32Array(width);
  for (const person of people) {
    const events = person.events;
    const state = createFeatureState(spec);
    let applied = 0;
    cutoffs.forEach((cutoff, c) => {
      for (; applied < events.length && (events[applied] as TimedEvent).timestamp <= cutoff; applied++) applyEvent(state, events[applied] as TimedEvent, spec);
      if (applied === 0) return; // not a customer yet
      let bought = 0;
      for (let k = applied; k < events.length; k++) {
        const event = events[k] as TimedEvent;
        if (event.timestamp > cutoff + horizonMs) break;
        if ((event.type === undefined || event.type === 'track') && orders.has(event.event as string)) {
          bought = 1;
          break;
        }
      }
      fillModelRow(readFeatures(state, spec, cutoff), featureNames, row);
      const into = built[c] as { x: number[]; y: number[] };
      for (let j = 0; j < width; j++) into.x.push(row[j] as number);
      into.y.push(bought);
    });
  }
  return built.map(({ x, y }) => ({ x: Float32Array.from(x), y: Uint8Array.from(y), n: y.length }));
}

/**
 * Writes `features` into `into` in the model's input order. Names may carry the decision config's
 * `features.` prefix; a feature the spec does not produce is NaN in `missing` (when given) and 0 in the
 * row, as `decide()` reads it. Returns `into`.
 */
export function fillModelRow(features: FeatureValues, featureNames: readonly string[], into: Float32Array, missing?: (column: number) => void): Float32Array {
  featureNames.forEach((name, j) => {
    const key = name.startsWith('features.') ? name.slice('features.'.length) : name;
    const value = Object.hasOwn(features, key) ? features[key] : undefined;
    const usable = typeof value === 'number' && Number.isFinite(value);
    if (!usable) missing?.(j);
    into[j] = usable ? value : 0;
  });
  return into;
}

function measureCohort(cutoff: number, horizonMs: number, labels: Uint8Array, scores: Float32Array, thresholds: CalibrationThresholds, minRows: number): CohortCalibration {
  const n = labels.length;
  let positives = 0;
  let predicted = 0;
  for (let i = 0; i < n; i++) {
    positives += labels[i] as number;
    predicted += scores[i] as number;
  }
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  const ece = n > 0 ? finite(expectedCalibrationError(labels, scores)) : null;
  let status: CohortStatus = 'ok';
  if (n < minRows || ece === null) status = 'insufficient';
  else if (ece >= thresholds.alert) status = 'alert';
  else if (ece >= thresholds.warn) status = 'warn';
  return {
    cutoff: iso(cutoff),
    maturedAt: iso(cutoff + horizonMs),
    rows: n,
    positives,
    meanPredicted: n > 0 ? predicted / n : null,
    observedRate: n > 0 ? positives / n : null,
    ece,
    brier: n > 0 ? finite(brierScore(labels, scores)) : null,
    auc: n > 0 ? finite(auc(labels, scores)) : null,
    status,
    reliability: n > 0 ? reliabilityTable(labels, scores) : [],
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const num = (value: number | null, digits = 3) => (value === null ? 'n/a' : value.toFixed(digits));

/** The calibration section of `tailor report drift` as a person reads it. */
export function formatCalibrationReport(report: CalibrationReport): string {
  const { warn, alert } = report.thresholds;
  if (report.status === 'none') return `calibration: none to report — ${report.reason}\n`;
  const lines = [
    `calibration on matured ${report.label} cohorts: ${report.status.toUpperCase()} (ECE warn ≥ ${warn}, alert ≥ ${alert})`,
    '  cutoff       rows     predicted  observed  ECE     Brier   AUC     status',
  ];
  for (const cohort of report.cohorts) {
    lines.push(
      `  ${cohort.cutoff.slice(0, 10)}   ${String(cohort.rows).padEnd(8)} ${num(cohort.meanPredicted).padEnd(10)} ${num(cohort.observedRate).padEnd(9)} ` +
        `${num(cohort.ece).padEnd(7)} ${num(cohort.brier).padEnd(7)} ${num(cohort.auc).padEnd(7)} ${cohort.status}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
