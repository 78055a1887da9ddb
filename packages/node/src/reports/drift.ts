import { DEFAULT_RETAIL_FEATURE_SPEC, driftReport, foldFeatures, parseDriftReference, type DriftReport, type DriftThresholds, type FeatureSpec, type SyncScorer } from '@tailor/core';
import type { PersonHistory } from '../training/people';
import { fillModelRow, formatCalibrationReport, type CalibrationReport } from './calibration';

/** The key of the score's bins in `tailor.reference_bins` (see training/train.ts). */
const SCORE_KEY = 'score';

export type ModelDriftResult =
  | { readonly ok: true; readonly people: number; readonly report: DriftReport }
  | { readonly ok: false; readonly reason: string };

/**
 * PSI and KS of each model input and of the model's score, over the people active since `sinceMs`, each
 * person's features folded as of `atMs` with the shared feature spec (as training did), against the
 * reference bins stored in the model.
 *
 * @example
 * const result = modelDrift(loaded.scorer, people, { atMs: Date.now(), sinceMs: Date.now() - 30 * DAY });
 */
export function modelDrift(
  scorer: SyncScorer,
  people: readonly PersonHistory[],
  options: { readonly atMs: number; readonly sinceMs: number; readonly spec?: FeatureSpec; readonly thresholds?: Partial<DriftThresholds> },
): ModelDriftResult {
  const raw = scorer.model.metadata['tailor.reference_bins'];
  if (raw === undefined) return { ok: false, reason: `model "${scorer.model.id}" has no tailor.reference_bins in its metadata; export it with tailor train` };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, reason: `model "${scorer.model.id}": tailor.reference_bins is not JSON (${(error as Error).message})` };
  }
  const parsed = parseDriftReference(json);
  if (!parsed.ok) return { ok: false, reason: `model "${scorer.model.id}": tailor.reference_bins is invalid: ${parsed.issues.map((i) => `${i.path} ${i.message}`).join('; ')}` };

  const spec = options.spec ?? DEFAULT_RETAIL_FEATURE_SPEC;
  const names = scorer.model.featureNames;
  const width = names.length;
  const active = people.filter((person) => person.events.some((event) => event.timestamp >= options.sinceMs && event.timestamp <= options.atMs));
  const columns: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, [] as number[]]));
  const input = new Float32Array(active.length * width);
  active.forEach((person, r) => {
    const row = input.subarray(r * width, (r + 1) * width);
    const missing = new Set<number>();
    fillModelRow(foldFeatures(person.events, spec, options.atMs), names, row, (column) => missing.add(column));
    // Columns hold what the model reads (float32, as the reference bins were made), NaN where missing.
    names.forEach((name, c) => (columns[name] as number[]).push(missing.has(c) ? Number.NaN : (row[c] as number)));
  });
  const scores = active.length > 0 ? Array.from(scorer.score(input, active.length)) : [];
  const report = driftReport([...names, SCORE_KEY], parsed.reference, { ...columns, [SCORE_KEY]: scores }, options.thresholds === undefined ? {} : { thresholds: options.thresholds });
  return { ok: true, people: active.length, report };
}

const num = (value: number | null, digits = 4) => (value !== null && Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/**
 * The drift report as a person reads it in a terminal, followed by the calibration section when given.
 *
 * @example
 * io.stdout.write(formatDriftReport(id, version, drift, cohortCalibration(scorer, people, { nowMs })));
 */
export function formatDriftReport(modelId: string, version: string, result: Extract<ModelDriftResult, { ok: true }>, calibration?: CalibrationReport): string {
  const { report } = result;
  const lines = [
    `drift of model ${modelId} v${version}: ${report.status.toUpperCase()} (${result.people} active people; warn ≥ ${report.thresholds.warn}, alert ≥ ${report.thresholds.alert})`,
    '  feature                              PSI      KS      status',
  ];
  for (const feature of report.features) {
    lines.push(`  ${feature.feature.padEnd(36)} ${num(feature.psi).padEnd(8)} ${num(feature.ks, 3).padEnd(7)} ${feature.status}${feature.reason ? ` (${feature.reason})` : ''}`);
  }
  lines.push('');
  return lines.join('\n') + (calibration === undefined ? '' : `\n${formatCalibrationReport(calibration)}`);
}

/** `tailor report drift`'s exit code: 3 when the inputs, the score or a matured cohort's calibration alert, else 0. */
export function getDriftExitCode(result: Extract<ModelDriftResult, { ok: true }>, calibration?: CalibrationReport): 0 | 3 {
  return result.report.status === 'alert' || calibration?.status === 'alert' ? 3 : 0;
}
