import * as z from 'zod';
import { inspectJson, utf8ByteLength } from './bytes';
import { ENVELOPE_SCHEMAS, EVENT_TYPES, isEventType, type EventType, type SegmentEvent } from './envelope';
import { describeIssue, formatIssuePath, type EventIssue, type SchemaIssue } from './issues';
import { SEGMENT_LIMITS, TAILOR_LIMITS, type SegmentLimits } from './limits';
import { createDefaultTrackingPlan, type PropertiesSchema, type TrackingPlan } from './tracking-plan';

export type EventValidationResult =
  | { readonly ok: true; readonly event: SegmentEvent; readonly warnings: readonly EventIssue[] }
  | { readonly ok: false; readonly issues: readonly EventIssue[] };

export interface BatchValidationResult {
  /** The events that may be stored, in batch order. */
  readonly events: readonly SegmentEvent[];
  /** `indexes[i]` is the batch position of `events[i]`. */
  readonly indexes: readonly number[];
  /** Errors (events dropped) and warnings (events kept), in batch order. */
  readonly issues: readonly EventIssue[];
  readonly rejected: number;
}

export interface EventValidatorOptions {
  /** Defaults to the retail catalog plan. */
  readonly plan?: TrackingPlan;
  readonly limits?: Partial<SegmentLimits> & { readonly maxEventDepth?: number };
}

export interface EventValidator {
  readonly plan: TrackingPlan;
  /**
   * Validates one decoded event. Never throws. `byteLength` skips re-measuring when the caller knows it.
   */
  validate(input: unknown, index?: number, byteLength?: number): EventValidationResult;
  /** Validates each item on its own: one bad event never costs the valid ones. Never throws. */
  validateBatch(inputs: readonly unknown[]): BatchValidationResult;
}

type Envelopes = { [T in EventType]: z.ZodType };

/**
 * Builds a validator for the Segment envelope plus a source's tracking plan. The envelope is always
 * checked; the plan's `mode` decides whether property problems reject the event or only warn.
 *
 * @example
 * const validator = createEventValidator({ plan });
 * const result = validator.validate(JSON.parse(body));
 * if (!result.ok) respond(400, { issues: result.issues });
 */
