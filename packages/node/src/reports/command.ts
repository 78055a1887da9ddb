import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadModel, parseExperiments, parseHoldout, type DecisionLogRecord, type OutcomeRecord, type SegmentEvent } from '@tailor/core';
import * as z from 'zod';
import { parseDuration } from '../collector/duration';
import { createLmdbStore, type LmdbStore } from '../collector/lmdb-store';
import { createProgress } from '../progress';
import { groupEventsByPerson } from '../training/people';
import { cohortCalibration } from './calibration';
import { formatDriftReport, getDriftExitCode, modelDrift } from './drift';
import { formatExperimentReport, reportExperiments, type ExperimentMetric } from './experiments';
import { formatOpeReport, reportOpe, toOutcomeRecord, weightsPolicySchema, type CandidatePolicy } from './ope';
import { commandUsage, PROCESS_IO, type CommandIo } from '../cli-args';

export type { CommandIo } from '../cli-args';

/** A usage error: exit code 2 with the message. */
class UsageError extends Error {}

const DAY_MS = 86_400_000;

/** An ISO date, or a duration before `now` (`30d`). */
function parseTime(flag: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const relative = parseDuration(value);
  if (relative !== undefined) return now - relative;
  const absolute = Date.parse(value);
  if (Number.isNaN(absolute)) throw new UsageError(`--${flag} takes an ISO date (2026-01-01) or a duration (30d), got "${value}"`);
  return absolute;
}

