import * as z from 'zod';
import { ENVELOPE_OBJECTS, EVENT_TYPES } from './envelope';
import type { TrackingPlan } from './tracking-plan';

/** A JSON Schema (draft 2020-12), as a plain object. */
export type JsonSchema = { readonly [key: string]: unknown };

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
/** JSON Schema's form of the envelope rule that zod states as a refinement. */
const NEEDS_IDENTITY = { anyOf: [{ required: ['userId'] }, { required: ['anonymousId'] }] };

function body(schema: z.ZodType, needsIdentity: boolean): Record<string, unknown> {
  // Every sub-schema is embedded in one document, so only the outermost carries `$schema`.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return needsIdentity ? { ...rest, ...NEEDS_IDENTITY } : rest;
}

const ref = (key: string) => ({ $ref: `#/$defs/${encodeURIComponent(key)}` });

/**
 * Exports a tracking plan as one JSON Schema document, so producers in other languages (a POS in Java,
 * a Python backend) can validate before they send. Each planned track event is a `$defs` entry that pins
 * `type: "track"` and the event name; the other call types keep the Segment envelope.
 *
 * @example
 * writeFileSync('plan.schema.json', JSON.stringify(trackingPlanToJsonSchema(plan), null, 2));
 */
export function trackingPlanToJsonSchema(plan: TrackingPlan): JsonSchema {
  const defs: Record<string, unknown> = {};
  const oneOf: unknown[] = [];
  const checked = plan.mode !== 'off';
  const planned = Object.keys(plan.events);
  for (const name of planned) {
    const schema = plan.events[name];
    if (schema === undefined) continue;
    const key = `track:${name}`;
    defs[key] = body(ENVELOPE_OBJECTS.track.extend({ event: z.literal(name), ...(checked ? { properties: schema } : {}) }), true);
    oneOf.push(ref(key));
  }
  if (plan.unplannedEvents !== 'reject') {
    // Unplanned names only, so that a planned event with bad properties cannot slip through here.
    defs['track:*'] = { ...body(ENVELOPE_OBJECTS.track, true), not: { properties: { event: { enum: planned } } } };
    oneOf.push(ref('track:*'));
  }
  for (const type of EVENT_TYPES) {
    if (type === 'track') continue;
    const object = ENVELOPE_OBJECTS[type];
    const traits = (type === 'identify' || type === 'group') && checked ? plan.traits : undefined;
    defs[type] = body(traits === undefined ? object : object.extend({ traits }), type !== 'alias');
    oneOf.push(ref(type));
  }
  return {
    $schema: DRAFT,
    $id: `urn:tailor:tracking-plan:${encodeURIComponent(plan.name)}:${encodeURIComponent(plan.version)}`,
    title: `Tailor tracking plan "${plan.name}" v${plan.version}`,
    description: `Segment-spec events accepted by sources using this plan (mode: ${plan.mode}, unplanned events: ${plan.unplannedEvents}).`,
    oneOf,
    $defs: defs,
  };
}
