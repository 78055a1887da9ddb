import { DEFAULT_RETAIL_FEATURE_SPEC, applyEvent, createFeatureState, listFeatureNames, readFeatures, type FeatureSpec, type FeatureState } from '@tailor/core';
import type { PersonHistory, TimedEvent } from './people';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What a row predicts: `purchase` — the person places an order (any of the spec's order events) within
 * `days` after the snapshot; `offer-accept` — an `Offer Viewed` is followed by an `Offer Converted` with the
 * same `decision_id` within `days`.
 */
export type LabelSpec = { readonly kind: 'purchase' | 'offer-accept'; readonly days: number };

/** `purchase-7d`, `offer-accept-14d` → a {@link LabelSpec}; undefined for anything else. */
export function parseLabel(text: string): LabelSpec | undefined {
  const match = /^(purchase|offer-accept)-([1-9]\d{0,3})d$/.exec(text);
  return match ? { kind: match[1] as LabelSpec['kind'], days: Number(match[2]) } : undefined;
}

export const formatLabel = (label: LabelSpec): string => `${label.kind}-${label.days}d`;

export interface DatasetOptions {
  readonly label: LabelSpec;
  readonly spec?: FeatureSpec;
  /** Earliest snapshot (epoch ms). Default: the first event's time plus one step. */
  readonly fromMs?: number;
  /** The log's end: labels must be complete by then. Default: the last event's time. */
  readonly untilMs?: number;
  /** Days between snapshots (purchase labels). Default 7. */
  readonly stepDays?: number;
  /** Share of snapshots (purchase) or of the time range (offer-accept) held out for validation, the latest. Default 0.25. */
  readonly validationShare?: number;
}

/** Rows of one split: features row after row, labels, and each row's person and snapshot time. */
export interface DatasetRows {
  readonly featureNames: readonly string[];
  readonly x: Float32Array;
  readonly y: Uint8Array;
  readonly n: number;
  readonly at: Float64Array;
  readonly people: readonly string[];
}

export interface TrainingSet {
  readonly label: LabelSpec;
  readonly featureNames: readonly string[];
  readonly train: DatasetRows;
  readonly validation: DatasetRows;
  /** Snapshot times of each split (purchase), or the first and last row time (offer-accept). */
  readonly trainCutoffs: readonly number[];
  readonly validationCutoffs: readonly number[];
  /** Events from `fromMs` to `untilMs` were used for snapshots and labels; earlier ones for features only. */
  readonly window: { readonly fromMs: number; readonly untilMs: number };
}

export type BuildTrainingSetResult = { readonly ok: true; readonly set: TrainingSet } | { readonly ok: false; readonly reason: string };

/**
 * Builds point-in-time training rows from people's histories (see `groupEventsByPerson`). Features are the
 * spec's fixed columns ({@link listFeatureNames}) as `foldFeatures(eventsUpTo(t), spec, t)` gives them: only
 * events at or before the snapshot time `t` count, so nothing from the label period leaks into a row.
 *
 * - purchase-Nd: snapshots every `stepDays`, counted back from `untilMs − N days` (the last snapshot whose
 *   label is complete); a row per person with an event at or before the snapshot.
 * - offer-accept-Nd: a row per first `Offer Viewed` of each `decision_id`, features just before the view.
 *
 * The split is by time: validation takes the latest snapshots; training keeps only snapshots whose label
 * period ends before the first validation snapshot, so no training label sees the validation period.
 *
 * @example
 * const built = buildTrainingSet(people, { label: parseLabel('purchase-7d')!, untilMs: Date.parse('2026-06-01') });
 */
export function buildTrainingSet(people: readonly PersonHistory[], options: DatasetOptions): BuildTrainingSetResult {
  const spec = options.spec ?? DEFAULT_RETAIL_FEATURE_SPEC;
  const featureNames = listFeatureNames(spec);
  const horizonMs = options.label.days * DAY_MS;
  const stepMs = (options.stepDays ?? 7) * DAY_MS;
  const share = options.validationShare ?? 0.25;
  if (!(share > 0 && share < 1)) return { ok: false, reason: `validationShare must be between 0 and 1, got ${share}` };
  if (!(stepMs > 0)) return { ok: false, reason: `stepDays must be > 0, got ${options.stepDays}` };
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const person of people) {
    const events = person.events;
    if (events.length === 0) continue;
    first = Math.min(first, (events[0] as TimedEvent).timestamp);
    last = Math.max(last, (events[events.length - 1] as TimedEvent).timestamp);
  }
  if (!Number.isFinite(first)) return { ok: false, reason: 'no events with a person and a time: import or collect events first' };
  const untilMs = options.untilMs ?? last;
  const fromMs = options.fromMs ?? first + stepMs;
  const window = { fromMs, untilMs };
  return options.label.kind === 'purchase'
    ? purchaseSet(people, spec, featureNames, options.label, window, horizonMs, stepMs, share)
    : offerSet(people, spec, featureNames, options.label, window, horizonMs, share);
}

