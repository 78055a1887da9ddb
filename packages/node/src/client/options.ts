import { SEGMENT_LIMITS, TailorError } from '@tailor/core';
import type { DeliveryProblem, RetryOptions, SpoolOptions, TailorNodeOptions } from './types';

export interface ResolvedOptions {
  /** The key sent as HTTP Basic user: the secret key when there is one. */
  readonly key: string;
  /** Set when requests are signed. */
  readonly secretKey: string | undefined;
  readonly endpoint: string;
  readonly flushAt: number;
  readonly flushInterval: number;
  readonly maxBatchBytes: number;
  readonly encoding: 'msgpack' | 'json';
  readonly retry: Required<Pick<RetryOptions, 'initialMs' | 'maxMs'>> & { readonly maxAttempts: number };
  readonly spool: SpoolOptions | undefined;
  readonly waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  readonly onError: ((problem: DeliveryProblem) => void) | undefined;
  readonly maxQueuedEvents: number;
  readonly maxInFlight: number;
  readonly timeoutMs: number;
}

const NAME = 'createTailorNode';

function fail(message: string): never {
  throw new TailorError('invalid_options', `${NAME}: ${message}`);
}

function positive(value: unknown, name: string, fallback: number, options: { max?: number; integer?: boolean; infinite?: boolean } = {}): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    value > 0 &&
    (Number.isFinite(value) || options.infinite === true) &&
    (options.integer !== true || Number.isInteger(value) || value === Number.POSITIVE_INFINITY) &&
    (options.max === undefined || value <= options.max);
  if (!ok) fail(`"${name}" must be a ${options.integer ? 'whole ' : ''}number > 0${options.max === undefined ? '' : ` and <= ${options.max}`}, got ${JSON.stringify(value)}`);
  return value as number;
}

/** Checks the options once, at construction: every mistake here throws with what to change. */
export function resolveOptions(options: TailorNodeOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('pass an options object: createTailorNode({ writeKey, endpoint })');
  const { writeKey, secretKey } = options;
  if (writeKey !== undefined && (typeof writeKey !== 'string' || writeKey.length === 0)) fail('"writeKey" must be a non-empty string');
  if (secretKey !== undefined && (typeof secretKey !== 'string' || secretKey.length === 0)) fail('"secretKey" must be a non-empty string');
  if (writeKey === undefined && secretKey === undefined) fail('"writeKey" or "secretKey" is required (find them in the source of your collector config)');
  if (typeof options.endpoint !== 'string' || !/^https?:\/\/[^/]/i.test(options.endpoint)) {
    fail(`"endpoint" must be the collector's http(s) origin, e.g. "https://t.shop.example", got ${JSON.stringify(options.endpoint)}`);
  }
  const encoding = options.encoding ?? 'msgpack';
  if (encoding !== 'msgpack' && encoding !== 'json') fail(`"encoding" must be "msgpack" or "json", got ${JSON.stringify(encoding)}`);
  const retry = options.retry ?? {};
  const initialMs = positive(retry.initialMs, 'retry.initialMs', 500);
  const maxMs = positive(retry.maxMs, 'retry.maxMs', Math.max(30_000, initialMs));
  if (maxMs < initialMs) fail(`"retry.maxMs" (${maxMs}) must be >= "retry.initialMs" (${initialMs})`);
  const spool = options.spool;
  if (spool !== undefined && (typeof spool !== 'object' || spool === null || typeof spool.dir !== 'string' || spool.dir.length === 0)) {
    fail('"spool.dir" must be a directory for the spool files, e.g. { spool: { dir: "/var/lib/pos-gateway/spool" } }');
  }
  if (options.waitUntil !== undefined && typeof options.waitUntil !== 'function') fail('"waitUntil" must be a function (e.g. the one from @vercel/functions)');
  if (options.onError !== undefined && typeof options.onError !== 'function') fail('"onError" must be a function');
  return {
    key: secretKey ?? (writeKey as string),
    secretKey,
    endpoint: options.endpoint.replace(/\/+$/, ''),
    flushAt: positive(options.flushAt, 'flushAt', 100, { integer: true, max: SEGMENT_LIMITS.maxBatchEvents }),
    flushInterval: positive(options.flushInterval, 'flushInterval', 1_000),
    maxBatchBytes: positive(options.maxBatchBytes, 'maxBatchBytes', 400_000, { integer: true, max: SEGMENT_LIMITS.maxBatchBytes }),
    encoding,
    retry: { initialMs, maxMs, maxAttempts: positive(retry.maxAttempts, 'retry.maxAttempts', Number.POSITIVE_INFINITY, { integer: true, infinite: true }) },
    spool,
    waitUntil: options.waitUntil,
    onError: options.onError,
    maxQueuedEvents: positive(options.maxQueuedEvents, 'maxQueuedEvents', 100_000, { integer: true, infinite: true }),
    maxInFlight: positive(options.maxInFlight, 'maxInFlight', 4, { integer: true, max: 64 }),
    timeoutMs: positive(options.timeoutMs, 'timeoutMs', 15_000),
  };
}
