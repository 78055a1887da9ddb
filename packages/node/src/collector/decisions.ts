import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  EMPTY_HISTORY,
  TailorError,
  assignExperiments,
  createConditionMatcher,
  compileDecisionConfig,
  decide,
  decideWithCandidates,
  hashDecisionConfig,
  loadModel,
  parseDecisionConfig,
  parseExperiments,
  parseHoldout,
  toCompactModel,
  toDecisionLogRecord,
  type CandidateRecord,
  type CompiledDecisionConfig,
  type DecisionConfig,
  type DecisionResponse,
  type DecisionLogRecord,
  type Experiment,
  type FeatureValues,
  type Holdout,
  type InteractionHistory,
  type SyncScorer,
} from '@tailor/core';
import * as z from 'zod';
import type { AsyncProfileStore } from '../storage/async-store';
import type { Profile } from './types';
import { withRecentOutcomes, type RecentOutcome } from '../cluster/recent-outcomes';

/** A source's decisioning as the collector runs it: parsed config, compiled rules, loaded models. */
export interface SourceDecisions {
  readonly sourceId: string;
  readonly config: DecisionConfig;
  readonly compiled: CompiledDecisionConfig;
  readonly experiments: readonly Experiment[];
  readonly holdout: Holdout | undefined;
  readonly scorers: ReadonlyMap<string, SyncScorer>;
  readonly models: ReadonlyMap<string, { readonly bytes: Uint8Array; readonly etag: string; readonly version: string; readonly evaluator: string; readonly compact?: CompactModelBody }>;
  /** The body of `GET /v1/decision-config` and its ETag (the config's content hash). */
  readonly published: { readonly etag: string; readonly body: string };
}

/** A model's compact form as served at `GET /v1/models/:id/compact`: JSON devices score without an ONNX reader. */
export interface CompactModelBody {
  readonly body: string;
  readonly etag: string;
}

/**
 * Loads a source's decision config file (JSON: offers, placements, policies, exploration, defaults, models,
 * experiments, holdout) and its models. A model's `url` is a path relative to the config file; clients get
 * it from `/v1/models/:id`. Throws a TailorError naming the file and every problem: a bad config should stop
 * the collector at start, not at the first decision.
 */
