import * as z from 'zod';
import { formatIssuePath } from '../issues';
import type { Experiment, Holdout } from './types';

// Experiment definitions are validated once, where they enter (the collector when a decision config is
// published, a client reading a cached copy); assignExperiments then trusts the plain objects.

const keySchema = z.string().min(1).max(256);
const attributeSchema = z.string().min(1).max(256);
const unitInterval = z.number().min(0).max(1);
const hashVersionSchema = z.union([z.literal(1), z.literal(2)], { error: 'hashVersion must be 1 or 2' });

/** `null` says "no fallback" where the default would add one. */
const fallbackSchema = attributeSchema.nullable().optional();

/**
 * `profileId` falls back to `anonymousId` unless told otherwise: a visitor is assigned before login and
 * (with sticky assignments) keeps the variation after. Any other hash attribute (`companyId`, `storeId`)
 * gets a fallback only when one is named, so different kinds of unit are never mixed.
 */
function withDefaultFallback<T extends { hashAttribute: string; fallbackAttribute?: string | null | undefined }>(
  definition: T,
): Omit<T, 'fallbackAttribute'> & { fallbackAttribute?: string } {
  const { fallbackAttribute, ...rest } = definition;
  if (fallbackAttribute === null) return rest;
  if (fallbackAttribute !== undefined) return { ...rest, fallbackAttribute };
  return definition.hashAttribute === 'profileId' ? { ...rest, fallbackAttribute: 'anonymousId' } : rest;
}

const variationSchema = z.object({ key: keySchema, value: z.json().optional() });

/**
 * An experiment definition, GrowthBook's field names. Defaults: `coverage` 1, `hashVersion` 2,
 * `hashAttribute` `profileId` (falling back to `anonymousId`), `bucketVersion` 0, `active` true.
 *
 * `hashVersion` defaults to 2, where GrowthBook's SDK defaults to 1: v1's buckets are correlated between
 * experiments with similar seeds. Set `hashVersion: 1` when porting a running GrowthBook experiment.
 *
 * @example experimentSchema.parse({ key: 'ranker', variations: [{ key: 'control' }, { key: 'thompson', value: { policy: 'thompson' } }] })
 */
export const experimentSchema = z
  .object({
    key: keySchema,
    variations: z.array(variationSchema).min(2, 'an experiment needs at least two variations').max(100),
    weights: z.array(unitInterval).optional(),
    coverage: unitInterval.default(1),
    hashVersion: hashVersionSchema.default(2),
    seed: z.string().max(256).optional(),
    namespace: z.tuple([keySchema, unitInterval, unitInterval]).optional(),
    hashAttribute: attributeSchema.default('profileId'),
    fallbackAttribute: fallbackSchema,
    bucketVersion: z.number().int().min(0).default(0),
    active: z.boolean().default(true),
    condition: z.unknown().optional(),
  })
  .superRefine((experiment, ctx) => {
    const { weights, variations, namespace } = experiment;
    if (weights !== undefined) {
      if (weights.length !== variations.length) {
        ctx.addIssue({ code: 'custom', path: ['weights'], message: `needs one weight per variation (${variations.length}), got ${weights.length}` });
      } else {
        const total = weights.reduce((sum, weight) => sum + weight, 0);
        if (total < 0.99 || total > 1.01) ctx.addIssue({ code: 'custom', path: ['weights'], message: `weights must sum to 1, got ${total}` });
      }
    }
    const seen = new Set<string>();
    variations.forEach((variation, index) => {
      if (seen.has(variation.key)) ctx.addIssue({ code: 'custom', path: ['variations', index, 'key'], message: `variation key "${variation.key}" appears twice` });
      seen.add(variation.key);
    });
    if (namespace !== undefined && namespace[1] > namespace[2]) {
      ctx.addIssue({ code: 'custom', path: ['namespace'], message: 'a namespace range needs start ≤ end' });
    }
  })
  .transform((definition) => withDefaultFallback(definition));

/**
 * A global holdout. `fraction` is the share held out.
 * @example holdoutSchema.parse({ key: 'global-holdout', fraction: 0.05 })
 */
export const holdoutSchema = z.object({
  key: keySchema,
  fraction: unitInterval,
  hashVersion: hashVersionSchema.default(2),
  seed: z.string().max(256).optional(),
  hashAttribute: attributeSchema.default('profileId'),
  fallbackAttribute: fallbackSchema,
}).transform((definition) => withDefaultFallback(definition));

/** One problem with an experiment definition. `path` starts at the list: `[2].weights`. */
export interface ExperimentConfigIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface ParseExperimentsResult {
  /** The valid experiments, in input order. */
  readonly experiments: Experiment[];
  /** Why the others were left out; empty when all were valid. */
  readonly issues: ExperimentConfigIssue[];
}

/**
 * Validates a list of experiment definitions. Invalid ones are left out and reported, so one broken
 * experiment does not stop the others; a repeated key keeps the first.
 *
 * @example
 * const { experiments, issues } = parseExperiments(config.experiments ?? []);
 * if (issues.length > 0) logger.warn({ issues }, 'experiments left out');
 */
export function parseExperiments(input: unknown): ParseExperimentsResult {
  if (!Array.isArray(input)) {
    return { experiments: [], issues: [{ path: '', code: 'invalid_type', message: 'experiments must be an array' }] };
  }
  const experiments: Experiment[] = [];
  const issues: ExperimentConfigIssue[] = [];
  const keys = new Set<string>();
  input.forEach((item, index) => {
    const parsed = experimentSchema.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        issues.push({ path: formatIssuePath([index, ...issue.path]), code: issue.code, message: issue.message });
      }
      return;
    }
    if (keys.has(parsed.data.key)) {
      issues.push({ path: formatIssuePath([index, 'key']), code: 'duplicate_key', message: `experiment key "${parsed.data.key}" appears twice; the first is kept` });
      return;
    }
    keys.add(parsed.data.key);
    experiments.push(parsed.data);
  });
  return { experiments, issues };
}

export type ParseHoldoutResult =
  | { readonly ok: true; readonly holdout: Holdout }
  | { readonly ok: false; readonly issues: ExperimentConfigIssue[] };

/**
 * Validates a holdout definition.
 * @example parseHoldout({ key: 'global', fraction: 0.05 }) // { ok: true, holdout: { ..., hashVersion: 2 } }
 */
export function parseHoldout(input: unknown): ParseHoldoutResult {
  const parsed = holdoutSchema.safeParse(input);
  if (parsed.success) return { ok: true, holdout: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), code: issue.code, message: issue.message })),
  };
}
