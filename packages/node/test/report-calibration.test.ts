import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { SegmentEvent, SyncScorer } from '@tailor/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLmdbStore } from '../src/collector/lmdb-store';
import { cohortCalibration, formatCalibrationReport, type CalibrationReport } from '../src/reports/calibration';
import { runTrainCommand } from '../src/training/command';
import type { PersonHistory } from '../src/training/people';
import { createModelRegistry } from '../src/training/registry';
import { generateShopLog, type SyntheticEvent } from './fixtures/training/synthetic-log';
import { runTailor } from './collector-process';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('cohortCalibration', () => {
  const CUTOFF = Date.parse('2026-05-01T00:00:00Z');
  /** 200 customers who ordered before the cutoff; the first 50 order again 3 days after it. */
  const people: PersonHistory[] = Array.from({ length: 200 }, (_, i) => ({
    personId: `p${i}`,
    events: [
      { type: 'track', event: 'Order Completed', timestamp: CUTOFF - 10 * DAY, properties: { order_id: `a${i}`, total: 20 } },
      ...(i < 50 ? [{ type: 'track', event: 'Order Completed', timestamp: CUTOFF + 3 * DAY, properties: { order_id: `b${i}`, total: 20 } }] : []),
      { type: 'track', event: 'Product Viewed', timestamp: CUTOFF + 20 * DAY },
    ],
  }));
  const scorer = (p: number, metadata: Record<string, string> = { 'tailor.label': 'purchase-7d', 'tailor.training_window': JSON.stringify({ until: iso(CUTOFF) }) }): SyncScorer => ({
    sync: true,
    model: { id: 'm', version: '1', featureNames: ['rfm.orders_total'], task: 'classifier', metadata },
    score: (_input, n) => new Float32Array(n).fill(p),
  });

  it('measures each matured weekly cutoff after the training window against what people did next', () => {
    const report = cohortCalibration(scorer(0.25), people, { nowMs: CUTOFF + 15 * DAY });
    expect(report.status).toBe('alert'); // the worst cohort's
    expect(report.cohorts.map((c) => [c.cutoff, c.maturedAt, c.rows, c.positives, c.observedRate])).toEqual([
      [iso(CUTOFF), iso(CUTOFF + 7 * DAY), 200, 50, 0.25],
      [iso(CUTOFF + 7 * DAY), iso(CUTOFF + 14 * DAY), 200, 0, 0],
    ]);
    expect(report.cohorts[0]).toMatchObject({ meanPredicted: 0.25, ece: 0, brier: 0.1875, auc: 0.5 });
    expect(report.cohorts[1]).toMatchObject({ auc: null, ece: 0.25, status: 'alert' });
  });

  it('sets the status from the ECE thresholds, and takes the most recent cohorts', () => {
    const first = (p: number, thresholds = {}) => cohortCalibration(scorer(p), people, { nowMs: CUTOFF + 7 * DAY, thresholds }).cohorts.map((c) => [c.ece, c.status]);
    expect(first(0.25)).toEqual([[0, 'ok']]);
    expect(first(0.1875)).toEqual([[0.0625, 'warn']]);
    expect(first(0.125)).toEqual([[0.125, 'alert']]);
    expect(first(0.125, { alert: 0.2 })).toEqual([[0.125, 'warn']]);
    const latest = cohortCalibration(scorer(0), people, { nowMs: CUTOFF + 30 * DAY, cohorts: 2 });
    // The log ends on day 20: the cutoff of day 14 has not matured, whatever the clock says.
    expect(latest.labelsKnownUntil).toBe(iso(CUTOFF + 20 * DAY));
    expect(latest.cohorts.map((c) => c.cutoff)).toEqual([iso(CUTOFF), iso(CUTOFF + 7 * DAY)]);
    expect(cohortCalibration(scorer(0), people, { nowMs: CUTOFF + 7 * DAY, minRows: 201 }).cohorts.map((c) => c.status)).toEqual(['insufficient']);
    expect(() => cohortCalibration(scorer(0), people, { nowMs: CUTOFF, thresholds: { warn: 0.2, alert: 0.1 } })).toThrow(/0 ≤ warn ≤ alert/);
  });

  it('explains why there is nothing to report', () => {
    const none = (report: CalibrationReport) => [report.status, report.reason];
    expect(none(cohortCalibration(scorer(0.2), people, { nowMs: CUTOFF + 6 * DAY }))).toEqual([
      'none',
      `no cohort has matured yet: the first cutoff after the training window (${iso(CUTOFF)}) matures on ${iso(CUTOFF + 7 * DAY)} (purchase-7d), and labels are known until ${iso(CUTOFF + 6 * DAY)}`,
    ]);
    expect(none(cohortCalibration(scorer(0.2, {}), people, { nowMs: CUTOFF }))).toEqual(['none', expect.stringMatching(/no usable tailor.label .*tailor train/)]);
    expect(none(cohortCalibration(scorer(0.2, { 'tailor.label': 'offer-accept-7d' }), people, { nowMs: CUTOFF }))).toEqual(['none', expect.stringMatching(/covers purchase-Nd labels/)]);
    expect(none(cohortCalibration(scorer(0.2, { 'tailor.label': 'purchase-7d', 'tailor.training_window': '{"until":3}' }), people, { nowMs: CUTOFF }))).toEqual([
      'none',
      expect.stringMatching(/tailor.training_window is invalid: until/),
    ]);
    expect(formatCalibrationReport(cohortCalibration(scorer(0.2), [], { nowMs: CUTOFF + 30 * DAY }))).toMatch(/^calibration: none to report — no cohort has matured yet.*known until nothing/);
  });
});