export function loadSourceDecisions(sourceId: string, path: string, baseDir: string): SourceDecisions {
  const file = isAbsolute(path) ? path : resolve(baseDir, path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TailorError('invalid_config', `source "${sourceId}": cannot read the decision config ${file}: ${(error as Error).message}`);
  }
  const parsed = parseDecisionConfig(raw);
  if (!parsed.ok) {
    throw new TailorError('invalid_config', `source "${sourceId}": ${file} is not a valid decision config:\n${parsed.issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join('\n')}`);
  }
  const config = parsed.config;
  const experiments = parseExperiments(config.experiments ?? []);
  if (experiments.issues.length > 0) {
    throw new TailorError('invalid_config', `source "${sourceId}": ${file} has invalid experiments:\n${experiments.issues.map((issue) => `  - experiments${issue.path}: ${issue.message}`).join('\n')}`);
  }
  let holdout: Holdout | undefined;
  if (config.holdout !== undefined) {
    const parsedHoldout = parseHoldout(config.holdout);
    if (!parsedHoldout.ok) throw new TailorError('invalid_config', `source "${sourceId}": ${file} has an invalid holdout: ${parsedHoldout.issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`);
    holdout = parsedHoldout.holdout;
  }

  const scorers = new Map<string, SyncScorer>();
  const models = new Map<string, { bytes: Uint8Array; etag: string; version: string; evaluator: string; compact?: CompactModelBody }>();
  for (const ref of config.models) {
    if (ref.url === undefined) continue; // scored elsewhere (a client that brings its own scorer)
    const modelFile = isAbsolute(ref.url) ? ref.url : resolve(dirname(file), ref.url);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(modelFile);
    } catch (error) {
      throw new TailorError('invalid_config', `source "${sourceId}": model "${ref.id}" cannot be read from ${modelFile}: ${(error as Error).message}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (ref.sha256 !== undefined && ref.sha256 !== sha256) {
      throw new TailorError('invalid_config', `source "${sourceId}": model "${ref.id}" at ${modelFile} has SHA-256 ${sha256}, the config expects ${ref.sha256}`);
    }
    const loaded = loadModel(bytes);
    if (!loaded.ok) {
      const why = loaded.reason === 'unsupported' ? `uses ${loaded.op}, which Tailor's evaluators do not run (linear and tree-ensemble models only in the collector)` : loaded.error;
      throw new TailorError('invalid_config', `source "${sourceId}": model "${ref.id}" (${modelFile}) ${why}`);
    }
    scorers.set(ref.id, loaded.scorer);
    // Devices load this instead of the ONNX file; a model JSON cannot carry (NaN weights) has none.
    const compact = toCompactModel(bytes);
    models.set(ref.id, { bytes, etag: `"${sha256}"`, version: ref.version, evaluator: loaded.evaluator, ...(compact.ok ? { compact: { body: JSON.stringify(compact.model), etag: `"${sha256}-compact"` } } : {}) });
  }
  for (const offer of config.offers) {
    if (offer.modelId !== undefined && !config.models.some((model) => model.id === offer.modelId)) {
      throw new TailorError('invalid_config', `source "${sourceId}": offer "${offer.id}" uses model "${offer.modelId}", which is not in "models"`);
    }
  }

  const hash = hashDecisionConfig(config);
  const compiled = compileDecisionConfig(config, { hash });
  // Clients fetch models from this collector, so their urls are rewritten to its route.
  // Experiments go out parsed (defaults filled in): clients assign without validating again (no zod on devices).
  const publishedConfig = {
    ...config,
    experiments: experiments.experiments,
    ...(holdout === undefined ? {} : { holdout }),
    models: config.models.map((model) => {
      const served = models.get(model.id);
      if (served === undefined) return model;
      const url = `/v1/models/${encodeURIComponent(model.id)}`;
      return { ...model, url, sha256: served.etag.slice(1, -1), ...(served.compact === undefined ? {} : { compactUrl: `${url}/compact` }) };
    }),
  };
  const body = JSON.stringify({ version: config.version, hash, config: publishedConfig });
  return {
    sourceId,
    config,
    compiled,
    experiments: experiments.experiments,
    holdout,
    scorers,
    models,
    // The ETag covers what is published, model digests included: a model file replaced under an unchanged
    // config must still reach devices that hold the old one.
    published: { etag: `"${createHash('sha256').update(body).digest('hex')}"`, body },
  };
}

/** `POST /v1/decide` body. */
export const decideRequestSchema = z.strictObject({
  userId: z.string().min(1).max(256).optional(),
  anonymousId: z.string().min(1).max(256).optional(),
  placements: z
    .array(z.strictObject({ id: z.string().min(1).max(128), slots: z.number().int().min(1).max(20).optional() }))
    .min(1, 'ask for at least one placement')
    .max(20),
  context: z.record(z.string(), z.unknown()).optional(),
  /** What the person agreed to. Without `personalization: true` no profile data is used. Default: granted (a backend that asks has checked). */
  consent: z.strictObject({ personalization: z.boolean() }).optional(),
  /** Reuse a decision id (idempotent retries); a UUID is made otherwise. */
  decisionId: z.string().min(1).max(100).optional(),
});
export type DecideRequestBody = z.infer<typeof decideRequestSchema>;

export interface DecideResult {
  readonly status: number;
  readonly body: unknown;
}