function parseNumber(flag: string, value: string | undefined, schema: z.ZodType<number>): number | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got "${value}")`);
  return parsed.data;
}

function openStore(dataDir: string | undefined): LmdbStore {
  if (!dataDir) throw new UsageError("--data-dir DIR is required (the collector's data directory)");
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) throw new UsageError(`--data-dir ${dataDir} is not a directory`);
  return createLmdbStore({ dataDir });
}

function readJson(flag: string, path: string): unknown {
  if (!existsSync(path)) throw new UsageError(`--${flag} ${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--${flag} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Decision log records of a source, with a progress bar (the count is of all sources: an upper bound). */
function* scanDecisions(store: LmdbStore, sourceId: string, sinceMs: number | undefined, io: CommandIo): Generator<DecisionLogRecord> {
  const progress = createProgress('reading decisions', store.decisionLog.count(), io.stderr);
  let seen = 0;
  for (const record of store.decisionLog.scan({ sourceId, ...(sinceMs === undefined ? {} : { sinceMs }) })) {
    yield record;
    if (++seen % 1000 === 0) progress.tick(1000);
  }
  progress.tick(seen % 1000);
  progress.finish();
}

function* scanEvents(store: LmdbStore, sourceId: string | undefined, io: CommandIo): Generator<{ event: SegmentEvent; receivedAt: number }> {
  const progress = createProgress('reading events', store.stats().events, io.stderr);
  let seen = 0;
  for (const stored of store.scan(sourceId === undefined ? {} : { sourceId })) {
    yield stored;
    if (++seen % 1000 === 0) progress.tick(1000);
  }
  progress.tick(seen % 1000);
  progress.finish();
}

/** Configured weights by experiment key (and the holdout's [fraction, 1 − fraction]) from a decision config file. */
function weightsFromConfig(path: string): Map<string, readonly number[]> {
  const config = readJson('config', path) as { experiments?: unknown; holdout?: unknown };
  const weights = new Map<string, readonly number[]>();
  const { experiments, issues } = parseExperiments(config?.experiments ?? []);
  if (issues.length > 0) throw new UsageError(`--config ${path}: invalid experiments: ${issues.map((i) => `experiments${i.path} ${i.message}`).join('; ')}`);
  for (const experiment of experiments) weights.set(experiment.key, experiment.weights ?? experiment.variations.map(() => 1 / experiment.variations.length));
  if (config?.holdout !== undefined) {
    const holdout = parseHoldout(config.holdout);
    if (!holdout.ok) throw new UsageError(`--config ${path}: invalid holdout: ${holdout.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
    weights.set(holdout.holdout.key, [holdout.holdout.fraction, 1 - holdout.holdout.fraction]);
  }
  return weights;
}

async function experimentsCommand(args: readonly string[], io: CommandIo, now: number): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { 'data-dir': { type: 'string' }, source: { type: 'string' }, since: { type: 'string' }, metric: { type: 'string' }, config: { type: 'string' }, 'pre-period': { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (!values.source) throw new UsageError('--source ID is required (the source whose decisions and events to read)');
  const metric = (values.metric ?? 'conversion') as ExperimentMetric;
  if (metric !== 'conversion' && metric !== 'revenue') throw new UsageError(`--metric is conversion or revenue, got "${values.metric}"`);
  const sinceMs = parseTime('since', values.since, now);
  const prePeriodMs = values['pre-period'] === undefined ? 28 * DAY_MS : parseDuration(values['pre-period']);
  if (prePeriodMs === undefined) throw new UsageError(`--pre-period takes a duration (28d), got "${values['pre-period']}"`);
  const weights = values.config === undefined ? undefined : weightsFromConfig(values.config);
  const store = openStore(values['data-dir']);
  try {
    const sourceId = values.source;
    const readouts = reportExperiments(scanDecisions(store, sourceId, sinceMs, io), scanEvents(store, sourceId, io), {
      metric,
      prePeriodMs,
      ...(weights === undefined ? {} : { weights }),
      profileIdOf: (event) => {
        const ids = event as { userId?: unknown; anonymousId?: unknown };
        const byUser = typeof ids.userId === 'string' ? store.profiles.findProfile(sourceId, `userId:${ids.userId}`) : undefined;
        return (byUser ?? (typeof ids.anonymousId === 'string' ? store.profiles.findProfile(sourceId, `anonymousId:${ids.anonymousId}`) : undefined))?.id;
      },
    });
    io.stdout.write(values.json ? `${JSON.stringify({ experiments: readouts }, null, 2)}\n` : formatExperimentReport(readouts));
    return readouts.some((readout) => readout.srmChecked && readout.fixed.srm.mismatch) ? 3 : 0;
  } finally {
    await store.close();
  }
}

async function opeCommand(args: readonly string[], io: CommandIo, now: number): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { 'data-dir': { type: 'string' }, source: { type: 'string' }, since: { type: 'string' }, policy: { type: 'string' }, reward: { type: 'string' }, clip: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (!values.source) throw new UsageError('--source ID is required (the source whose decision log to evaluate)');
  if (!values.policy) throw new UsageError('--policy is required: greedy, uniform, or a JSON file with {"weights": {"<offerId>": w}}');
  let policy: CandidatePolicy;
  if (values.policy === 'greedy' || values.policy === 'uniform') policy = { kind: values.policy };
  else {
    const parsed = weightsPolicySchema.safeParse(readJson('policy', values.policy));
    if (!parsed.success) throw new UsageError(`--policy ${values.policy}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')} — expected {"weights": {"<offerId>": number ≥ 0}}`);
    policy = { kind: 'weights', weights: parsed.data.weights };
  }
  const reward = values.reward ?? 'convert';
  if (reward !== 'convert' && reward !== 'click' && reward !== 'value') throw new UsageError(`--reward is convert, click or value, got "${values.reward}"`);
  const clip = parseNumber('clip', values.clip, z.coerce.number().gt(0));
  const sinceMs = parseTime('since', values.since, now);
  const store = openStore(values['data-dir']);
  try {
    const outcomes: OutcomeRecord[] = [];
    for (const { event, receivedAt } of scanEvents(store, values.source, io)) {
      const outcome = toOutcomeRecord(event, receivedAt);
      if (outcome !== undefined) outcomes.push(outcome);
    }
    const report = reportOpe(scanDecisions(store, values.source, sinceMs, io), outcomes, policy, { reward, ...(clip === undefined ? {} : { clip }) });
    if (report.rows === 0) {
      io.stderr.write(`tailor report ope: no shown items in the decision log of source "${values.source}"${sinceMs === undefined ? '' : ' since --since'}; nothing to evaluate\n`);
      return 1;
    }
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatOpeReport(report));
    return 0;
  } finally {
    await store.close();
  }
}

async function driftCommand(args: readonly string[], io: CommandIo, now: number): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      model: { type: 'string' },
      'data-dir': { type: 'string' },
      source: { type: 'string' },
      since: { type: 'string' },
      at: { type: 'string' },
      warn: { type: 'string' },
      alert: { type: 'string' },
      cohorts: { type: 'string' },
      'ece-warn': { type: 'string' },
      'ece-alert': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (!values.model) throw new UsageError('--model model.onnx is required (a model exported by tailor train, with reference bins)');
  if (!existsSync(values.model)) throw new UsageError(`--model ${values.model} does not exist`);
  const loaded = loadModel(readFileSync(values.model));
  if (!loaded.ok) throw new UsageError(`--model ${values.model}: ${loaded.reason === 'unsupported' ? `uses ${loaded.op}, which Tailor's evaluators do not run` : loaded.error}`);
  const atMs = parseTime('at', values.at, now) ?? now;
  const sinceMs = parseTime('since', values.since ?? '30d', atMs) as number;
  const warn = parseNumber('warn', values.warn, z.coerce.number().min(0));
  const alert = parseNumber('alert', values.alert, z.coerce.number().min(0));
  const thresholds = { ...(warn === undefined ? {} : { warn }), ...(alert === undefined ? {} : { alert }) };
  const cohorts = parseNumber('cohorts', values.cohorts, z.coerce.number().int().min(1).max(520)) ?? 4;
  const eceWarn = parseNumber('ece-warn', values['ece-warn'], z.coerce.number().min(0).max(1)) ?? 0.05;
  const eceAlert = parseNumber('ece-alert', values['ece-alert'], z.coerce.number().min(0).max(1)) ?? Math.max(0.1, eceWarn);
  if (eceWarn > eceAlert) throw new UsageError(`--ece-warn ${eceWarn} is above --ece-alert ${eceAlert}`);
  const store = openStore(values['data-dir']);
  try {
    const { people } = groupEventsByPerson(
      (function* () {
        for (const { event } of scanEvents(store, values.source, io)) yield event;
      })(),
      { untilMs: atMs },
    );
    const result = modelDrift(loaded.scorer, people, { atMs, sinceMs, thresholds });
    if (!result.ok) {
      io.stderr.write(`tailor report drift: ${result.reason}\n`);
      return 1;
    }
    const calibration = cohortCalibration(loaded.scorer, people, { nowMs: atMs, cohorts, thresholds: { warn: eceWarn, alert: eceAlert } });
    const { id, version } = loaded.scorer.model;
    io.stdout.write(values.json ? `${JSON.stringify({ model: id, version, people: result.people, ...result.report, calibration }, null, 2)}\n` : formatDriftReport(id, version, result, calibration));
    return getDriftExitCode(result, calibration);
  } finally {
    await store.close();
  }
}

/**
 * `tailor report experiments|ope|drift`. Reports go to stdout (text, or JSON with --json), progress to
 * stderr. Exit codes: 0; 1 when there is nothing to report on; 2 for a usage error; 3 when the report
 * raises an alarm (a sample ratio mismatch, a drift alert), so a scheduled job can page on it.
 */
export async function runReportCommand(args: readonly string[], io: CommandIo = PROCESS_IO, now = Date.now()): Promise<number> {
  const [kind, ...rest] = args;
  try {
    switch (kind) {
      case 'experiments':
        return await experimentsCommand(rest, io, now);
      case 'ope':
        return await opeCommand(rest, io, now);
      case 'drift':
        return await driftCommand(rest, io, now);
      default:
        throw new UsageError(kind === undefined ? 'say which report: experiments, ope or drift' : `unknown report "${kind}": experiments, ope or drift`);
    }
  } catch (error) {
    // parseArgs reports unknown flags with a TypeError carrying a code.
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      return commandUsage('report', io)((error as Error).message);
    }
    throw error;
  }
}
