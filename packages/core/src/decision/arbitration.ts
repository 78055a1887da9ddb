import { OFFER_BATCHED, OFFER_NEEDED, type CompiledDecisionConfig, type CompiledOffer, type DecisionScratch } from './compile';
import type { FeatureValues, SyncScorer } from './types';

/**
 * How a model's input row is built, column by column, from its feature names:
 * - `features.<name>` or a bare `<name>`: the profile's feature value;
 * - `context.<path>`: a number (or boolean as 1/0) in the request context;
 * - `offer.tags.<tag>` / `offer.id.<id>`: 1 when the offer has that tag / id, else 0 (one-hot);
 * - `offer.<path>`: a number (or boolean) on the offer, e.g. `offer.value`, `offer.levers.seasonal`.
 * Anything missing or not a number reads as 0 and is reported (a missing lever is simply 0%).
 */
export interface FeaturePlan {
  readonly width: number;
  /** Columns that are the same for every candidate of a request. */
  readonly requestColumns: readonly RequestColumn[];
  /** Columns that depend only on the offer, and their values per offer index (filled on first use). */
  readonly offerColumns: readonly number[];
  readonly offerRows: Array<OfferRow | undefined>;
  readonly offerReaders: readonly ((offer: CompiledOffer) => number | undefined)[];
  readonly offerColumnNames: readonly string[];
  /** Input rows for every offer, reused between calls (a typed array this size costs µs to allocate). */
  readonly input: Float32Array;
  readonly shared: Float32Array;
  busy: boolean;
}

interface RequestColumn {
  readonly column: number;
  readonly name: string;
  readonly source: 'features' | 'context';
  /** Feature name, or the context path split on dots. */
  readonly key: string;
  readonly parts: readonly string[];
}

interface OfferRow {
  readonly values: Float32Array;
  readonly missing: readonly string[];
}

/** Plans a scorer's input once per (config, scorer); decide() looks it up in the compiled config. */
export function getFeaturePlan(config: CompiledDecisionConfig, scorer: SyncScorer): FeaturePlan {
  let plan = config.featurePlans.get(scorer);
  if (plan === undefined) {
    plan = buildFeaturePlan(scorer.model.featureNames, config.offers.length);
    config.featurePlans.set(scorer, plan);
  }
  return plan;
}

export function buildFeaturePlan(featureNames: readonly string[], offerCount: number): FeaturePlan {
  const requestColumns: RequestColumn[] = [];
  const offerColumns: number[] = [];
  const offerReaders: ((offer: CompiledOffer) => number | undefined)[] = [];
  const offerColumnNames: string[] = [];
  featureNames.forEach((name, column) => {
    if (name.startsWith('offer.')) {
      offerColumns.push(column);
      offerReaders.push(offerReader(name.slice('offer.'.length)));
      offerColumnNames.push(name);
    } else if (name.startsWith('context.')) {
      const parts = name.slice('context.'.length).split('.');
      requestColumns.push({ column, name, source: 'context', key: name, parts });
    } else {
      const key = name.startsWith('features.') ? name.slice('features.'.length) : name;
      requestColumns.push({ column, name, source: 'features', key, parts: [] });
    }
  });
  const width = featureNames.length;
  return {
    width,
    requestColumns,
    offerColumns,
    offerRows: new Array(offerCount),
    offerReaders,
    offerColumnNames,
    input: new Float32Array(offerCount * width),
    shared: new Float32Array(width),
    busy: false,
  };
}

function offerReader(path: string): (offer: CompiledOffer) => number | undefined {
  const [head, ...rest] = path.split('.');
  const tail = rest.join('.');
  if (head === 'tags' && rest.length > 0) return (offer) => (offer.offer.tags.includes(tail) ? 1 : 0);
  if (head === 'id' && rest.length > 0) return (offer) => (offer.id === tail ? 1 : 0);
  if (head === 'levers' && rest.length > 0) return (offer) => toNumber(offer.offer.levers?.[tail]) ?? 0;
  const parts = path.split('.');
  return (offer) => toNumber(readPath(offer.offer, parts));
}

/**
 * Scores every offer in `indices` with one batched call and writes the propensities into `out` (by offer
 * index). A row the model scores as NaN, ±Infinity or below 0 gets NaN, which decide() excludes. Returns
 * false when the scorer threw or returned too few values; `missing` collects unreadable feature names.
 */