/*
 * End to end: a seeded shop log in the collector's store, `tailor train` on its first 120 days, then
 * `tailor report drift` four weeks later as a child process. Shoppers keep joining until day 150 of 250,
 * so the weeks after training look like the weeks before: the model stays calibrated. In the second store
 * the purchase rate doubles the moment training ends: every order of the five weeks before is placed
 * again five weeks later, by the same shopper.
 */
const SLOW = 120_000;
const SOURCE = 'shop';
const log = generateShopLog({ shoppers: 3_000, days: 250, seed: 7 });
const TRAINED_UNTIL = log.startMs + 120 * DAY;
// Midday: the log holds events of that morning, so the label window that closed at midnight is complete.
const AT = TRAINED_UNTIL + 28.5 * DAY;
const REPLAY_MS = 35 * DAY;
const timeOf = (entry: SyntheticEvent) => Date.parse(entry.event.timestamp);
const isOrder = (entry: SyntheticEvent) => entry.event.event === 'Order Completed' || entry.event.event === 'POS Transaction Completed';

const dir = mkdtempSync(join(tmpdir(), 'tailor-calibration-'));
const steadyDir = join(dir, 'steady');
const doubledDir = join(dir, 'doubled');
const modelsDir = join(dir, 'models');
let modelPath = '';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeStore(dataDir: string, events: readonly SyntheticEvent[]): Promise<void> {
  const store = createLmdbStore({ dataDir });
  for (let i = 0; i < events.length; i += 1_000) await store.append(SOURCE, events.slice(i, i + 1_000) as unknown as Array<{ messageId: string; event: SegmentEvent }>, AT);
  await store.close();
}

beforeAll(async () => {
  const steady = log.events.filter((entry) => timeOf(entry) <= AT);
  const replayed = steady
    .filter((entry) => isOrder(entry) && timeOf(entry) > TRAINED_UNTIL - REPLAY_MS && timeOf(entry) + REPLAY_MS <= AT)
    .map((entry, i): SyntheticEvent => {
      const id = `replay-${i}`;
      return { messageId: id, event: { ...entry.event, messageId: id, timestamp: iso(timeOf(entry) + REPLAY_MS), properties: { ...(entry.event.properties as object), order_id: id, transaction_id: id } } };
    });
  await writeStore(steadyDir, steady);
  await writeStore(doubledDir, [...steady, ...replayed].sort((a, b) => timeOf(a) - timeOf(b)));
  const quiet = new PassThrough();
  quiet.resume();
  const io = { stdout: quiet, stderr: quiet as unknown as NodeJS.WriteStream };
  const trainArgs = ['--data-dir', steadyDir, '--source', SOURCE, '--label', 'purchase-7d', '--model', 'logistic', '--out', modelsDir, '--until', iso(TRAINED_UNTIL), '--seed', '3'];
  expect(await runTrainCommand(trainArgs, io, AT)).toBe(0);
  modelPath = (await createModelRegistry(modelsDir).getLatest('purchase-7d'))?.modelPath as string;
}, SLOW);

