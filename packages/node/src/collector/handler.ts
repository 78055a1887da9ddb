import { checkBatchLimits, type EventIssue, type EventType, type EventValidator } from '@tailor/core';
import type { Logger } from '@tailor/core';
import { verifySignature } from '../client/signature';
import { keyFromHeaders, type Credentials, type KeyRing } from './auth';
import type { CollectorConfig } from './config';
import { decodeBody } from './decode';
import { SHORT_TYPES, checkImpliedType, enrichEvent, extractItems } from './ingest';
import type { CollectorMetrics } from './metrics';
import type { RateLimiter } from './rate-limit';
import type { DecisionService } from './decisions';
import type { ProfileService } from './profile-routes';
import type { EventStore, IngestedEvent } from './types';

/** A request as the handler sees it; the node:http adapter and the Web `Request` wrapper both build one. */
export interface CollectorRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  header(name: string): string | undefined;
  readonly body: Uint8Array;
  readonly remoteAddress?: string;
}

export interface CollectorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

export interface HandlerDeps {
  readonly config: CollectorConfig;
  readonly keys: KeyRing;
  readonly validators: ReadonlyMap<string, EventValidator>;
  readonly store: EventStore;
  readonly limiter: RateLimiter;
  readonly metrics: CollectorMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** Seconds to wait before retrying when a sink is too far behind; undefined when ingestion may go on. */
  readonly overloaded: () => number | undefined;
  /** Wakes the outbox after an append. */
  readonly appended: () => void;
  readonly ready: () => boolean;
  /** What `/metrics` serves; defaults to the registry of `metrics`. */
  readonly metricsText?: () => Promise<string>;
  /** `GET/DELETE /v1/profiles/:id`; without it those routes answer 404. */
  readonly profiles?: ProfileService;
  /** `POST /v1/decide`, `GET /v1/decision-config`, `GET /v1/models/:id` and `/v1/models/:id/compact`. */
  readonly decisions?: DecisionService;
}

/** How old a signed request may be (and how long its signature is remembered against replay). */
const SIGNATURE_TOLERANCE_MS = 300_000;
const MAX_SEEN_SIGNATURES = 200_000;
/** The most issues one response lists; the counts are always complete. */
const MAX_ISSUES_IN_RESPONSE = 100;
const INGEST_ROUTES: Readonly<Record<string, EventType | 'batch'>> = {
  '/v1/track': 'track', '/v1/identify': 'identify', '/v1/page': 'page', '/v1/screen': 'screen', '/v1/group': 'group', '/v1/alias': 'alias',
  '/v1/batch': 'batch', '/v1/b': 'batch', '/v1/events': 'batch',
  ...Object.fromEntries(Object.entries(SHORT_TYPES).map(([letter, type]) => [`/v1/${letter}`, type])),
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}): CollectorResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});
const problem = (status: number, error: string, message: string, headers?: Record<string, string>) => json(status, { success: false, error, message }, headers);

export interface Handler {
  handle(request: CollectorRequest): Promise<CollectorResponse>;
}

/**
 * The collector's HTTP behaviour, independent of any server: routing, auth, CORS, limits, decoding,
 * validation, dedup and the durable append. A 2xx is returned only after the store has committed.
 */
