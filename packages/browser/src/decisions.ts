import {
  EMPTY_HISTORY,
  OUTCOME_EVENTS,
  assignExperiments,
  createConditionMatcher,
  compileDecisionConfig,
  decideWithCandidates,
  loadCompactModel,
  recordOutcome,
  toDecisionLogRecord,
  trimDecisionLogRecord,
  type CompiledDecisionConfig,
  type DecisionConfig,
  type DecisionResponse,
  type Experiment,
  type ExperimentAssignment,
  type Holdout,
  type InteractionHistory,
  type ModelRef,
  type OutgoingEvent,
  type Platform,
  type Scorer,
  type StickyAssignments,
  type SyncScorer,
} from '@tailor/core';
import type { TailorClient } from './client';
import { IDLE_PLACEMENT, type OfferItem, type OutcomeInput, type PlacementState, type TailorDecisions } from './decisions-types';
import { createDeviceFeatures, type DeviceFeatures } from './device-features';
import { openDeviceStore, type DeviceStore } from './device-store';

export { IDLE_PLACEMENT, type OfferItem, type OutcomeInput, type OutcomeType, type PlacementState, type PlacementStatus, type TailorDecisions } from './decisions-types';

export interface DecisionsOptions {
  /**
   * Where decisions are made. `auto` (default): on the device once the decision config and its models are
   * loaded, on the collector (`POST /v1/decide`) until then or when a model cannot run here.
   */
  readonly mode?: 'auto' | 'device' | 'server';
  /** How long a cached decision config is used without asking the collector again. Default 5 minutes. */
  readonly configTtlMs?: number;
  /**
   * Loads a model from its ONNX file when the collector serves no compact form of it (an older collector,
   * or a model the compact form cannot express): pass `createScorer` from `@tailor/browser/onnx`. Only
   * synchronous scorers decide on the device (linear and tree models); offers scored by any other model are
   * decided by the collector, as they are without this option. The default keeps the ONNX reader out of
   * the bundle: models arrive in the compact JSON form from `GET /v1/models/:id/compact`.
   */
  readonly createScorer?: (bytes: Uint8Array) => Promise<Scorer>;
  /** Re-decide placements in use this long after the on-device profile changed. Default 50 ms. */
  readonly redecideDelayMs?: number;
}

/** A model as the collector publishes it: the ONNX file at `url`, and its compact form at `compactUrl` when it has one. */
type PublishedModel = ModelRef & { readonly compactUrl?: string };

interface Published {
  readonly version: string;
  readonly hash: string;
  readonly config: DecisionConfig & { readonly experiments?: readonly Experiment[]; readonly holdout?: Holdout; readonly models: readonly PublishedModel[] };
}

interface Loaded {
  readonly published: Published;
  readonly compiled: CompiledDecisionConfig;
  readonly scorers: ReadonlyMap<string, SyncScorer>;
  /** Models that could not be loaded here: offers scored by them go to the server. */
  readonly missingModels: ReadonlySet<string>;
}

interface Usage {
  readonly placementId: string;
  readonly context: Readonly<Record<string, unknown>> | undefined;
  state: PlacementState;
  running: Promise<PlacementState> | undefined;
}

const CONFIG_KEY = 'decision-config';
const HISTORY_KEY = 'interactions';
const STICKY_KEY = 'sticky';
const DEFAULT_TTL_MS = 5 * 60_000;

/**
 * Next-best offers for a browser client: decides on the device from the collector's decision config (cached
 * in IndexedDB with a TTL, refreshed in the background, ETag-aware) and its models, with the person's
 * on-device features and contact history; falls back to the collector. Outcomes are tracked as `Offer …`
 * events carrying the decision id. Placements in use are decided again when the person does something that
 * changes their features, so offers follow behaviour within a page view.
 *
 * @example
 * const decisions = createDecisions(tailor);
 * const hero = await decisions.decide('home-hero', { page: 'home' });
 * decisions.recordOutcome({ decisionId: hero.decisionId!, placementId: 'home-hero', offerId: hero.offers[0]!.offerId, type: 'impression' });
 */