/** `tailor report drift …` as a real child process, from the TypeScript sources. */
const driftCli = (dataDir: string, ...args: string[]) => runTailor(['report', 'drift', '--model', modelPath, '--data-dir', dataDir, '--source', SOURCE, ...args]);

interface DriftJson {
  readonly status: string;
  readonly calibration: CalibrationReport;
}

describe('tailor report drift: calibration on matured cohorts', () => {
  let steady: CalibrationReport;

  it(
    'finds the model calibrated on the four weeks after its training window',
    async () => {
      const run = await driftCli(steadyDir, '--at', iso(AT), '--json');
      const json = JSON.parse(run.stdout) as DriftJson;
      steady = json.calibration;
      expect(run.code).toBe(json.status === 'alert' ? 3 : 0);
      expect(steady.status).toBe('ok');
      expect(steady.label).toBe('purchase-7d');
      expect(steady.cohorts.map((c) => c.cutoff)).toEqual([0, 7, 14, 21].map((days) => iso(TRAINED_UNTIL + days * DAY)));
      for (const cohort of steady.cohorts) {
        expect(cohort.rows).toBeGreaterThan(2_000);
        expect(cohort.ece).toBeLessThan(0.05);
        expect(Math.abs((cohort.meanPredicted as number) - (cohort.observedRate as number))).toBeLessThan(0.03);
        expect(cohort.auc).toBeGreaterThan(0.7);
        expect(cohort.reliability).toHaveLength(10);
      }
    },
    SLOW,
  );

  it(
    'warns when the purchase rate doubles after training, and exits 3 once the ECE reaches --ece-alert',
    async () => {
      const defaults = JSON.parse((await driftCli(doubledDir, '--at', iso(AT), '--json')).stdout) as DriftJson;
      const [first] = defaults.calibration.cohorts;
      // The first cutoff's features predate the change: same predictions, nearly twice the buyers.
      expect(first?.meanPredicted).toBe(steady.cohorts[0]?.meanPredicted);
      expect((first?.observedRate as number) / (steady.cohorts[0]?.observedRate as number)).toBeGreaterThan(1.6);
      // Doubling a 10% rate moves the ECE by about E[p] − E[p²] ≈ 0.08: past warn, short of the 0.1 alert.
      expect(first?.ece).toBeGreaterThan(0.07);
      expect(defaults.calibration.status).toBe('warn');

      const strict = await driftCli(doubledDir, '--at', iso(AT), '--json', '--ece-warn', '0.03', '--ece-alert', '0.07');
      expect(strict.code).toBe(3);
      const json = JSON.parse(strict.stdout) as DriftJson;
      expect(json.calibration.status).toBe('alert');
      expect(json.calibration.thresholds).toEqual({ warn: 0.03, alert: 0.07 });
      expect(json.calibration.cohorts[0]?.status).toBe('alert');

      const text = await driftCli(doubledDir, '--at', iso(AT), '--ece-alert', '0.07');
      expect(text.code).toBe(3);
      expect(text.stdout).toMatch(/calibration on matured purchase-7d cohorts: ALERT \(ECE warn ≥ 0\.05, alert ≥ 0\.07\)/);
      expect(text.stdout).toMatch(new RegExp(`${iso(TRAINED_UNTIL).slice(0, 10)} +\\d+ +0\\.\\d{3} +0\\.\\d{3} +0\\.\\d{3} .* alert`));
    },
    SLOW,
  );

  it(
    'says when no cohort has matured yet, reports the latest --cohorts, and rejects crossed thresholds',
    async () => {
      const early = await driftCli(steadyDir, '--at', iso(TRAINED_UNTIL + 5 * DAY));
      expect(early.stdout).toMatch(/calibration: none to report — no cohort has matured yet: the first cutoff after the training window .* matures on/);
      const two = JSON.parse((await driftCli(steadyDir, '--at', iso(AT), '--cohorts', '2', '--json')).stdout) as DriftJson;
      expect(two.calibration.cohorts.map((c) => c.cutoff)).toEqual([iso(TRAINED_UNTIL + 14 * DAY), iso(TRAINED_UNTIL + 21 * DAY)]);
      const crossed = await driftCli(steadyDir, '--ece-warn', '0.2', '--ece-alert', '0.1');
      expect(crossed.code).toBe(2);
      expect(crossed.stderr).toMatch(/--ece-warn 0.2 is above --ece-alert 0.1/);
    },
    SLOW,
  );
});
