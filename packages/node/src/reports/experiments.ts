import {
  analyzeExperiment,
  summarizeValues,
  summarizeWithCovariate,
  type DecisionLogRecord,
  type ExperimentAnalysis,
  type SegmentEvent,
  type VariationData,
} from '@tailor/core';

/** `conversion`: 1 when the unit converted after its first exposure. `revenue`: order revenue after it. */
export type ExperimentMetric = 'conversion' | 'revenue';

/** The event names the report reads; the rest of the log is skipped. */
export const ORDER_EVENT = 'Order Completed';
export const OFFER_CONVERTED_EVENT = 'Offer Converted';

export interface ExperimentReportOptions {
  readonly metric: ExperimentMetric;
  /** How far before a unit's first exposure its pre-period (the CUPED covariate) reaches. Default 28 days. */
  readonly prePeriodMs?: number;
  /** Configured weights by experiment key (in variation order), for the SRM check; equal otherwise. */
  readonly weights?: ReadonlyMap<string, readonly number[]>;
  /** Resolves an order's person to the profile id decisions log, for experiments hashed on `profileId`. */
  readonly profileIdOf?: (event: SegmentEvent) => string | undefined;
}

export interface ExperimentReadout {
  readonly experiment: string;
  /** A global holdout (variations `holdout` / `exposed`): its lift is the whole engine's. */
  readonly holdout: boolean;
  readonly metric: ExperimentMetric;
  readonly variations: readonly string[];
  /** Whether the SRM check used configured weights (`config`) or assumed an equal split (`equal`). */
  readonly weights: 'config' | 'equal';
  /**
   * False for a holdout without configured weights: its split is never equal, so the check would only
   * raise false alarms. `fixed.srm` is then computed against an equal split and must be ignored.
   */
  readonly srmChecked: boolean;
  readonly fixed: ExperimentAnalysis;
  /** The same lifts with always-valid (sequential) intervals, safe to look at any time. */
  readonly alwaysValid: ExperimentAnalysis;
  /** Units seen in more than one variation (kept in their first): a sign of broken assignment. */
  readonly crossovers: number;
}

interface Outcome {
  readonly at: number;
  readonly revenue: number;
}

interface Unit {
  readonly variation: number;
  readonly firstAt: number;
}

interface ExperimentUnits {
  readonly keys: string[];
  readonly units: Map<string, Unit>;
  crossovers: number;
}

const DAY_MS = 86_400_000;

/**
 * Collects exposures from decision log records (every assignment in the experiment, unit = the hashed
 * attribute and value) and outcomes from events (orders by userId / anonymousId / profile, offer
 * conversions by decision id), then reads each experiment out: SRM, the metric per variation, delta-method
 * lift against the first variation (against `holdout` for the holdout), CUPED when units have pre-period
 * data, fixed and always-valid intervals.
 *
 * @example
 * const readouts = reportExperiments(decisionLog.scan({ sourceId }), events, { metric: 'conversion' });
 */
