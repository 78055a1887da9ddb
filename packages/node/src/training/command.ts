import { existsSync, statSync } from 'node:fs';
import type { SegmentEvent } from '@tailor/core';
import * as z from 'zod';
import { parseDuration } from '../collector/duration';
import { createLmdbStore } from '../collector/lmdb-store';
import { createProgress } from '../progress';
import { parseLabel } from './dataset';
import { exportOnnx, METADATA } from './onnx-export';
import { groupEventsByPerson } from './people';
import { createModelRegistry, type ModelVersion } from './registry';
import { trainFromHistories, type TrainingReport } from './train';
import { commandUsage, parseFlags, PROCESS_IO, type CommandIo } from '../cli-args';

export type { CommandIo } from '../cli-args';

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const FLAGS = {
  'step-days': positiveInt(365),
  seed: z.coerce.number().int().min(0).max(2 ** 31),
  trees: positiveInt(10_000),
  depth: positiveInt(16),
  'learning-rate': z.coerce.number().gt(0).max(1),
  'min-leaf': positiveInt(1_000_000),
  l2: z.coerce.number().min(0),
} as const;

/** An ISO date, or a duration before `now` (`90d`). */
function parseTime(value: string | undefined, now: number): number | undefined | null {
  if (value === undefined) return undefined;
  const relative = parseDuration(value);
  if (relative !== undefined) return now - relative;
  const absolute = Date.parse(value);
  return Number.isNaN(absolute) ? null : absolute;
}

/**
 * `tailor train`: reads one source's events from the collector's store, trains, evaluates, exports ONNX and
 * registers it. Progress and stages go to stderr, the report to stdout. Returns the exit code: 0, 1 when the
 * data cannot make a model (with the reason), 2 for a usage error.
 */
export async function runTrainCommand(args: readonly string[], io: CommandIo = PROCESS_IO, now = Date.now()): Promise<number> {
  const usage = commandUsage('train', io);
  const parsed = parseFlags(args, {
      'data-dir': { type: 'string' },
      source: { type: 'string' },
      label: { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      id: { type: 'string' },
      'step-days': { type: 'string' },
      seed: { type: 'string' },
      trees: { type: 'string' },
      depth: { type: 'string' },
      'learning-rate': { type: 'string' },
      'min-leaf': { type: 'string' },
      l2: { type: 'string' },
      'no-calibration': { type: 'boolean' },
      promote: { type: 'boolean' },
  });
  if ('error' in parsed) return usage(parsed.error);
  const { values } = parsed;
  const dataDir = values['data-dir'];
  if (!dataDir) return usage("--data-dir DIR is required (the collector's data directory)");
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) return usage(`--data-dir ${dataDir} is not a directory`);
  if (!values.source) return usage('--source ID is required (the source whose events train the model)');
  const label = parseLabel(values.label ?? '');
  if (!label) return usage(`--label takes purchase-<N>d or offer-accept-<N>d, e.g. purchase-7d; got ${JSON.stringify(values.label ?? '')}`);
  const algorithm = values.model ?? 'logistic';
  if (algorithm !== 'logistic' && algorithm !== 'gbt') return usage(`--model is logistic or gbt; got "${algorithm}"`);
  if (!values.out) return usage('--out DIR is required (the model registry, e.g. models/)');
  const modelId = values.id ?? values.label ?? '';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(modelId)) return usage(`--id must be 1-64 letters, digits, ".", "_" or "-"; got "${modelId}"`);
  const fromMs = parseTime(values.since, now);
  const untilMs = parseTime(values.until, now);
  if (fromMs === null) return usage(`--since takes an ISO date (2026-01-01) or a duration (90d), got "${values.since}"`);
  if (untilMs === null) return usage(`--until takes an ISO date (2026-06-01) or a duration (7d), got "${values.until}"`);
  const numbers: Partial<Record<keyof typeof FLAGS, number>> = {};
  for (const [flag, schema] of Object.entries(FLAGS) as Array<[keyof typeof FLAGS, z.ZodType<number>]>) {
    if (values[flag] === undefined) continue;
    const parsed = schema.safeParse(values[flag]);
    if (!parsed.success) return usage(`--${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got "${values[flag]}")`);
    numbers[flag] = parsed.data;
  }

  const store = createLmdbStore({ dataDir });
  let report: TrainingReport;
  let registered: ModelVersion;
  try {
    const total = store.stats().events;
    const reading = createProgress('reading events', total, io.stderr);
    const events = function* (): Generator<SegmentEvent> {
      let seen = 0;
      for (const stored of store.scan({ sourceId: values.source })) {
        yield stored.event;
        if (++seen % 1000 === 0) reading.tick(1000);
      }
      reading.tick(seen % 1000);
    };
    const grouped = groupEventsByPerson(events(), untilMs === undefined ? {} : { untilMs });
    reading.finish();
    const { stats } = grouped;
    io.stderr.write(`${stats.events} events of source "${values.source}" → ${grouped.people.length} people (${stats.unresolved} without an identifier, ${stats.untimed} without a time, ${stats.afterWindow} after --until)\n`);
    const result = trainFromHistories(grouped.people, {
      label,
      algorithm,
      ...(fromMs === undefined ? {} : { fromMs }),
      ...(untilMs === undefined ? {} : { untilMs }),
      ...(numbers['step-days'] === undefined ? {} : { stepDays: numbers['step-days'] }),
      ...(numbers.seed === undefined ? {} : { seed: numbers.seed }),
      ...(numbers.l2 === undefined ? {} : { logistic: { l2: numbers.l2 } }),
      gbt: {
        ...(numbers.trees === undefined ? {} : { trees: numbers.trees }),
        ...(numbers.depth === undefined ? {} : { maxDepth: numbers.depth }),
        ...(numbers['learning-rate'] === undefined ? {} : { learningRate: numbers['learning-rate'] }),
        ...(numbers['min-leaf'] === undefined ? {} : { minLeaf: numbers['min-leaf'] }),
        ...(numbers.l2 === undefined ? {} : { l2: numbers.l2 }),
      },
      calibrate: values['no-calibration'] !== true,
      hooks: { stage: (message) => io.stderr.write(`${message}\n`), progress: (name, count) => createProgress(name, count, io.stderr) },
    });
    if (!result.ok) {
      io.stderr.write(`tailor train: cannot train: ${result.reason}\n`);
      return 1;
    }
    report = result.report;
    const registry = createModelRegistry(values.out);
    registered = await registry.register(modelId, (version) => ({
      model: exportOnnx(result.model, {
        modelId,
        modelVersion: String(version),
        description: `Tailor ${algorithm} model for ${report.label}, trained ${new Date(now).toISOString()}`,
        metadata: {
          [METADATA.label]: report.label,
          [METADATA.trainingWindow]: JSON.stringify(report.trainingWindow),
          [METADATA.referenceBins]: JSON.stringify(report.referenceBins),
          [METADATA.metrics]: JSON.stringify(report.metrics.validation),
          [METADATA.calibration]: JSON.stringify(report.calibration),
        },
      }),
      report: { modelId, version, createdAt: new Date(now).toISOString(), source: values.source, ...report },
    }));
    if (values.promote) registered = await registry.promote(modelId, registered.version);
  } finally {
    await store.close();
  }
  io.stdout.write(formatTrainingReport(report, registered));
  return 0;
}

