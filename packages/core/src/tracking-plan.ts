import * as z from 'zod';
import { RETAIL_EVENTS } from './catalog/index';
import { TailorError } from './errors';

/** What happens to an event whose properties break its schema: reject it, store it with a warning, or don't check. */
export type ValidationMode = 'strict' | 'warn' | 'off';
/** What happens to a track event the plan does not name. */
export type UnplannedEventPolicy = 'allow' | 'warn' | 'reject';

/** A zod schema for one event's `properties` (or for identify `traits`). */
export type PropertiesSchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;
export type EventSchemas = { readonly [event: string]: PropertiesSchema };

export interface TrackingPlanOptions<E extends EventSchemas = EventSchemas, R extends boolean = true> {
  /** Shown in errors and in the JSON Schema export. */
  readonly name: string;
  readonly version?: string;
  /** The retailer's own events; a name that is also in the retail catalog replaces the catalog's schema. */
  readonly events?: E;
  /** Include the Segment E-commerce v2 and POS/loyalty catalog (default true). */
  readonly retailCatalog?: R;
  /** Schema for identify and group `traits`. */
  readonly traits?: PropertiesSchema;
  readonly mode?: ValidationMode;
  readonly unplannedEvents?: UnplannedEventPolicy;
  /** Compile schemas with `z.compile` on first use: several times faster, same results (default true). */
  readonly compile?: boolean;
}

export interface TrackingPlan<E extends EventSchemas = EventSchemas> {
  readonly name: string;
  readonly version: string;
  readonly mode: ValidationMode;
  readonly unplannedEvents: UnplannedEventPolicy;
  readonly events: E;
  readonly traits: PropertiesSchema | undefined;
  readonly compile: boolean;
  /** The (compiled) schema for an event's properties, or undefined when the plan does not name it. */
  getEventSchema(event: string): PropertiesSchema | undefined;
  getTraitsSchema(): PropertiesSchema | undefined;
}

type RetailSchemas = typeof RETAIL_EVENTS;
type Merged<E extends EventSchemas, R extends boolean> = R extends false ? E : Omit<RetailSchemas, keyof E> & E;

/**
 * The properties type of every event in a plan, for typing `track()` at compile time with no zod at run time.
 *
 * @example
 * type Events = PlanEvents<typeof plan>;
 * const tailor = createTailor<Events>({ writeKey });
 * tailor.track('Gift Card Purchased', { amount: 50, currency: 'EUR' });
 */
export type PlanEvents<P> = P extends TrackingPlan<infer E> ? { [K in keyof E]: z.input<E[K]> } : never;

const PLAN_NAME = /^[\w .:@/-]{1,128}$/;

function isZodSchema(value: unknown): value is PropertiesSchema {
  return typeof value === 'object' && value !== null && '_zod' in value && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

function checkOptions(options: TrackingPlanOptions<EventSchemas, boolean>): void {
  const fail = (what: string): never => {
    throw new TailorError('invalid_plan', `defineTrackingPlan(${JSON.stringify(options?.name ?? '')}): ${what}`);
  };
  if (typeof options !== 'object' || options === null) fail('pass an options object with at least a "name"');
  if (typeof options.name !== 'string' || !PLAN_NAME.test(options.name)) {
    fail('"name" must be 1-128 letters, digits, spaces or . : @ / - _');
  }
  if (options.mode !== undefined && !['strict', 'warn', 'off'].includes(options.mode)) {
    fail(`"mode" must be "strict", "warn" or "off", got ${JSON.stringify(options.mode)}`);
  }
  if (options.unplannedEvents !== undefined && !['allow', 'warn', 'reject'].includes(options.unplannedEvents)) {
    fail(`"unplannedEvents" must be "allow", "warn" or "reject", got ${JSON.stringify(options.unplannedEvents)}`);
  }
  if (options.traits !== undefined && !isZodSchema(options.traits)) fail('"traits" must be a zod schema');
  for (const [event, schema] of Object.entries(options.events ?? {})) {
    if (event.length === 0 || event.length > 256) fail(`event names must be 1-256 characters, got ${JSON.stringify(event)}`);
    if (!isZodSchema(schema)) fail(`the schema for event ${JSON.stringify(event)} is not a zod schema (use z.object({...}))`);
  }
}

/**
 * Declares the events a source may send. The same plan validates in the browser (development), the Node
 * client and the collector, types `track()` through {@link PlanEvents}, and exports JSON Schema for
 * producers in other languages. Throws a {@link TailorError} with code `invalid_plan` for a malformed plan.
 *
 * @example
 * const plan = defineTrackingPlan({
 *   name: 'acme-web',
 *   events: { 'Gift Card Purchased': z.object({ amount: z.number().positive(), currency: z.string().length(3) }) },
 *   mode: 'strict',
 * });
 */
export function defineTrackingPlan<const E extends EventSchemas = {}, const R extends boolean = true>(
  options: TrackingPlanOptions<E, R>,
): TrackingPlan<Merged<E, R>> {
  checkOptions(options);
  const events = (
    options.retailCatalog === false ? { ...options.events } : { ...RETAIL_EVENTS, ...options.events }
  ) as unknown as Merged<E, R>;
  const compile = options.compile ?? true;
  const compiled = new Map<string, PropertiesSchema>();
  const prepare = (schema: PropertiesSchema) => (compile ? (z.compile(schema) as PropertiesSchema) : schema);
  let traits: PropertiesSchema | undefined;

  return {
    name: options.name,
    version: options.version ?? '1',
    mode: options.mode ?? 'strict',
    unplannedEvents: options.unplannedEvents ?? 'allow',
    events,
    traits: options.traits,
    compile,
    getEventSchema(event) {
      const cached = compiled.get(event);
      if (cached !== undefined) return cached;
      if (!Object.hasOwn(events, event)) return undefined;
      const schema = prepare((events as EventSchemas)[event] as PropertiesSchema);
      compiled.set(event, schema);
      return schema;
    },
    getTraitsSchema() {
      if (traits === undefined && options.traits !== undefined) traits = prepare(options.traits);
      return traits;
    },
  };
}

/** The plan a source gets when it declares none: the retail catalog, strict, other events allowed. */
export function createDefaultTrackingPlan(): TrackingPlan<RetailSchemas> {
  return defineTrackingPlan({ name: 'tailor-retail', version: '1' });
}
