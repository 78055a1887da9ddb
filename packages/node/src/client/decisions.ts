import {
  EMPTY_HISTORY,
  TailorError,
  assignExperiments,
  createConditionMatcher,
  compileDecisionConfig,
  decide,
  loadModel,
  type CompiledDecisionConfig,
  type DecisionConfig,
  type Experiment,
  type ExperimentAssignment,
  type Holdout,
  type Platform,
  type SyncScorer,
} from '@tailor/core';
import { profileFeatures } from '../collector/features';
import type { Profile } from '../collector/types';
import { createNodePlatform } from '../node-platform';

export interface DecisionClientOptions {
  /** The collector's origin, e.g. `https://t.shop.example`. */
  readonly endpoint: string;
  /**
   * A source secret key: in-process decisions then read the person's profile (`GET /v1/profiles/:id`) for
   * features, contact history and the resolved profile id that experiments hash. With only a write key,
   * `local` decisions use no profile (context rules only) — use `remote` for personalized ones.
   */
  readonly secretKey?: string;
  readonly writeKey?: string;
  /** `local` (default with a secret key): decide in this process from the synced config and models. `remote`: `POST /v1/decide`. */
  readonly mode?: 'local' | 'remote';
  /** How often the decision config is checked for a new version (ETag), in the background. Default 30 s. */
  readonly refreshMs?: number;
  /** How long a person's profile is reused. Default 2 s: fresh enough to follow behaviour, cheap for bursts. */
  readonly profileTtlMs?: number;
  /**
   * Decisions cache for repeated identical requests (digital signage, push sends): a decision younger than
   * `ttlMs` is reused; one younger than `ttlMs + staleMs` is served while a new one is made in the background.
   * Off by default (every call decides).
   */
  readonly cache?: { readonly ttlMs: number; readonly staleMs?: number; readonly maxEntries?: number };
  readonly platform?: Partial<Platform>;
}

export interface DecideCall {
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly placements: ReadonlyArray<{ readonly id: string; readonly slots?: number }>;
  readonly context?: Readonly<Record<string, unknown>>;
  /** Without personalization consent no profile is read. Default granted. */
  readonly consent?: { readonly personalization: boolean };
}

export interface DecisionItemResult {
  readonly offerId: string;
  readonly rank: number;
  readonly score: number;
  readonly selectionProbability: number;
  readonly reasons: readonly string[];
  readonly creative: unknown;
}

export interface DecideResult {
  readonly decisionId: string;
  readonly profileId?: string;
  readonly placements: ReadonlyArray<{ readonly placementId: string; readonly items: readonly DecisionItemResult[]; readonly reason?: string }>;
  readonly experiments: readonly ExperimentAssignment[];
  readonly ttlMs: number;
  /** `local`, `remote`, or `cache` / `stale-cache` when the cache answered. */
  readonly source: 'local' | 'remote' | 'cache' | 'stale-cache';
}

export interface DecisionClientStats {
  readonly decisions: number;
  readonly cacheHits: number;
  readonly staleHits: number;
  readonly cacheMisses: number;
  /** (hits + stale hits) / lookups; 0 before the first lookup. */
  readonly hitRate: number;
  readonly configVersion: string | undefined;
  readonly configRefreshes: number;
  readonly lastError?: string;
}

export interface DecisionClient {
  /**
   * Decides. In `local` mode a profile that cannot be fetched makes a non-personalized decision (the error is in
   * `stats().lastError`). Rejects only when there is nothing to decide with: no config could be loaded yet, or
   * the collector is unreachable in `remote` mode.
   */
  decide(call: DecideCall): Promise<DecideResult>;
  stats(): DecisionClientStats;
  /** Stops the background refresh. */
  close(): void;
}

interface Loaded {
  readonly version: string;
  readonly hash: string;
  readonly etag: string;
  readonly config: DecisionConfig & { readonly experiments?: readonly Experiment[]; readonly holdout?: Holdout };
  readonly compiled: CompiledDecisionConfig;
  readonly scorers: ReadonlyMap<string, SyncScorer>;
  /** Offers whose model cannot run in this process: requests touching them are decided remotely. */
  readonly remoteOffers: ReadonlySet<string>;
}

/**
 * Server-side next-best offers for backends: email and push services, digital signage, call-centre screens.
 * In `local` mode it keeps the collector's decision config and models in memory (refreshed in the background
 * with ETags) and decides in process with core's `decide()`, reading the person's profile from the collector
 * (cached briefly); experiments hash the resolved profile id, so web, app, POS and email see the same variation.
 *
 * @example
 * const decisions = createDecisionClient({ endpoint: 'https://t.shop.example', secretKey: process.env.TAILOR_SECRET_KEY });
 * const { placements } = await decisions.decide({ userId: 'u-42', placements: [{ id: 'email-hero' }], context: { channel: 'email' } });
 */