function purchaseSet(
  people: readonly PersonHistory[],
  spec: FeatureSpec,
  featureNames: string[],
  label: LabelSpec,
  window: { fromMs: number; untilMs: number },
  horizonMs: number,
  stepMs: number,
  share: number,
): BuildTrainingSetResult {
  const cutoffs: number[] = [];
  for (let cutoff = window.untilMs - horizonMs; cutoff >= window.fromMs; cutoff -= stepMs) cutoffs.unshift(cutoff);
  const validationCount = Math.max(1, Math.ceil(cutoffs.length * share));
  const validationCutoffs = cutoffs.slice(cutoffs.length - validationCount);
  const firstValidation = validationCutoffs[0];
  const trainCutoffs = firstValidation === undefined ? [] : cutoffs.filter((cutoff) => cutoff + horizonMs <= firstValidation);
  if (trainCutoffs.length === 0) {
    const days = (window.untilMs - window.fromMs) / DAY_MS;
    return {
      ok: false,
      reason: `the window (${days.toFixed(1)} days from ${iso(window.fromMs)} to ${iso(window.untilMs)}) holds ${cutoffs.length} snapshot(s) with a complete ${label.days}-day label; ` +
        'training needs some whose label ends before the validation snapshots: widen --since/--until or use a smaller step',
    };
  }
  const orders = new Set(spec.events.order);
  const train = createRowBuffer(featureNames);
  const validation = createRowBuffer(featureNames);
  const all = [...trainCutoffs.map((at) => ({ at, into: train })), ...validationCutoffs.map((at) => ({ at, into: validation }))];
  for (const person of people) {
    const state = createFeatureState(spec);
    const events = person.events;
    let applied = 0;
    for (const { at, into } of all) {
      applied = applyUpTo(state, spec, events, applied, at);
      if (applied === 0) continue; // not a customer yet
      let bought = 0;
      for (let k = applied; k < events.length; k++) {
        const event = events[k] as TimedEvent;
        if (event.timestamp > at + horizonMs) break;
        if (isTrack(event) && orders.has(event.event as string)) {
          bought = 1;
          break;
        }
      }
      into.push(readFeatures(state, spec, at), bought, at, person.personId);
    }
  }
  return {
    ok: true,
    set: { label, featureNames, train: train.finish(), validation: validation.finish(), trainCutoffs, validationCutoffs, window },
  };
}

interface OfferView {
  readonly at: number;
  readonly decisionId: string;
  readonly offerId: string | undefined;
}