export function createEventValidator(options: EventValidatorOptions = {}): EventValidator {
  const plan = options.plan ?? createDefaultTrackingPlan();
  const limits = { ...SEGMENT_LIMITS, ...TAILOR_LIMITS, ...options.limits };
  const envelopes = {} as Envelopes;
  for (const type of EVENT_TYPES) {
    envelopes[type] = plan.compile ? z.compile(ENVELOPE_SCHEMAS[type]) : ENVELOPE_SCHEMAS[type];
  }

  function validate(input: unknown, index = 0, byteLength?: number): EventValidationResult {
    const about = identify(input, index);
    const fail = (path: string, code: string, message: string): EventValidationResult => ({
      ok: false,
      issues: [{ ...about, path, code, message: describeIssue(path, message), severity: 'error' }],
    });

    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return fail('', 'invalid_type', `an event must be a JSON object, got ${describeType(input)}`);
    }
    const shape = inspectJson(input, byteLength === undefined ? limits.maxEventBytes : Number.POSITIVE_INFINITY, limits.maxEventDepth);
    if (shape.depth > limits.maxEventDepth) {
      return fail('', 'too_deep', `the event nests more than ${limits.maxEventDepth} levels of objects and arrays; flatten it`);
    }
    const size = byteLength ?? (shape.bound <= limits.maxEventBytes ? shape.bound : measure(input));
    if (size === undefined) return fail('', 'invalid_value', 'the event cannot be encoded as JSON');
    if (size > limits.maxEventBytes) {
      return fail('', 'too_large', `the event is ${size} bytes; the limit is ${limits.maxEventBytes} bytes per event`);
    }
    const type = (input as { type?: unknown }).type;
    if (!isEventType(type)) {
      return fail('type', 'invalid_value', `must be one of ${EVENT_TYPES.join(', ')}, got ${describeValue(type)}`);
    }
    const parsed = envelopes[type].safeParse(input);
    if (!parsed.success) return { ok: false, issues: toEventIssues(parsed.error.issues, about, [], 'error') };
    const event = parsed.data as SegmentEvent;

    const payload = checkPayload(event, about);
    if (payload.length > 0 && payload.some((issue) => issue.severity === 'error')) return { ok: false, issues: payload };
    return { ok: true, event, warnings: payload };
  }

  function checkPayload(event: SegmentEvent, about: IssueSubject): EventIssue[] {
    let schema: PropertiesSchema | undefined;
    let field: 'properties' | 'traits';
    if (event.type === 'track') {
      schema = plan.getEventSchema(event.event);
      field = 'properties';
      if (schema === undefined) {
        if (plan.unplannedEvents === 'allow') return [];
        const message = `event ${JSON.stringify(event.event)} is not in tracking plan "${plan.name}"; add it to the plan or set unplannedEvents to "allow"`;
        return [{ ...about, path: 'event', code: 'unplanned_event', message: describeIssue('event', message), severity: plan.unplannedEvents === 'reject' ? 'error' : 'warning' }];
      }
    } else if (event.type === 'identify' || event.type === 'group') {
      schema = plan.getTraitsSchema();
      field = 'traits';
    } else return [];
    if (schema === undefined || plan.mode === 'off') return [];
    const payload = event[field] ?? {};
    // The boolean check allocates no output; the full parse runs only to explain a failure.
    if (schema.validate(payload)) return [];
    const result = schema.safeParse(payload);
    if (result.success) return [];
    return toEventIssues(result.error.issues, about, [field], plan.mode === 'strict' ? 'error' : 'warning');
  }

  function validateBatch(inputs: readonly unknown[]): BatchValidationResult {
    const events: SegmentEvent[] = [];
    const indexes: number[] = [];
    const issues: EventIssue[] = [];
    for (let index = 0; index < inputs.length; index++) {
      const result = validate(inputs[index], index);
      if (result.ok) {
        events.push(result.event);
        indexes.push(index);
        for (const warning of result.warnings) issues.push(warning);
      } else for (const issue of result.issues) issues.push(issue);
    }
    return { events, indexes, issues, rejected: inputs.length - events.length };
  }

  return { plan, validate, validateBatch };
}

interface IssueSubject {
  readonly index: number;
  readonly messageId?: string;
  readonly event?: string;
}

function identify(input: unknown, index: number): IssueSubject {
  if (typeof input !== 'object' || input === null) return { index };
  const { messageId, event } = input as { messageId?: unknown; event?: unknown };
  return {
    index,
    ...(typeof messageId === 'string' && messageId.length <= 200 ? { messageId } : {}),
    ...(typeof event === 'string' && event.length <= 256 ? { event } : {}),
  };
}

function toEventIssues(
  issues: readonly SchemaIssue[],
  about: IssueSubject,
  prefix: readonly PropertyKey[],
  severity: EventIssue['severity'],
): EventIssue[] {
  return issues.map((issue) => {
    const path = formatIssuePath([...prefix, ...issue.path]);
    return { ...about, path, code: issue.code, message: describeIssue(path, issue.message), severity };
  });
}

/** The event's exact JSON size in UTF-8 bytes, or undefined when it cannot be encoded (cycles, BigInt). */
function measure(input: object): number | undefined {
  try {
    const json = JSON.stringify(input);
    return json === undefined ? undefined : utf8ByteLength(json);
  } catch {
    return undefined;
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return describeType(value);
}

/**
 * Batch-level limits, checked before any event is parsed. Returns a reason, or undefined when the batch fits.
 */
export function checkBatchLimits(count: number, bytes: number, limits: Partial<SegmentLimits> = {}): string | undefined {
  const max = { ...SEGMENT_LIMITS, ...limits };
  if (count > max.maxBatchEvents) return `the batch has ${count} events; the limit is ${max.maxBatchEvents} per batch`;
  if (bytes > max.maxBatchBytes) return `the batch is ${bytes} bytes; the limit is ${max.maxBatchBytes} bytes per batch`;
  return undefined;
}