export function createDecisionClient(options: DecisionClientOptions): DecisionClient {
  if (typeof options?.endpoint !== 'string' || !/^https?:\/\/[^/]/i.test(options.endpoint)) {
    throw new TailorError('invalid_options', `createDecisionClient: "endpoint" must be the collector's http(s) origin, got ${JSON.stringify(options?.endpoint)}`);
  }
  const key = options.secretKey ?? options.writeKey;
  if (typeof key !== 'string' || key.length === 0) throw new TailorError('invalid_options', 'createDecisionClient: "secretKey" (or "writeKey") is required');
  const mode = options.mode ?? (options.secretKey === undefined ? 'remote' : 'local');
  if (mode !== 'local' && mode !== 'remote') throw new TailorError('invalid_options', `createDecisionClient: "mode" must be "local" or "remote", got ${JSON.stringify(mode)}`);
  const cache = options.cache;
  if (cache !== undefined && !(cache.ttlMs > 0)) throw new TailorError('invalid_options', 'createDecisionClient: "cache.ttlMs" must be > 0');
  const platform = createNodePlatform(options.platform);
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const refreshMs = options.refreshMs ?? 30_000;
  const profileTtlMs = options.profileTtlMs ?? 2_000;
  const now = () => platform.clock.now();

  let loaded: Loaded | undefined;
  let loading: Promise<void> | undefined;
  let refreshTimer: unknown;
  let closed = false;
  const profiles = new Map<string, { at: number; profile: Profile | undefined }>();
  const cached = new Map<string, { at: number; result: DecideResult; refreshing: boolean }>();
  const counters = { decisions: 0, cacheHits: 0, staleHits: 0, cacheMisses: 0, configRefreshes: 0, lastError: undefined as string | undefined };

  async function get(path: string, headers: Record<string, string> = {}) {
    return platform.transport.send({ url: endpoint + path, method: 'GET', headers: { authorization, ...headers } });
  }

  async function refresh(): Promise<void> {
    const response = await get('/v1/decision-config', loaded === undefined ? {} : { 'if-none-match': loaded.etag });
    if (response.status === 304) return;
    if (response.status !== 200) throw new Error(`GET /v1/decision-config answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    const published = JSON.parse(await response.text()) as { version: string; hash: string; config: Loaded['config'] };
    const scorers = new Map<string, SyncScorer>();
    const unsupported = new Set<string>();
    for (const ref of published.config.models) {
      if (ref.url === undefined) {
        unsupported.add(ref.id);
        continue;
      }
      const modelResponse = await fetch(ref.url.startsWith('/') ? endpoint + ref.url : ref.url, { headers: { authorization } });
      const result = modelResponse.ok ? loadModel(new Uint8Array(await modelResponse.arrayBuffer())) : undefined;
      if (result?.ok) scorers.set(ref.id, result.scorer);
      else unsupported.add(ref.id);
    }
    const remoteOffers = new Set(published.config.offers.filter((offer) => offer.modelId !== undefined && unsupported.has(offer.modelId)).map((offer) => offer.id));
    loaded = {
      version: published.version,
      hash: published.hash,
      etag: response.header('etag') ?? `"${published.hash}"`,
      config: published.config,
      compiled: compileDecisionConfig(published.config, { hash: published.hash }),
      scorers,
      remoteOffers,
    };
    counters.configRefreshes++;
    cached.clear();
  }

  function scheduleRefresh(): void {
    if (closed || mode !== 'local') return;
    refreshTimer = platform.timers.setTimeout(() => {
      refresh()
        .catch((error: unknown) => {
          counters.lastError = (error as Error).message;
          platform.logger.warn({ error }, 'tailor: decision config refresh failed; keeping the current one');
        })
        .finally(scheduleRefresh);
    }, refreshMs);
    (refreshTimer as { unref?: () => void }).unref?.();
  }

  async function ensureLoaded(): Promise<Loaded> {
    if (loaded !== undefined) return loaded;
    loading ??= refresh().then(scheduleRefresh, (error: unknown) => {
      loading = undefined;
      throw error;
    });
    await loading;
    return loaded as unknown as Loaded;
  }

  async function profileOf(call: DecideCall): Promise<Profile | undefined> {
    if (options.secretKey === undefined || call.consent?.personalization === false) return undefined;
    const target = call.userId !== undefined ? `userId:${call.userId}` : call.anonymousId !== undefined ? `anonymousId:${call.anonymousId}` : undefined;
    if (target === undefined) return undefined;
    const hit = profiles.get(target);
    if (hit !== undefined && now() - hit.at < profileTtlMs) return hit.profile;
    const response = await get(`/v1/profiles/${encodeURIComponent(target)}`);
    const profile = response.status === 200 ? (JSON.parse(await response.text()) as Profile) : undefined;
    if (response.status !== 200 && response.status !== 404) throw new Error(`GET /v1/profiles answered ${response.status}`);
    profiles.set(target, { at: now(), profile });
    if (profiles.size > 10_000) profiles.delete(profiles.keys().next().value as string);
    return profile;
  }

  const matches = createConditionMatcher();

  async function decideLocally(call: DecideCall): Promise<DecideResult | undefined> {
    const config = await ensureLoaded();
    const requested = new Set(call.placements.map((placement) => placement.id));
    if (config.config.offers.some((offer) => config.remoteOffers.has(offer.id) && offer.placements.some((id) => requested.has(id)))) return undefined;
    const personalization = call.consent?.personalization ?? true;
    const profile = await profileOf(call).catch((error: unknown) => {
      counters.lastError = (error as Error).message;
      platform.logger.warn({ error }, 'tailor: could not read the profile; deciding without it');
      return undefined;
    });
    const at = now();
    const context = call.context ?? {};
    const units = { ...(profile === undefined ? {} : { profileId: profile.id }), ...(call.userId === undefined ? {} : { userId: call.userId }), ...(call.anonymousId === undefined ? {} : { anonymousId: call.anonymousId }) };
    const assignments = assignExperiments(config.config.experiments ?? [], units, {
      ...(config.config.holdout === undefined ? {} : { holdout: config.config.holdout }),
      matches,
      doc: { context, ...(profile === undefined ? {} : { traits: profile.traits }) },
    });
    const response = decide(
      { decisionId: platform.ids.uuid(), placements: call.placements, context, consent: { personalization }, now: at },
      {
        config: config.compiled,
        ...(profile === undefined ? {} : { profile: { id: profile.id, traits: profile.traits, features: profileFeatures(profile, at) }, history: profile.interactions ?? EMPTY_HISTORY }),
        scorers: config.scorers,
        assignments,
      },
    );
    return {
      decisionId: response.decisionId,
      ...(profile === undefined ? {} : { profileId: profile.id }),
      placements: response.placements.map((placement) => ({
        placementId: placement.placementId,
        items: placement.items.map(({ offerId, rank, score, selectionProbability, reasons, creative }) => ({ offerId, rank, score, selectionProbability, reasons, creative })),
        ...(placement.reason === undefined ? {} : { reason: placement.reason }),
      })),
      experiments: response.experiments,
      ttlMs: response.ttlMs,
      source: 'local',
    };
  }

  async function decideRemotely(call: DecideCall): Promise<DecideResult> {
    const response = await platform.transport.send({
      url: `${endpoint}/v1/decide`,
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(call),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`POST /v1/decide answered ${response.status}: ${text.slice(0, 200)}`);
    return { ...(JSON.parse(text) as Omit<DecideResult, 'source'>), source: 'remote' };
  }

  async function decideNow(call: DecideCall): Promise<DecideResult> {
    counters.decisions++;
    if (mode === 'local') {
      const local = await decideLocally(call);
      if (local !== undefined) return local;
    }
    return decideRemotely(call);
  }

  return {
    async decide(call) {
      if (cache === undefined) return decideNow(call);
      const cacheKey = JSON.stringify([call.userId, call.anonymousId, call.placements, call.context, call.consent]);
      const entry = cached.get(cacheKey);
      const age = entry === undefined ? Number.POSITIVE_INFINITY : now() - entry.at;
      if (entry !== undefined && age < cache.ttlMs) {
        counters.cacheHits++;
        return { ...entry.result, source: 'cache' };
      }
      if (entry !== undefined && age < cache.ttlMs + (cache.staleMs ?? 0)) {
        counters.staleHits++;
        if (!entry.refreshing) {
          entry.refreshing = true;
          decideNow(call).then(
            (result) => cached.set(cacheKey, { at: now(), result, refreshing: false }),
            (error: unknown) => {
              entry.refreshing = false;
              counters.lastError = (error as Error).message;
            },
          );
        }
        return { ...entry.result, source: 'stale-cache' };
      }
      counters.cacheMisses++;
      const result = await decideNow(call);
      cached.set(cacheKey, { at: now(), result, refreshing: false });
      if (cached.size > (cache.maxEntries ?? 10_000)) cached.delete(cached.keys().next().value as string);
      return result;
    },
    stats() {
      const lookups = counters.cacheHits + counters.staleHits + counters.cacheMisses;
      return {
        decisions: counters.decisions,
        cacheHits: counters.cacheHits,
        staleHits: counters.staleHits,
        cacheMisses: counters.cacheMisses,
        hitRate: lookups === 0 ? 0 : (counters.cacheHits + counters.staleHits) / lookups,
        configVersion: loaded?.version,
        configRefreshes: counters.configRefreshes,
        ...(counters.lastError === undefined ? {} : { lastError: counters.lastError }),
      };
    },
    close() {
      closed = true;
      if (refreshTimer !== undefined) platform.timers.clearTimeout(refreshTimer);
    },
  };
}