const fixed = (value: number, digits = 3) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The report as a person reads it in a terminal. */
export function formatTrainingReport(report: TrainingReport, entry: ModelVersion): string {
  const { validation, uncalibrated, rfm, liftOverRfm } = report.metrics;
  const window = report.trainingWindow;
  return [
    `model ${entry.modelId} v${entry.version} (${report.algorithm}, ${report.label})${entry.promoted ? ' — promoted' : ''}`,
    `  ${entry.modelPath}`,
    `  window ${window.from} → ${window.until}; ${window.trainCutoffs.length} training and ${window.validationCutoffs.length} validation snapshots`,
    `  rows: ${report.rows.fit} fit, ${report.rows.calibration} calibration, ${report.rows.validation} validation (base rate ${fixed(validation.baseRate)})`,
    `  calibration: ${report.calibration.method === 'platt' ? `Platt a=${fixed(report.calibration.a)} c=${fixed(report.calibration.c)} (baked into the model)` : 'none'}`,
    '',
    '  validation        model    uncalibrated   RFM heuristic',
    `  AUC               ${fixed(validation.auc).padEnd(9)}${fixed(uncalibrated.auc).padEnd(15)}${fixed(rfm.auc)}`,
    `  log loss          ${fixed(validation.logLoss).padEnd(9)}${fixed(uncalibrated.logLoss)}`,
    `  Brier             ${fixed(validation.brier).padEnd(9)}${fixed(uncalibrated.brier)}`,
    `  ECE               ${fixed(validation.ece).padEnd(9)}${fixed(uncalibrated.ece)}`,
    `  lift @ top 10%    ${fixed(validation.liftTop10, 2).padEnd(9)}${fixed(uncalibrated.liftTop10, 2).padEnd(15)}${fixed(rfm.liftTop10, 2)}`,
    '',
    `  over RFM: AUC ${liftOverRfm.aucDelta >= 0 ? '+' : ''}${fixed(liftOverRfm.aucDelta)}, top-decile lift ×${fixed(liftOverRfm.top10Ratio, 2)}`,
    '',
  ].join('\n');
}