export function scoreOffers(
  plan: FeaturePlan,
  scorer: SyncScorer,
  offers: readonly CompiledOffer[],
  indices: ArrayLike<number>,
  rows: number,
  features: FeatureValues,
  context: Readonly<Record<string, unknown>>,
  out: Float64Array,
  missing: Set<string>,
): boolean {
  const width = plan.width;
  // A scorer that decides again while scoring must not overwrite the rows it is reading.
  const reuse = !plan.busy && rows * width <= plan.input.length;
  const shared = reuse ? plan.shared.fill(0) : new Float32Array(width);
  for (const column of plan.requestColumns) {
    const value =
      column.source === 'features'
        ? Object.hasOwn(features, column.key)
          ? toNumber(features[column.key])
          : undefined
        : toNumber(readPath(context, column.parts));
    if (value === undefined) missing.add(column.name);
    else shared[column.column] = value;
  }
  const input = reuse ? plan.input.subarray(0, rows * width) : new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const offer = offers[indices[r] as number] as CompiledOffer;
    const base = r * width;
    // A plain loop: TypedArray.prototype.set costs more than copying a few floats.
    for (let c = 0; c < width; c++) input[base + c] = shared[c] as number;
    if (plan.offerColumns.length === 0) continue;
    const row = offerRow(plan, offer);
    for (let c = 0; c < plan.offerColumns.length; c++) input[base + (plan.offerColumns[c] as number)] = row.values[c] as number;
    for (let m = 0; m < row.missing.length; m++) missing.add(row.missing[m] as string);
  }
  let scores: Float32Array;
  if (reuse) plan.busy = true;
  try {
    scores = scorer.score(input, rows);
  } catch {
    return false;
  } finally {
    if (reuse) plan.busy = false;
  }
  if (!(scores && scores.length >= rows)) return false;
  for (let r = 0; r < rows; r++) {
    const p = scores[r] as number;
    out[indices[r] as number] = Number.isFinite(p) && p >= 0 ? p : Number.NaN;
  }
  return true;
}

function offerRow(plan: FeaturePlan, offer: CompiledOffer): OfferRow {
  // The first-use path is its own function: a closure here would allocate a context on every call.
  return plan.offerRows[offer.index] ?? buildOfferRow(plan, offer);
}

function buildOfferRow(plan: FeaturePlan, offer: CompiledOffer): OfferRow {
  const values = new Float32Array(plan.offerColumns.length);
  const missing: string[] = [];
  plan.offerReaders.forEach((read, c) => {
    const value = read(offer);
    if (value === undefined) missing.push(plan.offerColumnNames[c] as string);
    else values[c] = value;
  });
  const row = { values, missing };
  plan.offerRows[offer.index] = row;
  return row;
}

/**
 * The context weight of an offer in a placement: the product of the weights whose `when` matches.
 * `document` is the decision document with `offer` and `placement` set.
 */
export function contextWeightOf(offer: CompiledOffer, document: unknown, resolved: readonly unknown[], personalized: boolean): number {
  let weight = 1;
  for (let i = 0; i < offer.contextWeights.length; i++) {
    const entry = offer.contextWeights[i] as CompiledOffer['contextWeights'][number];
    if (!personalized && entry.personal) continue;
    if (entry.test(document, resolved)) weight *= entry.weight;
  }
  return weight;
}

function readPath(value: unknown, parts: readonly string[]): unknown {
  for (const part of parts) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

/**
 * Propensities of every offer flagged NEEDED in `scratch.offerState`, one batched call per model, written
 * into `scratch.propensity` (which holds the default propensity beforehand). `notes` gets the reasons each
 * model's offers carry; `models` the models that scored.
 */
export function scoreNeeded(
  config: CompiledDecisionConfig,
  scorers: ReadonlyMap<string, SyncScorer> | undefined,
  scratch: DecisionScratch,
  features: FeatureValues,
  context: Readonly<Record<string, unknown>>,
  notes: Map<string, string[]>,
  models: { id: string; version: string }[],
): void {
  const { offerState: state, propensity, indices } = scratch;
  for (let i = 0; i < config.offers.length; i++) {
    if (((state[i] as number) & (OFFER_NEEDED | OFFER_BATCHED)) !== OFFER_NEEDED) continue;
    const modelId = (config.offers[i] as CompiledOffer).modelId;
    if (modelId === undefined) continue;
    // One batch per model: every needed offer scored by it, from this one on.
    let rows = 0;
    for (let j = i; j < config.offers.length; j++) {
      if ((state[j] as number) & OFFER_NEEDED && (config.offers[j] as CompiledOffer).modelId === modelId) {
        indices[rows++] = j;
        state[j] = (state[j] as number) | OFFER_BATCHED;
      }
    }
    const scorer = scorers?.get(modelId);
    if (scorer === undefined) {
      notes.set(modelId, [`model-unavailable:${modelId}`]);
      continue;
    }
    const missing = new Set<string>();
    // On failure scoreOffers writes nothing, so these offers keep the default propensity.
    if (!scoreOffers(getFeaturePlan(config, scorer), scorer, config.offers, indices, rows, features, context, propensity, missing)) {
      notes.set(modelId, [`model-error:${modelId}`]);
      continue;
    }
    models.push({ id: modelId, version: scorer.model.version });
    notes.set(modelId, missing.size === 0 ? [`model:${modelId}`] : [`model:${modelId}`, `missing-features:${[...missing].join(',')}`]);
  }
}

/** The reasons a shown item carries about where its propensity came from. */
export function propensityReasons(offer: CompiledOffer, personalized: boolean, notes: ReadonlyMap<string, readonly string[]>): readonly string[] {
  if (!personalized) return ['non-personalized'];
  if (offer.modelId === undefined) return ['default-propensity'];
  return notes.get(offer.modelId) ?? ['default-propensity'];
}
