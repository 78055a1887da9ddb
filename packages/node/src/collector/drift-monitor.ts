import {
  DEFAULT_DRIFT_THRESHOLDS,
  TailorError,
  binnedKsStatistic,
  getBinIndex,
  parseDriftReference,
  psiFromCounts,
  type DriftThresholds,
  type FeatureValues,
  type ReferenceBins,
  type SyncScorer,
} from '@tailor/core';
import { Gauge, type Registry } from 'prom-client';

/** The key of the score's bins in a model's `tailor.reference_bins` (see training/train.ts). */
const SCORE_KEY = 'score';
const REFERENCE_METADATA = 'tailor.reference_bins';
const DAY_MS = 24 * 60 * 60 * 1000;

/** A model to watch: its reference bins by feature name, plus the score's under `score`. */
export interface DriftMonitorModel {
  readonly id: string;
  readonly version: string;
  readonly referenceBins: Readonly<Record<string, ReferenceBins>>;
}

export interface DriftMonitorOptions {
  readonly models: readonly DriftMonitorModel[];
  /** PSI levels of `warn` and `alert`. Default 0.1 / 0.25. */
  readonly thresholds?: Partial<DriftThresholds>;
  /**
   * Values a feature needs in the window before its PSI is published: PSI over a handful of values is
   * mostly noise and would raise false alerts. Default 200.
   */
  readonly minCount?: number;
  /**
   * Counts cover the current window and the one before it; each window, the older one is dropped, so the
   * figures describe the last one to two windows of traffic. Default 24 hours.
   */
  readonly windowMs?: number;
  readonly clock?: { now(): number };
}

/** 0 ok, 1 warn, 2 alert, as the `tailor_model_drift_status` gauge reports it. */
export type DriftLevel = 0 | 1 | 2;

export interface DriftFigure {
  readonly name: string;
  readonly count: number;
  /** null until `minCount` values were seen. */
  readonly psi: number | null;
  /** KS at the reference bin edges (a lower bound of the exact statistic); null until `minCount`. */
  readonly ks: number | null;
  readonly level: DriftLevel | null;
}

export interface ModelDrift {
  readonly model: string;
  readonly version: string;
  readonly features: readonly DriftFigure[];
  readonly score: DriftFigure | null;
  /** The worst level of the features and the score; null while none has enough values. */
  readonly level: DriftLevel | null;
}

export interface DriftMonitor {
  /**
   * Counts one decision's input row (feature values by name; a missing one counts as missing) and the
   * score(s) the model gave. Cheap (a binary search per feature) and never throws: the decision service
   * calls it on the hot path.
   */
  observe(modelId: string, features: FeatureValues, scores?: number | ArrayLike<number>): void;
  /** PSI and KS of every watched model, feature and score over the current windows. */
  snapshot(): ModelDrift[];
}

interface Tracked {
  readonly name: string;
  readonly bins: ReferenceBins;
  /** Counts of the current and the previous window, `edges.length + 2` each (the last for missing). */
  current: Float64Array;
  previous: Float64Array;
}

interface WatchedModel {
  readonly id: string;
  readonly version: string;
  readonly features: readonly Tracked[];
  readonly score: Tracked | undefined;
}

/**
 * Watches live feature values and scores against each model's training distribution.
 *
 * @example
 * const monitor = createDriftMonitor({ models: driftModelsOf(source.scorers) });
 * registerDriftGauges(metrics.registry, monitor);
 * monitor.observe('propensity', features, scores); // from the decision service, per decision
 */