function offerSet(
  people: readonly PersonHistory[],
  spec: FeatureSpec,
  featureNames: string[],
  label: LabelSpec,
  window: { fromMs: number; untilMs: number },
  horizonMs: number,
  share: number,
): BuildTrainingSetResult {
  const lastView = window.untilMs - horizonMs;
  const splitAt = window.fromMs + (1 - share) * (lastView - window.fromMs);
  const train = createRowBuffer(featureNames);
  const validation = createRowBuffer(featureNames);
  for (const person of people) {
    const events = person.events;
    const views: OfferView[] = [];
    const seen = new Set<string>();
    const conversions = new Map<string, number[]>();
    for (const event of events) {
      if (!isTrack(event)) continue;
      const decisionId = stringProperty(event, 'decision_id');
      if (decisionId === undefined) continue;
      const offerId = stringProperty(event, 'offer_id');
      const key = `${decisionId}\u0000${offerId ?? ''}`;
      if (event.event === 'Offer Viewed' && !seen.has(key)) {
        seen.add(key);
        views.push({ at: event.timestamp, decisionId, offerId });
      } else if (event.event === 'Offer Converted') {
        const list = conversions.get(key) ?? [];
        list.push(event.timestamp);
        conversions.set(key, list);
      }
    }
    const state = createFeatureState(spec);
    let applied = 0;
    for (const view of views) {
      if (view.at < window.fromMs || view.at > lastView) continue;
      const into = view.at >= splitAt ? validation : view.at + horizonMs <= splitAt ? train : undefined;
      if (into === undefined) continue; // its label period crosses into validation
      // The decision was made before the view was recorded: features as of just before it.
      applied = applyUpTo(state, spec, events, applied, view.at - 1);
      const converted = (conversions.get(`${view.decisionId}\u0000${view.offerId ?? ''}`) ?? []).some((at) => at >= view.at && at <= view.at + horizonMs);
      into.push(readFeatures(state, spec, view.at - 1), converted ? 1 : 0, view.at, person.personId);
    }
  }
  const trainRows = train.finish();
  const validationRows = validation.finish();
  if (trainRows.n === 0 || validationRows.n === 0) {
    return {
      ok: false,
      reason: `found ${trainRows.n} training and ${validationRows.n} validation offer views with a decision_id between ${iso(window.fromMs)} and ${iso(lastView)}; ` +
        'offer-accept labels need "Offer Viewed" events (with properties.decision_id) spread over the window',
    };
  }
  return {
    ok: true,
    set: {
      label,
      featureNames,
      train: trainRows,
      validation: validationRows,
      trainCutoffs: [window.fromMs, splitAt - horizonMs],
      validationCutoffs: [splitAt, lastView],
      window,
    },
  };
}

/** Applies `events[from…]` with time <= `at` to the state; returns the index of the first event not applied. */
function applyUpTo(state: FeatureState, spec: FeatureSpec, events: readonly TimedEvent[], from: number, at: number): number {
  let k = from;
  for (; k < events.length && (events[k] as TimedEvent).timestamp <= at; k++) applyEvent(state, events[k] as TimedEvent, spec);
  return k;
}

function isTrack(event: TimedEvent): boolean {
  return event.type === undefined || event.type === 'track';
}

function stringProperty(event: TimedEvent, name: string): string | undefined {
  const value = event.properties?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));

/** Rows appended into growing typed arrays (a million rows of 40 features is 160 MB as float32, 320 MB as doubles). */
function createRowBuffer(featureNames: readonly string[]) {
  const d = featureNames.length;
  let x = new Float32Array(1024 * d);
  let y = new Uint8Array(1024);
  let at = new Float64Array(1024);
  const people: string[] = [];
  let n = 0;
  return {
    push(values: Readonly<Record<string, number>>, label: number, time: number, person: string) {
      if (n === y.length) {
        const grow = <T extends Float32Array | Uint8Array | Float64Array>(array: T, size: number): T => {
          const next = new (array.constructor as new (length: number) => T)(size);
          next.set(array);
          return next;
        };
        x = grow(x, x.length * 2);
        y = grow(y, y.length * 2);
        at = grow(at, at.length * 2);
      }
      for (let j = 0; j < d; j++) x[n * d + j] = values[featureNames[j] as string] ?? 0;
      y[n] = label;
      at[n] = time;
      people.push(person);
      n++;
    },
    finish(): DatasetRows {
      return { featureNames, x: x.slice(0, n * d), y: y.slice(0, n), n, at: at.slice(0, n), people };
    },
  };
}