export function createHandler(deps: HandlerDeps): Handler {
  const { config, keys, store, metrics, logger } = deps;
  const anyOrigin = keys.sources.some((source) => source.allowedOrigins.includes('*'));

  function corsHeaders(origin: string | undefined, allowed: readonly string[] | undefined): Record<string, string> {
    if (origin === undefined) return {};
    const ok = allowed === undefined ? anyOrigin || keys.sources.some((s) => originAllowed(origin, s.allowedOrigins)) : originAllowed(origin, allowed);
    if (!ok) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    };
  }

  async function ingest(request: CollectorRequest, route: EventType | 'batch', started: number): Promise<CollectorResponse> {
    const origin = request.header('origin');
    const headerKey = keyFromHeaders(request.header('authorization'), request.header('x-write-key'));
    let credentials: Credentials | undefined = headerKey === undefined ? undefined : keys.lookup(headerKey);
    if (headerKey !== undefined && credentials === undefined) return problem(401, 'unknown_write_key', 'the write key is not known to this collector; check the key in your client config', corsHeaders(origin, undefined));
    if (credentials) {
      const limited = rateLimit(credentials);
      if (limited) return limited;
    }

    const decoded = decodeBody(request.body, request.header('content-type'), request.header('content-encoding'), config.limits.maxBatchBytes);
    if (!decoded.ok) return problem(decoded.status, decoded.status === 413 ? 'too_large' : 'bad_body', decoded.message, corsHeaders(origin, credentials?.source.allowedOrigins));
    const extracted = extractItems(decoded.value, route === 'batch' ? undefined : route);
    if (!extracted.ok) return problem(400, 'bad_body', extracted.message, corsHeaders(origin, credentials?.source.allowedOrigins));

    if (credentials === undefined) {
      if (extracted.writeKey === undefined) return problem(401, 'missing_write_key', 'send the write key as HTTP Basic user (empty password), an X-Write-Key header, or "writeKey" in the body');
      credentials = keys.lookup(extracted.writeKey);
      if (credentials === undefined) return problem(401, 'unknown_write_key', 'the write key is not known to this collector; check the key in your client config', corsHeaders(origin, undefined));
      const limited = rateLimit(credentials);
      if (limited) return limited;
    }
    const source = credentials.source;
    const signatureProblem = checkSignature(request, credentials, headerKey, started);
    if (signatureProblem !== undefined) {
      metrics.rejected.inc({ source: source.id, reason: 'bad_signature' });
      return problem(401, 'bad_signature', signatureProblem);
    }
    const cors = corsHeaders(origin, source.allowedOrigins);
    if (origin !== undefined && cors['access-control-allow-origin'] === undefined) {
      return problem(403, 'origin_not_allowed', `origin ${origin} may not send to source "${source.id}"; add it to the source's allowedOrigins`);
    }
    const retryAfter = deps.overloaded();
    if (retryAfter !== undefined) {
      return problem(503, 'sink_backlog', 'the collector is holding too many events that a sink has not taken yet; retry later', { ...cors, 'retry-after': String(retryAfter) });
    }
    const limitReason = checkBatchLimits(extracted.items.length, decoded.bytes, config.limits);
    if (limitReason !== undefined) return problem(extracted.items.length > config.limits.maxBatchEvents ? 400 : 413, 'too_large', limitReason, cors);

    const validator = deps.validators.get(source.id) as EventValidator;
    const issues: EventIssue[] = [];
    const accepted: IngestedEvent[] = [];
    const ip = clientIp(request);
    const userAgent = request.header('user-agent');
    const enrichment = {
      receivedAt: started,
      receivedIso: new Date(started).toISOString(),
      ...(extracted.sentAt === undefined ? {} : { batchSentAt: extracted.sentAt }),
      ...(ip === undefined ? {} : { ip }),
      ...(userAgent === undefined ? {} : { userAgent }),
      anonymizeIp: config.anonymizeIp,
    };
    const implied = route === 'batch' ? undefined : route;
    for (let index = 0; index < extracted.items.length; index++) {
      const item = extracted.items[index];
      const wrongType = checkImpliedType(item, implied, index);
      if (wrongType) {
        issues.push(wrongType);
        continue;
      }
      // A body no larger than the per-event limit cannot hold an event over it: skip measuring.
      const result = validator.validate(item, index, decoded.bytes <= config.limits.maxEventBytes ? decoded.bytes : undefined);
      if (!result.ok) {
        for (const issue of result.issues) issues.push(issue);
        continue;
      }
      for (const warning of result.warnings) issues.push(warning);
      accepted.push({ messageId: result.event.messageId, event: enrichEvent(result.event, enrichment) });
    }
    const rejectedCount = extracted.items.length - accepted.length;
    for (const issue of issues) if (issue.severity === 'error') metrics.rejected.inc({ source: source.id, reason: issue.code });

    let stored = 0;
    let duplicates = 0;
    if (accepted.length > 0) {
      const ackStarted = performance.now();
      try {
        const result = await store.append(source.id, accepted, started);
        stored = result.stored;
        duplicates = result.duplicates;
      } catch (error) {
        logger.error({ err: error, source: source.id, events: accepted.length }, 'store append failed');
        return problem(503, 'store_unavailable', 'the collector could not store the events durably; retry later', { ...cors, 'retry-after': '1' });
      }
      metrics.ackSeconds.observe((performance.now() - ackStarted) / 1000);
      if (stored > 0) {
        metrics.accepted.inc({ source: source.id }, stored);
        deps.appended();
      }
      if (duplicates > 0) metrics.duplicates.inc({ source: source.id }, duplicates);
    }

    const status = accepted.length === extracted.items.length ? 200 : accepted.length === 0 ? 400 : 207;
    if (rejectedCount > 0) logger.info({ source: source.id, rejected: rejectedCount, accepted: accepted.length, first: issues[0] }, 'events rejected');
    return json(
      status,
      {
        success: rejectedCount === 0,
        accepted: accepted.length,
        stored,
        duplicates,
        rejected: rejectedCount,
        issues: issues.slice(0, MAX_ISSUES_IN_RESPONSE),
        ...(issues.length > MAX_ISSUES_IN_RESPONSE ? { issuesTruncated: issues.length - MAX_ISSUES_IN_RESPONSE } : {}),
      },
      cors,
    );
  }

  /** Signatures seen within the tolerance window: the same signed request twice is a replay. */
  const seenSignatures = new Map<string, number>();

  function checkSignature(request: CollectorRequest, credentials: Credentials, key: string | undefined, now: number): string | undefined {
    const header = request.header('x-tailor-signature');
    if (header === undefined) {
      return credentials.secret && credentials.source.requireSignature
        ? `source "${credentials.source.id}" requires an x-tailor-signature header (HMAC-SHA256 of the body with the secret key)`
        : undefined;
    }
    if (!credentials.secret || key === undefined) return 'signed requests must authenticate with the secret key in a header (Basic or Bearer)';
    const verdict = verifySignature(key, header, request.body, now, SIGNATURE_TOLERANCE_MS);
    if (!verdict.ok) return `the request signature is not valid: ${verdict.reason}`;
    for (const [seen, at] of seenSignatures) {
      if (now - at <= SIGNATURE_TOLERANCE_MS) break; // insertion order is time order
      seenSignatures.delete(seen);
    }
    if (seenSignatures.has(header)) return 'this signed request was already received (replay)';
    if (seenSignatures.size < MAX_SEEN_SIGNATURES) seenSignatures.set(header, now);
    return undefined;
  }

  function rateLimit(credentials: Credentials): CollectorResponse | undefined {
    const source = credentials.source;
    const waitMs = deps.limiter.take(source.id, deps.now());
    if (waitMs === 0) return undefined;
    metrics.rejected.inc({ source: source.id, reason: 'rate_limited' });
    return problem(429, 'rate_limited', `source "${source.id}" is over its rate limit of ${source.rateLimit.perSecond} requests/s`, { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) });
  }

  function clientIp(request: CollectorRequest): string | undefined {
    if (config.trustProxy) {
      const forwarded = request.header('x-forwarded-for')?.split(',')[0]?.trim();
      if (forwarded) return forwarded;
    }
    return request.remoteAddress;
  }

  function settings(request: CollectorRequest, writeKey: string): CollectorResponse {
    const credentials = keys.lookup(decodeURIComponent(writeKey));
    if (credentials === undefined || credentials.secret) return problem(404, 'unknown_write_key', 'no source has this write key');
    const host = request.header('x-forwarded-host') ?? request.header('host') ?? `${config.host}:${config.port}`;
    return json(
      200,
      {
        integrations: { 'Segment.io': { apiKey: writeKey, apiHost: `${host}/v1`, protocol: request.header('x-forwarded-proto') ?? 'http', unbundledIntegrations: [], addBundledMetadata: true, maybeBundledConfigIds: {}, versionSettings: { version: '4.4.7', componentTypes: ['browser'] } } },
        plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
        edgeFunction: {},
        analyticsNextEnabled: true,
        middlewareSettings: {},
        enabledMiddleware: {},
        metrics: { sampleRate: 0 },
        legacyVideoPluginsEnabled: false,
        remotePlugins: [],
      },
      { ...corsHeaders(request.header('origin'), credentials.source.allowedOrigins), 'cache-control': 'public, max-age=300' },
    );
  }

  async function route(request: CollectorRequest, started: number): Promise<[string, CollectorResponse]> {
    const { method, path } = request;
    const ingestRoute = INGEST_ROUTES[path];
    if (ingestRoute !== undefined) {
      if (method === 'POST') return ['ingest', await ingest(request, ingestRoute, started)];
      if (method === 'OPTIONS') return ['preflight', preflight(request)];
      return ['ingest', problem(405, 'method_not_allowed', `${path} takes POST`, { allow: 'POST, OPTIONS' })];
    }
    if (method === 'GET' && path === '/healthz') return ['healthz', json(200, { status: 'ok' })];
    if (method === 'GET' && path === '/readyz') {
      const retry = deps.overloaded();
      const ready = deps.ready() && retry === undefined;
      return ['readyz', json(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', ...(retry === undefined ? {} : { reason: 'sink_backlog' }) })];
    }
    if (method === 'GET' && path === '/metrics') {
      const text = deps.metricsText ? await deps.metricsText() : await metrics.registry.metrics();
      return ['metrics', { status: 200, headers: { 'content-type': metrics.registry.contentType }, body: text }];
    }
    if (path.startsWith('/v1/profiles/')) return ['profiles', await profileRoute(request)];
    if (path === '/v1/decide' || path === '/v1/decision-config' || path.startsWith('/v1/models/')) {
      const name = path === '/v1/decide' ? 'decide' : path === '/v1/decision-config' ? 'decision-config' : 'models';
      return [name, method === 'OPTIONS' ? preflight(request) : await decisionRoute(request, name)];
    }
    const settingsMatch = /^\/v1\/projects\/([^/]+)\/settings$/.exec(path);
    if (settingsMatch && (method === 'GET' || method === 'OPTIONS')) {
      return ['settings', method === 'GET' ? settings(request, settingsMatch[1] as string) : preflight(request)];
    }
    return ['unknown', problem(404, 'not_found', `no route for ${method} ${path}; events go to POST /v1/batch, /v1/track, … or /v1/events`)];
  }

  /**
   * `GET /v1/profiles/:id` and `DELETE /v1/profiles/:id`, where `:id` is a profile id or any identifier
   * (`userId:u1`, `email:ann@example.com`, URL-encoded). Profiles hold personal data, so only a source's
   * secret key (a backend) may read or erase them, and only that source's profiles.
   */
  async function profileRoute(request: CollectorRequest): Promise<CollectorResponse> {
    if (request.method !== 'GET' && request.method !== 'DELETE') return problem(405, 'method_not_allowed', 'profiles take GET or DELETE', { allow: 'GET, DELETE' });
    const key = keyFromHeaders(request.header('authorization'), request.header('x-write-key'));
    if (key === undefined) return problem(401, 'missing_secret_key', "send the source's secret key as HTTP Basic user (empty password) or a Bearer token");
    const credentials = keys.lookup(key);
    if (credentials === undefined) return problem(401, 'unknown_write_key', 'the key is not known to this collector');
    if (!credentials.secret) return problem(403, 'secret_key_required', `profiles hold personal data: use a secret key of source "${credentials.source.id}", not a write key`);
    const limited = rateLimit(credentials);
    if (limited) return limited;
    if (deps.profiles === undefined) return problem(404, 'not_found', 'this collector keeps no profiles');
    let target: string;
    try {
      target = decodeURIComponent(request.path.slice('/v1/profiles/'.length));
    } catch {
      return problem(400, 'bad_identifier', 'the profile id is not valid URL encoding');
    }
    if (target.length === 0 || target.includes('/')) return problem(400, 'bad_identifier', 'use /v1/profiles/<profile id> or /v1/profiles/<type>:<value> (URL-encoded)');
    const sourceId = credentials.source.id;
    if (request.method === 'GET') {
      let found: Awaited<ReturnType<ProfileService['get']>>;
      try {
        found = await deps.profiles.get(sourceId, target);
      } catch (error) {
        // A networked profile store (cluster mode) can be briefly unreachable: a retryable answer, not a 500.
        logger.warn({ err: error, source: sourceId }, 'profile read failed');
        return problem(503, 'profiles_unavailable', 'the profile store did not answer; retry', { 'retry-after': '1' });
      }
      if (found.status === 'bad-identifier') return problem(400, 'bad_identifier', found.message);
      if (found.status === 'not-found') return problem(404, 'profile_not_found', `source "${sourceId}" has no profile for ${target}`);
      return json(200, found.profile, { 'cache-control': 'no-store' });
    }
    const deleted = await deps.profiles.delete(sourceId, target);
    if (deleted.status === 'bad-identifier') return problem(400, 'bad_identifier', deleted.message);
    if (deleted.status === 'not-found') return problem(404, 'profile_not_found', `source "${sourceId}" has no profile for ${target}`);
    if (deleted.status === 'failed') return problem(503, 'delete_failed', `the deletion could not be completed (${deleted.message}); nothing was deleted, retry`, { 'retry-after': '1' });
    logger.info({ source: sourceId, profileIds: deleted.profileIds, events: deleted.events }, 'profile deleted on request');
    return json(200, { success: true, ...deleted });
  }

  /**
   * Decisions for browsers and backends. Any key of the source works (a write key is public, and so is what it
   * can ask: offers for a person, never their profile); the answer is scoped to the key's source.
   */
  async function decisionRoute(request: CollectorRequest, name: 'decide' | 'decision-config' | 'models'): Promise<CollectorResponse> {
    const origin = request.header('origin');
    const expected = name === 'decide' ? 'POST' : 'GET';
    if (request.method !== expected) return problem(405, 'method_not_allowed', `${request.path} takes ${expected}`, { allow: `${expected}, OPTIONS` });
    const key = keyFromHeaders(request.header('authorization'), request.header('x-write-key'));
    if (key === undefined) return problem(401, 'missing_write_key', 'send the write key as HTTP Basic user (empty password), a Bearer token or an X-Write-Key header', corsHeaders(origin, undefined));
    const credentials = keys.lookup(key);
    if (credentials === undefined) return problem(401, 'unknown_write_key', 'the write key is not known to this collector; check the key in your client config', corsHeaders(origin, undefined));
    const cors = corsHeaders(origin, credentials.source.allowedOrigins);
    if (origin !== undefined && cors['access-control-allow-origin'] === undefined) return problem(403, 'origin_not_allowed', `origin ${origin} may not call source "${credentials.source.id}"`);
    const limited = rateLimit(credentials);
    if (limited) return limited;
    const decisions = deps.decisions;
    const sourceId = credentials.source.id;
    if (decisions === undefined || decisions.published(sourceId) === undefined) {
      return problem(404, 'no_decisions', `source "${sourceId}" has no decision config; set "decisions" on the source in the collector config`, cors);
    }
    if (name === 'decision-config') {
      const published = decisions.published(sourceId) as NonNullable<ReturnType<DecisionService['published']>>;
      const headers = { ...cors, etag: published.etag, 'cache-control': 'no-cache' };
      if (request.header('if-none-match') === published.etag) return { status: 304, headers, body: '' };
      return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: published.body };
    }
    if (name === 'models') {
      // Ids are URL-encoded, so a `/` left in the path is the compact form's suffix.
      const [encodedId = '', form] = request.path.slice('/v1/models/'.length).split('/');
      let modelId: string;
      try {
        modelId = decodeURIComponent(encodedId);
      } catch {
        return problem(400, 'bad_model_id', 'the model id is not valid URL encoding', cors);
      }
      if (form !== undefined && form !== 'compact') return problem(404, 'not_found', 'use /v1/models/<id> (ONNX) or /v1/models/<id>/compact (JSON)', cors);
      const model = form === 'compact' ? decisions.compactModel(sourceId, modelId) : decisions.model(sourceId, modelId);
      if (model === undefined) return problem(404, 'model_not_found', `source "${sourceId}" has no model "${modelId}"${form === undefined ? '' : ' in compact form'}`, cors);
      const headers = { ...cors, etag: model.etag, 'cache-control': 'public, max-age=300' };
      if (request.header('if-none-match') === model.etag) return { status: 304, headers, body: '' };
      const [contentType, body] = 'body' in model ? ['application/json; charset=utf-8', model.body] : ['application/octet-stream', model.bytes];
      return { status: 200, headers: { 'content-type': contentType, ...headers }, body };
    }
    const decoded = decodeBody(request.body, request.header('content-type'), request.header('content-encoding'), config.limits.maxEventBytes);
    if (!decoded.ok) return problem(decoded.status, decoded.status === 413 ? 'too_large' : 'bad_body', decoded.message, cors);
    const result = await decisions.decide(sourceId, decoded.value);
    return json(result.status, result.body, { ...cors, 'cache-control': 'no-store' });
  }

  function preflight(request: CollectorRequest): CollectorResponse {
    const cors = corsHeaders(request.header('origin'), undefined);
    return {
      status: 204,
      headers: {
        ...cors,
        'access-control-allow-methods': 'POST, GET, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, content-encoding, x-write-key, x-tailor-signature',
        'access-control-max-age': '86400',
      },
      body: '',
    };
  }

  return {
    async handle(request) {
      const started = deps.now();
      const timer = performance.now();
      let routeName = 'unknown';
      let response: CollectorResponse;
      try {
        [routeName, response] = await route(request, started);
      } catch (error) {
        // Nothing a client sends should get here; if it does, the client still gets an answer and we a log line.
        logger.error({ err: error, method: request.method, path: request.path }, 'unhandled error in handler');
        response = problem(500, 'internal', 'the collector failed on this request; it has been logged');
      }
      metrics.requests.inc({ route: routeName, status: String(response.status) });
      metrics.requestSeconds.observe({ route: routeName }, (performance.now() - timer) / 1000);
      return response;
    },
  };
}

/** `https://*.shop.example` matches any subdomain; `*` matches everything. */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  for (const entry of allowed) {
    if (entry === '*' || entry.toLowerCase() === origin.toLowerCase()) return true;
    const star = entry.indexOf('*.');
    if (star > 0) {
      const scheme = entry.slice(0, star);
      const suffix = entry.slice(star + 1).toLowerCase();
      const lower = origin.toLowerCase();
      if (lower.startsWith(scheme) && lower.endsWith(suffix) && lower.length > scheme.length + suffix.length) return true;
    }
  }
  return false;
}