export function createDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  const thresholds = { ...DEFAULT_DRIFT_THRESHOLDS, ...options.thresholds };
  if (!(thresholds.warn >= 0 && thresholds.alert >= thresholds.warn && Number.isFinite(thresholds.alert))) {
    throw new TailorError('invalid_options', `createDriftMonitor: thresholds must satisfy 0 ≤ warn ≤ alert, got warn ${thresholds.warn}, alert ${thresholds.alert}`);
  }
  const minCount = options.minCount ?? 200;
  const windowMs = options.windowMs ?? DAY_MS;
  if (!(Number.isInteger(minCount) && minCount >= 1)) throw new TailorError('invalid_options', `createDriftMonitor: "minCount" must be an integer ≥ 1, got ${minCount}`);
  if (!(windowMs > 0)) throw new TailorError('invalid_options', `createDriftMonitor: "windowMs" must be > 0, got ${windowMs}`);
  const clock = options.clock ?? { now: () => Date.now() };
  const track = (name: string, bins: ReferenceBins): Tracked => ({ name, bins, current: new Float64Array(bins.edges.length + 2), previous: new Float64Array(bins.edges.length + 2) });

  const models = new Map<string, WatchedModel>();
  for (const model of options.models) {
    if (models.has(model.id)) throw new TailorError('invalid_options', `createDriftMonitor: model "${model.id}" is listed twice; give each version its own id`);
    const features = Object.keys(model.referenceBins)
      .filter((name) => name !== SCORE_KEY)
      .map((name) => track(name, model.referenceBins[name] as ReferenceBins));
    const scoreBins = Object.hasOwn(model.referenceBins, SCORE_KEY) ? model.referenceBins[SCORE_KEY] : undefined;
    models.set(model.id, { id: model.id, version: model.version, features, score: scoreBins && track(SCORE_KEY, scoreBins) });
  }

  let windowStart = clock.now();
  function rotate(): void {
    const now = clock.now();
    if (now - windowStart < windowMs) return;
    // Two windows or more without traffic: both are stale.
    const stale = now - windowStart >= 2 * windowMs;
    windowStart = now;
    for (const model of models.values()) {
      for (const tracked of model.score ? [...model.features, model.score] : model.features) {
        const old = tracked.previous;
        tracked.previous = stale ? old.fill(0) : tracked.current;
        tracked.current = stale ? tracked.current.fill(0) : old.fill(0);
      }
    }
  }

  const levelOf = (psi: number): DriftLevel => (psi >= thresholds.alert ? 2 : psi >= thresholds.warn ? 1 : 0);
  function figure(tracked: Tracked): DriftFigure {
    const counts = Array.from(tracked.current, (value, i) => value + (tracked.previous[i] as number));
    const count = counts.reduce((a, b) => a + b, 0);
    if (count < minCount) return { name: tracked.name, count, psi: null, ks: null, level: null };
    const psi = psiFromCounts(tracked.bins, counts).psi;
    const ks = binnedKsStatistic(tracked.bins, counts);
    return { name: tracked.name, count, psi, ks: Number.isNaN(ks) ? null : ks, level: levelOf(psi) };
  }

  return {
    observe(modelId, features, scores) {
      const model = models.get(modelId);
      if (model === undefined) return;
      try {
        rotate();
        for (let f = 0; f < model.features.length; f++) {
          const tracked = model.features[f] as Tracked;
          const current = tracked.current;
          const bin = getBinIndex(tracked.bins, featureValue(features, tracked.name));
          current[bin] = (current[bin] as number) + 1;
        }
        if (model.score === undefined || scores === undefined) return;
        const current = model.score.current;
        if (typeof scores === 'number') {
          const bin = getBinIndex(model.score.bins, Number.isFinite(scores) ? scores : Number.NaN);
          current[bin] = (current[bin] as number) + 1;
          return;
        }
        for (let i = 0; i < scores.length; i++) {
          const score = scores[i] as number;
          const bin = getBinIndex(model.score.bins, Number.isFinite(score) ? score : Number.NaN);
          current[bin] = (current[bin] as number) + 1;
        }
      } catch {
        // Monitoring must never fail a decision.
      }
    },
    snapshot() {
      rotate();
      return [...models.values()].map((model): ModelDrift => {
        const features = model.features.map(figure);
        const score = model.score ? figure(model.score) : null;
        let level: DriftLevel | null = null;
        for (const entry of score ? [...features, score] : features) {
          if (entry.level !== null && (level === null || entry.level > level)) level = entry.level;
        }
        return { model: model.id, version: model.version, features, score, level };
      });
    },
  };
}