export function createDecisions(client: TailorClient<any>, options: DecisionsOptions = {}): TailorDecisions {
  const platform = client.platform;
  const { logger } = platform;
  const now = () => platform.clock.now();
  const mode = options.mode ?? 'auto';
  const ttl = options.configTtlMs ?? DEFAULT_TTL_MS;
  const listeners = new Set<() => void>();
  const usages = new Map<string, Usage>();
  let loaded: Loaded | undefined;
  let store: DeviceStore | undefined;
  let history: InteractionHistory = EMPTY_HISTORY;
  let sticky: StickyAssignments = {};
  let assignments: readonly ExperimentAssignment[] = [];
  let features: DeviceFeatures = createDeviceFeatures(undefined);
  /** Events seen before the saved device state is loaded; applied on top of it. */
  let early: OutgoingEvent[] | undefined = [];
  let redecideTimer: unknown;
  let closed = false;

  const notify = () => {
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        logger.warn({ error }, 'tailor: a decisions subscriber threw');
      }
    }
  };
  const personalization = () => client.getSnapshot().consent.purposes.personalization === true;
  const key = (placementId: string, context: Readonly<Record<string, unknown>> | undefined) => `${placementId}\u0000${context === undefined ? '' : stableJson(context)}`;

  /** A request to the collector: `path` is on its endpoint when it starts with `/`, else a full URL. */
  async function request(path: string, init: { method: 'GET' | 'POST'; body?: string; headers?: Record<string, string> }) {
    const { endpoint, writeKey } = client.connection;
    return platform.transport.send({
      url: path.startsWith('/') ? endpoint + path : path,
      method: init.method,
      headers: { authorization: `Basic ${btoa(`${writeKey}:`)}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  }

  /** Compiles a published config and loads its models (from the device cache when the hash matches). */
  async function prepare(published: Published): Promise<Loaded> {
    const compiled = compileDecisionConfig(published.config, { hash: published.hash });
    const scorers = new Map<string, SyncScorer>();
    const missingModels = new Set<string>();
    for (const ref of published.config.models) {
      try {
        const scorer = await loadScorer(ref);
        if (scorer !== undefined) scorers.set(ref.id, scorer);
        else missingModels.add(ref.id);
      } catch (error) {
        logger.warn({ error, model: ref.id }, 'tailor: could not load a model; its offers are decided by the collector');
        missingModels.add(ref.id);
      }
    }
    return { published, compiled, scorers, missingModels };
  }

  /** The compact form first (no ONNX reader on the device), then the ONNX file through `createScorer` if given. */
  async function loadScorer(ref: PublishedModel): Promise<SyncScorer | undefined> {
    if (ref.compactUrl !== undefined) {
      const loaded = loadCompactModel(await compactModel(ref.id, ref.compactUrl, ref.sha256));
      if (loaded.ok) return loaded.scorer;
      logger.info({ model: ref.id, error: loaded.error }, 'tailor: the compact form of a model could not be loaded');
    }
    if (options.createScorer === undefined) return undefined;
    const bytes = await modelBytes(ref.id, ref.url, ref.sha256);
    const scorer = bytes === undefined ? undefined : await options.createScorer(bytes);
    // decide() needs synchronous scorers; onnxruntime models go to the server.
    return scorer?.sync === true ? (scorer as SyncScorer) : undefined;
  }

  /** A model's compact form (JSON), from the device cache when the model's hash matches. */
  async function compactModel(id: string, url: string, sha256: string | undefined): Promise<unknown> {
    const cacheKey = `compact:${id}:${sha256 ?? ''}`;
    const cached = sha256 === undefined ? undefined : await store?.getJson(cacheKey);
    if (cached !== undefined) return cached;
    const response = await request(url, { method: 'GET' });
    if (response.status !== 200) return undefined;
    const model: unknown = JSON.parse(await response.text());
    if (sha256 !== undefined) await store?.setJson(cacheKey, model);
    return model;
  }

  async function modelBytes(id: string, url: string | undefined, sha256: string | undefined): Promise<Uint8Array | undefined> {
    const cacheKey = `model:${id}:${sha256 ?? ''}`;
    const cached = sha256 === undefined ? undefined : await store?.getBytes(cacheKey);
    if (cached !== undefined) return cached;
    if (url === undefined) return undefined;
    const { endpoint, writeKey } = client.connection;
    // Model files are binary: fetch them directly (the platform transport reads text).
    const response = await fetch(url.startsWith('/') ? endpoint + url : url, { headers: { authorization: `Basic ${btoa(`${writeKey}:`)}` }, credentials: 'omit' });
    if (!response.ok) return undefined;
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (sha256 !== undefined) await store?.setBytes(cacheKey, bytes);
    return bytes;
  }

  /** Loads the config: the device cache first (stale-while-revalidate), the collector when missing or stale. */
  async function loadConfig(force: boolean): Promise<void> {
    const cached = await store?.getJson<{ etag: string; fetchedAt: number; published: Published }>(CONFIG_KEY);
    if (cached !== undefined && loaded?.published.hash !== cached.published.hash) {
      loaded = await prepare(cached.published);
      reassign();
    }
    const fresh = cached !== undefined && now() - cached.fetchedAt < ttl;
    if (fresh && !force) return;
    const revalidate = (async () => {
      const response = await request('/v1/decision-config', { method: 'GET', ...(cached ? { headers: { 'if-none-match': cached.etag } } : {}) });
      if (response.status === 304 && cached !== undefined) {
        await store?.setJson(CONFIG_KEY, { ...cached, fetchedAt: now() });
        return;
      }
      if (response.status !== 200) throw new Error(`GET /v1/decision-config answered ${response.status}`);
      const published = JSON.parse(await response.text()) as Published;
      const etag = response.header('etag') ?? `"${published.hash}"`;
      const changed = loaded !== undefined && loaded.published.hash !== published.hash;
      loaded = await prepare(published);
      reassign();
      await store?.setJson(CONFIG_KEY, { etag, fetchedAt: now(), published });
      if (changed) redecideAll();
    })();
    if (cached === undefined || force) await revalidate;
    else void revalidate.catch((error: unknown) => logger.info({ error }, 'tailor: decision config refresh failed; using the cached one'));
  }

  const ready = (async () => {
    store = await openDeviceStore(`tailor-decisions:${client.connection.writeKey}`);
    if (store !== undefined) {
      history = (await store.getJson<InteractionHistory>(HISTORY_KEY)) ?? EMPTY_HISTORY;
      sticky = (await store.getJson<StickyAssignments>(STICKY_KEY)) ?? {};
      features = createDeviceFeatures(await store.getJson(DeviceFeaturesKey));
    }
    const pending = early ?? [];
    early = undefined;
    for (const event of pending) features.apply(event);
    if (pending.length > 0) void store?.setJson(DeviceFeaturesKey, features.state());
    if (mode !== 'server') await loadConfig(false);
  })().catch((error: unknown) => {
    early = undefined;
    logger.info({ error }, 'tailor: on-device decisions unavailable; the collector decides');
  });

  const matches = createConditionMatcher();

  function units(): Record<string, string> {
    const snapshot = client.getSnapshot();
    return { anonymousId: snapshot.anonymousId, ...(snapshot.userId === undefined ? {} : { userId: snapshot.userId }) };
  }

  function reassign(): void {
    if (loaded === undefined) return;
    const config = loaded.published.config;
    const before = JSON.stringify(sticky);
    assignments = assignExperiments(config.experiments ?? [], units(), { sticky, ...(config.holdout === undefined ? {} : { holdout: config.holdout }), matches, doc: { context: {} } });
    if (JSON.stringify(sticky) !== before) void store?.setJson(STICKY_KEY, sticky);
    notify();
  }

  function decideOnDevice(placementId: string, context: Readonly<Record<string, unknown>>): DecisionResponse | undefined {
    if (loaded === undefined || mode === 'server') return undefined;
    const placementOffers = loaded.published.config.offers.filter((offer) => offer.placements.includes(placementId));
    if (placementOffers.some((offer) => offer.modelId !== undefined && loaded?.missingModels.has(offer.modelId))) return undefined;
    const allowed = personalization();
    const snapshot = client.getSnapshot();
    const request = { decisionId: platform.ids.uuid(), placements: [{ id: placementId }], context: { channel: 'web', ...context }, consent: { personalization: allowed }, now: now() };
    const profileId = features.personOf(snapshot);
    const { response, candidates } = decideWithCandidates(request, {
      config: loaded.compiled,
      ...(allowed ? { profile: { id: profileId, features: features.read(now(), snapshot) }, history } : {}),
      scorers: loaded.scorers,
      assignments,
    });
    // The collector's decision log must hold device decisions too (off-policy evaluation reads it): it
    // travels as an event, under the same measurement consent as every other event.
    client.track(DECISION_LOGGED, { record: trimDecisionLogRecord(toDecisionLogRecord(request, response, candidates, allowed ? { profileId } : {})) });
    return response;
  }

  async function decideOnServer(placementId: string, context: Readonly<Record<string, unknown>>): Promise<DecisionResponse & { placements: readonly { items: readonly OfferItem[] }[] }> {
    const snapshot = client.getSnapshot();
    const body = { anonymousId: snapshot.anonymousId, ...(snapshot.userId === undefined ? {} : { userId: snapshot.userId }), placements: [{ id: placementId }], context: { channel: 'web', ...context }, consent: { personalization: personalization() } };
    const response = await request('/v1/decide', { method: 'POST', body: JSON.stringify(body) });
    if (response.status !== 200) throw new Error(`POST /v1/decide answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    return JSON.parse(await response.text()) as never;
  }

  function toState(response: Pick<DecisionResponse, 'decisionId' | 'placements' | 'policy'>, source: PlacementState['source']): PlacementState {
    const placement = response.placements[0];
    const offers = (placement?.items ?? []).map((item) => ({ offerId: item.offerId, rank: item.rank, score: item.score, selectionProbability: item.selectionProbability, reasons: item.reasons, creative: (item.creative ?? {}) as Readonly<Record<string, unknown>> }));
    const reasons = [response.policy?.mode ?? 'personalized', ...(placement?.reason === undefined ? [] : [placement.reason])];
    return Object.freeze({ status: 'ready', offers, decisionId: response.decisionId, reasons, error: undefined, source });
  }

  function defaultsState(placementId: string, error: Error): PlacementState {
    const config = loaded?.published.config;
    const ids = config?.defaults[placementId] ?? [];
    const offers = ids.flatMap((id, index) => {
      const offer = config?.offers.find((candidate) => candidate.id === id);
      return offer === undefined ? [] : [{ offerId: id, rank: index + 1, score: 0, selectionProbability: 1, reasons: ['default'], creative: (offer.creative ?? {}) as Readonly<Record<string, unknown>> }];
    });
    return Object.freeze({ status: 'error', offers, decisionId: undefined, reasons: ['error'], error, source: offers.length > 0 ? 'default' : undefined });
  }

  async function run(usage: Usage): Promise<PlacementState> {
    const context = usage.context ?? {};
    try {
      await ready;
      const local = decideOnDevice(usage.placementId, context);
      usage.state = local !== undefined ? toState(local, 'device') : toState(await decideOnServer(usage.placementId, context), 'server');
    } catch (error) {
      logger.warn({ error, placement: usage.placementId }, 'tailor: decision failed; showing the defaults');
      usage.state = defaultsState(usage.placementId, error instanceof Error ? error : new Error(String(error)));
    }
    notify();
    return usage.state;
  }

  function start(usage: Usage): Promise<PlacementState> {
    if (usage.state.status !== 'loading') {
      // Keep showing the last offers while deciding again: no flash of empty slots.
      usage.state = Object.freeze({ ...usage.state, status: 'loading' });
      notify();
    }
    const running = run(usage).finally(() => {
      if (usage.running === running) usage.running = undefined;
    });
    usage.running = running;
    return running;
  }

  /** Decides again every placement in use; one being decided right now will see the change anyway. */
  function redecideAll(): void {
    for (const usage of usages.values()) if (usage.state.status !== 'idle' && usage.running === undefined) void start(usage);
  }

  let featuresChanged = false;
  const stopEvents = client.onEvent((event) => {
    if (closed || !personalization()) return;
    if (early !== undefined) {
      early.push(event);
      return;
    }
    // Identify and alias change the device graph (who is who) without changing features: saved all the same.
    featuresChanged = features.apply(event) || featuresChanged;
    if (redecideTimer !== undefined) return;
    redecideTimer = platform.timers.setTimeout(() => {
      redecideTimer = undefined;
      void store?.setJson(DeviceFeaturesKey, features.state());
      if (!featuresChanged) return;
      featuresChanged = false;
      redecideAll();
    }, options.redecideDelayMs ?? 50);
  });
  const stopClient = client.subscribe(() => {
    // A login or logout changes who the person is: assignments follow.
    const snapshot = client.getSnapshot();
    const identity = `${snapshot.anonymousId}\u0000${snapshot.userId ?? ''}\u0000${snapshot.consent.purposes.personalization}`;
    if (identity !== lastIdentity) {
      lastIdentity = identity;
      reassign();
      redecideAll();
    }
  });
  let lastIdentity = `${client.getSnapshot().anonymousId}\u0000${client.getSnapshot().userId ?? ''}\u0000${client.getSnapshot().consent.purposes.personalization}`;

  return {
    decide(placementId, context) {
      const id = key(placementId, context);
      let usage = usages.get(id);
      if (usage === undefined) {
        usage = { placementId, context, state: IDLE_PLACEMENT, running: undefined };
        usages.set(id, usage);
      }
      return usage.running ?? start(usage);
    },
    getPlacement(placementId, context) {
      return usages.get(key(placementId, context))?.state ?? IDLE_PLACEMENT;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    recordOutcome(outcome: OutcomeInput) {
      try {
        client.track(OUTCOME_EVENTS[outcome.type], {
          decision_id: outcome.decisionId,
          offer_id: outcome.offerId,
          placement_id: outcome.placementId,
          ...(outcome.value === undefined ? {} : { value: outcome.value }),
        });
        if (outcome.type === 'impression' || outcome.type === 'dismiss') {
          history = recordOutcome(history, { type: outcome.type, offerId: outcome.offerId, placementId: outcome.placementId, channel: 'web' }, now());
          void store?.setJson(HISTORY_KEY, history);
        }
        // A dismissed offer should go now; an impression must not swap the offer the person is looking at.
        if (outcome.type === 'dismiss') {
          for (const usage of usages.values()) if (usage.placementId === outcome.placementId) void start(usage);
        }
      } catch (error) {
        logger.warn({ error }, 'tailor: could not record an outcome');
      }
    },
    getExperiment(experimentKey) {
      return assignments.find((assignment) => assignment.experimentKey === experimentKey);
    },
    async refresh() {
      await ready;
      await loadConfig(true).catch((error: unknown) => logger.info({ error }, 'tailor: decision config refresh failed'));
      redecideAll();
    },
    close() {
      closed = true;
      stopEvents();
      stopClient();
      if (redecideTimer !== undefined) platform.timers.clearTimeout(redecideTimer);
      listeners.clear();
    },
  };
}

const DeviceFeaturesKey = 'features';
/** The event that carries a device decision's log record to the collector. */
export const DECISION_LOGGED = 'Decision Logged';

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` are the same placement context. */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

export type { Platform };
