import * as z from 'zod';
import { formatIssuePath } from '../issues';
import { DEFAULT_RETAIL_FEATURE_SPEC } from './default-spec';
import type { FeatureSpec, FeatureState } from './types';

// The spec and stored states are validated where they enter (config load, a state read back from
// LMDB / IndexedDB / Postgres); applyEvent and readFeatures then work on plain objects without zod.

const D = DEFAULT_RETAIL_FEATURE_SPEC;

/** Names that become feature-name segments and object keys: lower case, starting with a letter. */
const segmentSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be lower case letters, digits, "_" or "-", starting with a letter, at most 64 characters');
const eventNamesSchema = z.array(z.string().min(1).max(256)).max(32);
const daysSchema = z.number().positive().max(3650);

function unique<T>(values: readonly T[]): boolean {
  return new Set(values).size === values.length;
}

/**
 * Validates a {@link FeatureSpec}; every part left out takes its value from
 * {@link DEFAULT_RETAIL_FEATURE_SPEC}, so `{}` is the default spec.
 */
export const featureSpecSchema = z.object({
  version: z.string().min(1).max(128).default(D.version),
  events: z
    .object({
      order: eventNamesSchema.default(() => [...D.events.order]),
      productView: eventNamesSchema.default(() => [...D.events.productView]),
      productAdd: eventNamesSchema.default(() => [...D.events.productAdd]),
      productRemove: eventNamesSchema.default(() => [...D.events.productRemove]),
      search: eventNamesSchema.default(() => [...D.events.search]),
      cartView: eventNamesSchema.default(() => [...D.events.cartView]),
    })
    .prefault({}),
  rfm: z
    .object({
      windowsDays: z
        .array(z.number().int().min(1).max(3650))
        .max(8)
        .refine(unique, 'window lengths must differ')
        .default(() => [...D.rfm.windowsDays]),
      halfLifeDays: daysSchema.default(D.rfm.halfLifeDays),
      recencyCapDays: daysSchema.default(D.rfm.recencyCapDays),
      maxRecentOrders: z.number().int().min(1).max(1000).default(D.rfm.maxRecentOrders),
    })
    .prefault({}),
  affinity: z
    .object({
      dimensions: z.array(segmentSchema).max(4).refine(unique, 'dimensions must differ').default(() => [...D.affinity.dimensions]),
      halfLifeDays: daysSchema.default(D.affinity.halfLifeDays),
      maxKeys: z.number().int().min(1).max(200).default(D.affinity.maxKeys),
      weights: z
        .object({
          view: z.number().min(0).max(1000).default(D.affinity.weights.view),
          add: z.number().min(0).max(1000).default(D.affinity.weights.add),
          purchase: z.number().min(0).max(1000).default(D.affinity.weights.purchase),
        })
        .prefault({}),
    })
    .prefault({}),
  session: z
    .object({ timeoutMinutes: z.number().positive().max(1440).default(D.session.timeoutMinutes) })
    .prefault({}),
  channel: z
    .object({
      channels: z.array(segmentSchema).max(16).refine(unique, 'channels must differ').default(() => [...D.channel.channels]),
    })
    .prefault({}),
});

/** One problem with a feature spec or a stored state, as data. */
export interface FeatureSpecIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export type ParseFeatureSpecResult =
  | { readonly ok: true; readonly spec: FeatureSpec }
  | { readonly ok: false; readonly issues: FeatureSpecIssue[] };

/**
 * Validates a feature spec, filling in defaults.
 * @example parseFeatureSpec({ session: { timeoutMinutes: 20 } }) // { ok: true, spec: { ...default, session: { timeoutMinutes: 20 } } }
 */
export function parseFeatureSpec(input: unknown): ParseFeatureSpecResult {
  const parsed = featureSpecSchema.safeParse(input);
  if (parsed.success) return { ok: true, spec: parsed.data };
  return { ok: false, issues: toIssues(parsed.error.issues) };
}

const timeSchema = z.number();
const countSchema = z.number().min(0);
const decayedSchema = z.object({ value: z.number(), at: timeSchema });

/** A stored {@link FeatureState}, checked before use: storage outlives code, and bytes get corrupted. */
export const featureStateSchema = z.object({
  v: z.literal(1),
  specVersion: z.string(),
  lastEventAt: timeSchema.nullable(),
  ignored: countSchema,
  rfm: z.object({
    orders: countSchema,
    revenue: countSchema,
    firstOrderAt: timeSchema.nullable(),
    lastOrderAt: timeSchema.nullable(),
    ordersDecayed: decayedSchema,
    revenueDecayed: decayedSchema,
    recent: z.array(z.tuple([timeSchema, countSchema])),
  }),
  affinity: z.record(z.string(), z.object({ total: decayedSchema, keys: z.record(z.string(), decayedSchema) })),
  session: z
    .object({
      startAt: timeSchema,
      lastAt: timeSchema,
      events: countSchema,
      productViews: countSchema,
      searches: countSchema,
      addToCarts: countSchema,
      cartValue: countSchema,
      cartAt: timeSchema,
    })
    .nullable(),
  price: z.object({
    orders: countSchema,
    discountedOrders: countSchema,
    paidSum: countSchema,
    paidUnits: countSchema,
    viewedSum: countSchema,
    viewedCount: countSchema,
  }),
  channel: z.object({
    events: z.record(z.string(), countSchema),
    orders: z.record(z.string(), countSchema),
    totalEvents: countSchema,
    totalOrders: countSchema,
  }),
});

export type ParseFeatureStateResult =
  | { readonly ok: true; readonly state: FeatureState }
  | { readonly ok: false; readonly issues: FeatureSpecIssue[] };

/**
 * Checks a state read back from storage against the layout and against `spec`. A `spec_mismatch`
 * issue means the state was built under another spec version: rebuild it from the event log (decayed
 * values and bounded lists cannot be converted).
 *
 * @example
 * const loaded = parseFeatureState(decode(bytes), spec);
 * const state = loaded.ok ? loaded.state : createFeatureState(spec);
 */
export function parseFeatureState(input: unknown, spec: FeatureSpec): ParseFeatureStateResult {
  const parsed = featureStateSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error.issues) };
  if (parsed.data.specVersion !== spec.version) {
    return {
      ok: false,
      issues: [{ path: 'specVersion', code: 'spec_mismatch', message: `built for spec "${parsed.data.specVersion}", not "${spec.version}": rebuild it from the event log` }],
    };
  }
  return { ok: true, state: parsed.data };
}

function toIssues(issues: readonly { path: readonly PropertyKey[]; code: string; message: string }[]): FeatureSpecIssue[] {
  return issues.map((issue) => ({ path: formatIssuePath(issue.path), code: issue.code, message: issue.message }));
}