export interface DecisionServiceOptions {
  /** Where the person is looked up (embedded: `toAsyncProfileStore(store.profiles)`; cluster: the shared store). */
  readonly profiles: Pick<AsyncProfileStore, 'findProfile'>;
  readonly sources: ReadonlyMap<string, SourceDecisions>;
  /** Feature values of a profile at `now` (the feature spec's read-out). */
  readonly features: (profile: Profile, now: number) => FeatureValues;
  /** Where decision log records go (the decision log store); called after the answer is built. */
  readonly log: (sourceId: string, record: DecisionLogRecord) => void;
  /**
   * Share of decisions logged with every candidate (exclusion reasons, score parts); the others are logged with
   * what was shown and its selection probabilities only. Tracing candidates costs ~6× the decision itself, so
   * the default 0.1 keeps an unbiased random sample for off-policy evaluation without halving throughput.
   */
  readonly candidateSampleRate?: number;
  /** Random numbers for the candidate sample (tests pass a fixed source). */
  readonly random?: () => number;
  /** Called per model a decision used, with the person's features and the propensities it gave (drift monitoring). */
  readonly onScored?: (modelId: string, features: FeatureValues, scores: readonly number[]) => void;
  readonly now?: () => number;
  /**
   * Offer outcomes (impressions, dismissals) accepted but perhaps not projected into the profile yet (cluster
   * mode: Redis counters), so frequency caps hold from the moment the collector acked them.
   */
  readonly recentOutcomes?: (sourceId: string, person: { readonly userId?: string; readonly anonymousId?: string }) => Promise<readonly RecentOutcome[]>;
  /** Called when the profile store fails a lookup; the decision is then made without the person's profile. */
  readonly onProfileError?: (error: unknown, sourceId: string) => void;
}

export interface DecisionService {
  /** A bad request is a 4xx result; a profile store that fails a lookup means a decision without the profile, not an error. */
  decide(sourceId: string, body: unknown): Promise<DecideResult>;
  /** The decision config for clients, or undefined when the source has none. */
  published(sourceId: string): SourceDecisions['published'] | undefined;
  model(sourceId: string, modelId: string): { readonly bytes: Uint8Array; readonly etag: string } | undefined;
  /** A model's compact form (`GET /v1/models/:id/compact`), or undefined when it has none. */
  compactModel(sourceId: string, modelId: string): CompactModelBody | undefined;
}

/**
 * Answers decisions from the freshest profile in the store: the person (by userId, else anonymousId) → their
 * features, contact history and experiment assignments → core's `decide()` → a log record per decision.
 */
export function createDecisionService(options: DecisionServiceOptions): DecisionService {
  const now = options.now ?? Date.now;
  const sampleRate = options.candidateSampleRate ?? 0.1;
  const random = options.random ?? Math.random;
  const matches = createConditionMatcher();

  return {
    async decide(sourceId, body) {
      const source = options.sources.get(sourceId);
      if (source === undefined) return { status: 404, body: { success: false, error: 'no_decisions', message: `source "${sourceId}" has no decision config; set "decisions" on the source in the collector config` } };
      const parsed = decideRequestSchema.safeParse(body);
      if (!parsed.success) {
        return {
          status: 400,
          body: { success: false, error: 'bad_request', message: 'the decide request is not valid', issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) },
        };
      }
      const request = parsed.data;
      const at = now();
      const personalization = request.consent?.personalization ?? true;
      let profile: Profile | undefined;
      let recent: readonly RecentOutcome[] = [];
      if (personalization) {
        const person = { ...(request.userId === undefined ? {} : { userId: request.userId.trim() }), ...(request.anonymousId === undefined ? {} : { anonymousId: request.anonymousId.trim() }) };
        const pending = options.recentOutcomes?.(sourceId, person);
        try {
          profile = await findPerson(options.profiles, sourceId, request);
        } catch (error) {
          // Offers without personalization beat no offers: the page still renders something sensible.
          options.onProfileError?.(error, sourceId);
        }
        if (pending !== undefined) recent = await pending;
      }
      const units = {
        ...(profile === undefined ? {} : { profileId: profile.id }),
        ...(request.userId === undefined ? {} : { userId: request.userId }),
        ...(request.anonymousId === undefined ? {} : { anonymousId: request.anonymousId }),
      };
      const context = request.context ?? {};
      const assignments = assignExperiments(source.experiments, units, {
        ...(source.holdout === undefined ? {} : { holdout: source.holdout }),
        matches,
        doc: { context, ...(personalization && profile !== undefined ? { traits: profile.traits } : {}) },
      });
      const decisionRequest = { decisionId: request.decisionId ?? randomUUID(), placements: request.placements, context, consent: { personalization }, now: at };
      const features = profile === undefined ? undefined : options.features(profile, at);
      const inputs = {
        config: source.compiled,
        ...(profile === undefined || features === undefined ? {} : { profile: { id: profile.id, traits: profile.traits, features } }),
        ...historyInput(profile, recent),
        scorers: source.scorers,
        assignments,
      };
      const traced = random() < sampleRate;
      const { response, candidates } = traced ? decideWithCandidates(decisionRequest, inputs) : { response: decide(decisionRequest, inputs), candidates: [] };
      if (options.onScored !== undefined && features !== undefined) reportScores(options.onScored, response, candidates, source, features);
      try {
        const record = toDecisionLogRecord(decisionRequest, response, candidates, profile === undefined ? {} : { profileId: profile.id });
        options.log(sourceId, traced ? record : { ...record, candidatesSampled: false } as DecisionLogRecord);
      } catch {
        // The log is for evaluation later; a failure there must not fail the decision.
      }
      return {
        status: 200,
        body: {
          decisionId: response.decisionId,
          ...(profile === undefined ? {} : { profileId: profile.id }),
          placements: response.placements.map((placement) => ({
            placementId: placement.placementId,
            items: placement.items.map((item) => ({ offerId: item.offerId, rank: item.rank, score: item.score, selectionProbability: item.selectionProbability, reasons: item.reasons, scoreParts: item.scoreParts, creative: item.creative })),
            ...(placement.reason === undefined ? {} : { reason: placement.reason }),
          })),
          experiments: response.experiments,
          policy: response.policy,
          models: response.models,
          configVersion: response.configVersion,
          ttlMs: response.ttlMs,
        },
      };
    },
    published: (sourceId) => options.sources.get(sourceId)?.published,
    model(sourceId, modelId) {
      const model = options.sources.get(sourceId)?.models.get(modelId);
      return model === undefined ? undefined : { bytes: model.bytes, etag: model.etag };
    },
    compactModel: (sourceId, modelId) => options.sources.get(sourceId)?.models.get(modelId)?.compact,
  };
}