export function reportExperiments(decisions: Iterable<DecisionLogRecord>, events: Iterable<{ readonly event: SegmentEvent; readonly receivedAt: number }>, options: ExperimentReportOptions): ExperimentReadout[] {
  const experiments = new Map<string, ExperimentUnits>();
  const unitsOfDecision = new Map<string, string[]>();
  for (const record of decisions) {
    const units: string[] = [];
    for (const assignment of record.experiments) {
      if (!assignment.inExperiment || assignment.variationIndex < 0) continue;
      const unit = `${assignment.hashAttribute}:${assignment.hashValue}`;
      units.push(unit);
      let experiment = experiments.get(assignment.experimentKey);
      if (experiment === undefined) experiments.set(assignment.experimentKey, (experiment = { keys: [], units: new Map(), crossovers: 0 }));
      experiment.keys[assignment.variationIndex] ??= assignment.variationKey;
      const seen = experiment.units.get(unit);
      if (seen === undefined) experiment.units.set(unit, { variation: assignment.variationIndex, firstAt: record.timestamp });
      else {
        if (seen.variation !== assignment.variationIndex) experiment.crossovers++;
        if (record.timestamp < seen.firstAt) experiment.units.set(unit, { variation: seen.variation, firstAt: record.timestamp });
      }
    }
    if (units.length > 0) unitsOfDecision.set(record.decisionId, units);
  }

  const outcomes = new Map<string, Outcome[]>();
  const add = (unit: string, outcome: Outcome) => {
    const list = outcomes.get(unit);
    if (list) list.push(outcome);
    else outcomes.set(unit, [outcome]);
  };
  for (const { event, receivedAt } of events) {
    if (event.type !== 'track') continue;
    const name = (event as { event?: string }).event;
    if (name !== ORDER_EVENT && name !== OFFER_CONVERTED_EVENT) continue;
    const at = timeOf(event, receivedAt);
    const properties = ((event as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
    if (name === OFFER_CONVERTED_EVENT) {
      // Revenue is counted from orders only: an offer conversion usually is one of them.
      const decisionId = properties.decision_id;
      for (const unit of typeof decisionId === 'string' ? (unitsOfDecision.get(decisionId) ?? []) : []) add(unit, { at, revenue: 0 });
      continue;
    }
    const revenue = firstNumber(properties.revenue, properties.total, properties.value) ?? 0;
    const ids = event as { userId?: unknown; anonymousId?: unknown };
    const units = new Set<string>();
    if (typeof ids.userId === 'string') units.add(`userId:${ids.userId}`);
    if (typeof ids.anonymousId === 'string') units.add(`anonymousId:${ids.anonymousId}`);
    const profileId = options.profileIdOf?.(event);
    if (profileId !== undefined) units.add(`profileId:${profileId}`);
    for (const unit of units) add(unit, { at, revenue });
  }

  const preMs = options.prePeriodMs ?? 28 * DAY_MS;
  return [...experiments].map(([key, experiment]): ExperimentReadout => {
    const count = experiment.keys.length;
    const variations = Array.from({ length: count }, (_, i) => experiment.keys[i] ?? String(i));
    const holdout = count === 2 && variations[0] === 'holdout' && variations[1] === 'exposed';
    const y: number[][] = variations.map(() => []);
    const x: number[][] = variations.map(() => []);
    let withPre = 0;
    for (const [unit, { variation, firstAt }] of experiment.units) {
      let post = 0;
      let pre = 0;
      let converted = false;
      let convertedBefore = false;
      for (const outcome of outcomes.get(unit) ?? []) {
        if (outcome.at >= firstAt) {
          post += outcome.revenue;
          converted = true;
        } else if (outcome.at >= firstAt - preMs) {
          pre += outcome.revenue;
          convertedBefore = true;
        }
      }
      if (convertedBefore) withPre++;
      y[variation]?.push(options.metric === 'conversion' ? (converted ? 1 : 0) : post);
      x[variation]?.push(options.metric === 'conversion' ? (convertedBefore ? 1 : 0) : pre);
    }
    const data: VariationData[] = variations.map((name, i) => ({
      key: name,
      units: (y[i] as number[]).length,
      metrics: { [options.metric]: withPre > 0 ? summarizeWithCovariate(y[i] as number[], x[i] as number[]) : summarizeValues(y[i] as number[]) },
    }));
    const configured = options.weights?.get(key);
    const weights = configured !== undefined && configured.length === count ? configured : undefined;
    const base = { controlIndex: 0, ...(weights === undefined ? {} : { weights }) };
    const total = data.reduce((sum, v) => sum + v.units, 0);
    return {
      experiment: key,
      holdout,
      metric: options.metric,
      variations,
      weights: weights === undefined ? 'equal' : 'config',
      srmChecked: !(holdout && weights === undefined),
      fixed: analyzeExperiment(data, base),
      alwaysValid: analyzeExperiment(data, { ...base, sequential: { tuningSize: Math.max(2, total) } }),
      crossovers: experiment.crossovers,
    };
  });
}

function timeOf(event: SegmentEvent, receivedAt: number): number {
  const stamp = (event as { timestamp?: unknown }).timestamp;
  const ms = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  return Number.isFinite(ms) ? ms : receivedAt;
}

function firstNumber(...values: unknown[]): number | undefined {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

const pct = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%` : 'n/a');
const num = (value: number, digits = 4) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The read-outs as a person reads them in a terminal: SRM first, then each variation against control. */
export function formatExperimentReport(readouts: readonly ExperimentReadout[]): string {
  if (readouts.length === 0) return 'no experiment exposures in the decision log\n';
  const lines: string[] = [];
  for (const readout of readouts) {
    const { fixed, alwaysValid } = readout;
    lines.push(`${readout.holdout ? 'global holdout' : 'experiment'} ${readout.experiment} — ${readout.metric}`);
    const srm = fixed.srm;
    lines.push(
      !readout.srmChecked
        ? '  SRM not checked: the holdout fraction is in the decision config (pass --config)'
        : srm.mismatch
        ? `  ⚠ SAMPLE RATIO MISMATCH: χ²=${num(srm.chiSquare, 2)}, p=${srm.pValue.toExponential(2)} (expected ${srm.expected.map((e) => Math.round(e)).join('/')}) — do not trust these results`
        : `  SRM check ok: χ²=${num(srm.chiSquare, 2)}, p=${num(srm.pValue)}${readout.weights === 'equal' ? ' (assuming an equal split; pass --config for weights)' : ''}`,
    );
    if (readout.crossovers > 0) lines.push(`  ⚠ ${readout.crossovers} units were seen in more than one variation`);
    const metric = fixed.metrics[0];
    const sequential = alwaysValid.metrics[0];
    if (metric?.cuped) lines.push(`  CUPED on the pre-period: θ=${num(metric.cuped.theta)}, variance −${metric.cuped.varianceReduction.map((r) => `${(r * 100).toFixed(0)}%`).join('/')}`);
    metric?.variations.forEach((variation, i) => {
      const units = fixed.exposures[i]?.units ?? 0;
      const mean = variation.estimate ? num(variation.estimate.mean) : 'n/a';
      const lift = variation.lift;
      const always = sequential?.variations[i]?.lift;
      const liftText =
        lift === null ? '(control)' : lift.ok ? `lift ${pct(lift.relative.estimate)} [${pct(lift.relative.lower)}, ${pct(lift.relative.upper)}] p=${num(lift.pValue)}` : `lift n/a (${lift.reason})`;
      const alwaysText = always?.ok ? `; always-valid [${pct(always.relative.lower)}, ${pct(always.relative.upper)}]` : '';
      lines.push(`  ${variation.key.padEnd(12)} ${String(units).padStart(7)} units  mean ${mean}  ${liftText}${alwaysText}`);
    });
    lines.push('');
  }
  return lines.join('\n');
}