/** A feature's value in a row, by its name with or without the `features.` prefix models may use; NaN when missing. */
function featureValue(features: FeatureValues, name: string): number {
  const other = name.startsWith('features.') ? name.slice('features.'.length) : `features.${name}`;
  const value = Object.hasOwn(features, name) ? features[name] : Object.hasOwn(features, other) ? features[other] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN;
}

/**
 * The models of a scorer map that carry reference bins (`tailor.reference_bins`, written by `tailor train`),
 * keyed as decide() keys them. Models without usable bins are listed in `skipped` with the reason.
 *
 * @example
 * const { models, skipped } = driftModelsOf(source.scorers);
 * for (const s of skipped) logger.warn(s, 'model not drift-monitored');
 */
export function driftModelsOf(scorers: ReadonlyMap<string, SyncScorer>): { models: DriftMonitorModel[]; skipped: { model: string; reason: string }[] } {
  const models: DriftMonitorModel[] = [];
  const skipped: { model: string; reason: string }[] = [];
  for (const [id, scorer] of scorers) {
    const raw = scorer.model.metadata[REFERENCE_METADATA];
    if (raw === undefined) {
      skipped.push({ model: id, reason: `no ${REFERENCE_METADATA} in the model's metadata` });
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      skipped.push({ model: id, reason: `${REFERENCE_METADATA} is not JSON: ${(error as Error).message}` });
      continue;
    }
    const parsed = parseDriftReference(json);
    if (!parsed.ok) {
      skipped.push({ model: id, reason: `${REFERENCE_METADATA} is invalid: ${parsed.issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}` });
      continue;
    }
    models.push({ id, version: scorer.model.version, referenceBins: parsed.reference });
  }
  return { models, skipped };
}

/**
 * Drift gauges, read at scrape time: `tailor_model_feature_psi{model,version,feature}`,
 * `tailor_model_feature_ks{…}`, `tailor_model_score_psi{model,version}`, `tailor_model_score_ks{…}` and
 * `tailor_model_drift_status{model,version}` (0 ok, 1 warn, 2 alert). A series appears once it has
 * `minCount` values.
 *
 * @example
 * registerDriftGauges(metrics.registry, monitor);
 */
export function registerDriftGauges(registry: Registry, monitor: DriftMonitor): void {
  const gauge = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, value: number) => void, drift: ModelDrift) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const drift of monitor.snapshot()) fill((labels, value) => this.set(labels, value), drift);
      },
    });
  const perFeature = (pick: (figure: DriftFigure) => number | null) => (set: (labels: Record<string, string>, value: number) => void, drift: ModelDrift) => {
    for (const feature of drift.features) {
      const value = pick(feature);
      if (value !== null) set({ model: drift.model, version: drift.version, feature: feature.name }, value);
    }
  };
  const perScore = (pick: (figure: DriftFigure) => number | null) => (set: (labels: Record<string, string>, value: number) => void, drift: ModelDrift) => {
    const value = drift.score ? pick(drift.score) : null;
    if (value !== null) set({ model: drift.model, version: drift.version }, value);
  };
  gauge('tailor_model_feature_psi', 'Population Stability Index of a model input against its training reference', ['model', 'version', 'feature'], perFeature((f) => f.psi));
  gauge('tailor_model_feature_ks', 'KS statistic (at the reference bin edges) of a model input against its training reference', ['model', 'version', 'feature'], perFeature((f) => f.ks));
  gauge('tailor_model_score_psi', 'Population Stability Index of the model score against its training reference', ['model', 'version'], perScore((f) => f.psi));
  gauge('tailor_model_score_ks', 'KS statistic (at the reference bin edges) of the model score against its training reference', ['model', 'version'], perScore((f) => f.ks));
  gauge('tailor_model_drift_status', 'Worst drift level of a model: 0 ok, 1 warn, 2 alert', ['model', 'version'], (set, drift) => {
    if (drift.level !== null) set({ model: drift.model, version: drift.version }, drift.level);
  });
}