async function findPerson(profiles: DecisionServiceOptions['profiles'], sourceId: string, request: DecideRequestBody): Promise<Profile | undefined> {
  if (request.userId !== undefined) {
    // One lookup when the userId is known (the usual case for a signed-in person), the anonymousId only after a miss.
    const byUser = await profiles.findProfile(sourceId, `userId:${request.userId.trim()}`);
    if (byUser !== undefined) return byUser;
  }
  return request.anonymousId === undefined ? undefined : profiles.findProfile(sourceId, `anonymousId:${request.anonymousId.trim()}`);
}

/** The propensities each model gave in a decision, for drift monitoring (never fails a decision). */
function reportScores(onScored: NonNullable<DecisionServiceOptions['onScored']>, response: DecisionResponse, candidates: readonly CandidateRecord[], source: SourceDecisions, features: FeatureValues): void {
  try {
    for (const model of response.models) {
      const offers = new Set(source.config.offers.filter((offer) => offer.modelId === model.id).map((offer) => offer.id));
      // Every scored candidate when the decision was traced, else the shown ones (decisions are not all traced).
      const scored = candidates.length > 0 ? candidates : response.placements.flatMap((placement) => placement.items);
      const scores = scored.filter((item) => offers.has(item.offerId) && item.scoreParts !== undefined).map((item) => item.scoreParts?.propensity as number);
      if (scores.length > 0) onScored(model.id, features, scores);
    }
  } catch {
    // monitoring only
  }
}

/** The contact history a decision counts: the profile's, plus recent outcomes it does not hold yet. */
function historyInput(profile: Profile | undefined, recent: readonly RecentOutcome[]): { history?: InteractionHistory } {
  const history = withRecentOutcomes(profile === undefined ? undefined : historyOf(profile), profile?.lastSeen, recent);
  return history === undefined ? {} : { history };
}

function historyOf(profile: Profile): InteractionHistory {
  return (profile as Profile & { interactions?: InteractionHistory }).interactions ?? EMPTY_HISTORY;
}
