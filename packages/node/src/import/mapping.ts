import * as z from 'zod';
import { createTimestampParser, type TimestampParser } from './timestamp';

/**
 * How rows become events: a JSON file given to `tailor import --mapping`. A field is a column name (a
 * dotted path for NDJSON), `{ "column", "type", "prefix" }`, or a constant `{ "value" }`.
 *
 * @example
 * {
 *   "event": "Order Completed",
 *   "timestamp": { "column": "ordered_at", "format": "YYYY-MM-DD HH:mm:ss", "utcOffset": "+01:00" },
 *   "identity": { "userId": "customer_id", "loyaltyId": "card_no" },
 *   "channel": { "value": "pos" },
 *   "groupBy": "order_id",
 *   "properties": { "order_id": "order_id", "revenue": { "column": "order_total", "type": "number" }, "currency": { "value": "EUR" } },
 *   "products": { "sku": "sku", "price": { "column": "unit_price", "type": "number" }, "quantity": { "column": "qty", "type": "integer" } }
 * }
 */
const fieldSchema = z.union([
  z.string().min(1),
  z.strictObject({
    column: z.string().min(1),
    type: z.enum(['string', 'number', 'integer', 'boolean']).optional(),
    /** Put before a string value: `"loyalty:"` turns a card number into an id no other system uses. */
    prefix: z.string().optional(),
  }),
  z.strictObject({ value: z.union([z.string(), z.number(), z.boolean()]) }),
]);

const fieldMapSchema = z.record(z.string().min(1), fieldSchema);

export const importMappingSchema = z.strictObject({
  /** `track` (default) or `identify` (customer or loyalty records: `traits`). */
  type: z.enum(['track', 'identify']).optional(),
  /** A track event's name, a column holding it, or a column whose values map to names. */
  event: z.union([z.string().min(1), z.strictObject({ column: z.string().min(1), map: z.record(z.string(), z.string().min(1)).optional() })]).optional(),
  timestamp: z.strictObject({
    column: z.string().min(1),
    /** `iso` (default), `epoch_ms`, `epoch_s`, or a pattern such as `DD/MM/YYYY HH:mm`. */
    format: z.string().min(1).optional(),
    /** For times written without an offset. Default `Z` (UTC). */
    utcOffset: z.string().optional(),
  }),
  identity: z
    .strictObject({
      userId: fieldSchema.optional(),
      anonymousId: fieldSchema.optional(),
      email: fieldSchema.optional(),
      phone: fieldSchema.optional(),
      loyaltyId: fieldSchema.optional(),
      posCustomerId: fieldSchema.optional(),
    })
    .refine((identity) => Object.keys(identity).length > 0, { error: 'map at least one identifier (userId, anonymousId, email, phone, loyaltyId, posCustomerId)' }),
  /** `context.channel`: web, app, pos, callcenter, email, kiosk. */
  channel: fieldSchema.optional(),
  /** Consecutive rows with the same value of this column are one event (an order's lines). */
  groupBy: z.string().min(1).optional(),
  /** Columns that identify a row (or group) for its messageId; default the groupBy column, else the line number. */
  key: z.array(z.string().min(1)).min(1).optional(),
  properties: fieldMapSchema.optional(),
  /** Per row: one `properties.products[]` entry (all of a group's rows with groupBy). */
  products: fieldMapSchema.optional(),
  /** identify only. */
  traits: fieldMapSchema.optional(),
  /** More `context` fields, e.g. `{ "store_id": "store" }`. */
  context: fieldMapSchema.optional(),
});

export type ImportMapping = z.output<typeof importMappingSchema>;
type Field = z.output<typeof fieldSchema>;

/** A row's values: CSV header → text, or an NDJSON object. */
export type RowValues = Readonly<Record<string, unknown>>;

export type FieldResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** The mapping compiled for fast per-row use. */
export interface CompiledMapping {
  readonly mapping: ImportMapping;
  readonly timestamp: TimestampParser;
  /** Columns the mapping reads (CSV: each must be in the header). */
  readonly columns: readonly string[];
  readonly read: (row: RowValues, field: Field) => FieldResult;
  readonly groupKeyOf: (row: RowValues) => string | undefined;
  readonly rowKeyOf: (row: RowValues, line: number) => string;
}

export type CompileMappingResult = { readonly ok: true; readonly compiled: CompiledMapping } | { readonly ok: false; readonly issues: readonly string[] };

/** Validates a parsed mapping file and compiles it; issues name the path and the problem. */
export function compileMapping(input: unknown): CompileMappingResult {
  const parsed = importMappingSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(mapping)'}: ${issue.message}`) };
  const mapping = parsed.data;
  const issues: string[] = [];
  const type = mapping.type ?? 'track';
  if (type === 'track' && mapping.event === undefined) issues.push('event: a track mapping needs "event" (a name, or { "column" })');
  if (type === 'identify' && (mapping.event !== undefined || mapping.products !== undefined || mapping.groupBy !== undefined)) {
    issues.push('type: an identify mapping takes "traits", not "event", "products" or "groupBy"');
  }
  if (mapping.products !== undefined && mapping.properties?.products !== undefined) issues.push('properties.products: give products in "products", not both');
  const timestamp = createTimestampParser(mapping.timestamp.format ?? 'iso', mapping.timestamp.utcOffset ?? 'Z');
  if (typeof timestamp === 'string') issues.push(`timestamp: ${timestamp}`);
  if (issues.length > 0 || typeof timestamp === 'string') return { ok: false, issues };

  const columns = new Set<string>([mapping.timestamp.column]);
  const collect = (field: Field | undefined) => {
    if (typeof field === 'string') columns.add(field);
    else if (field !== undefined && 'column' in field) columns.add(field.column);
  };
  if (typeof mapping.event === 'object') columns.add(mapping.event.column);
  for (const field of Object.values(mapping.identity)) collect(field);
  collect(mapping.channel);
  if (mapping.groupBy !== undefined) columns.add(mapping.groupBy);
  for (const column of mapping.key ?? []) columns.add(column);
  for (const map of [mapping.properties, mapping.products, mapping.traits, mapping.context]) for (const field of Object.values(map ?? {})) collect(field);

  const keyColumns = mapping.key ?? (mapping.groupBy === undefined ? undefined : [mapping.groupBy]);
  return {
    ok: true,
    compiled: {
      mapping,
      timestamp,
      columns: [...columns],
      read: readField,
      groupKeyOf: (row) => (mapping.groupBy === undefined ? undefined : textOf(valueAt(row, mapping.groupBy)) ?? ''),
      rowKeyOf: (row, line) => (keyColumns === undefined ? `line:${line}` : keyColumns.map((column) => textOf(valueAt(row, column)) ?? '').join('\u0000')),
    },
  };
}

/** A column's value: the CSV field, or a dotted path into an NDJSON object (an exact key wins). */
export function valueAt(row: RowValues, column: string): unknown {
  if (Object.hasOwn(row, column)) return row[column];
  if (!column.includes('.')) return undefined;
  let at: unknown = row;
  for (const part of column.split('.')) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  return text === '' ? undefined : text;
}

/** Reads one field: empty cells are absent (undefined); typed fields are converted or explained. */
function readField(row: RowValues, field: Field): FieldResult {
  if (typeof field === 'object' && 'value' in field) return { ok: true, value: field.value };
  const column = typeof field === 'string' ? field : field.column;
  const raw = valueAt(row, column);
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return { ok: true, value: undefined };
  const type = typeof field === 'string' ? undefined : field.type;
  const prefix = typeof field === 'string' ? undefined : field.prefix;
  if (type === 'number' || type === 'integer') {
    const number = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(number)) return { ok: false, reason: `column "${column}": ${JSON.stringify(raw)} is not a number` };
    if (type === 'integer' && !Number.isInteger(number)) return { ok: false, reason: `column "${column}": ${JSON.stringify(raw)} is not a whole number` };
    return { ok: true, value: number };
  }
  if (type === 'boolean') {
    const text = String(raw).trim().toLowerCase();
    if (['true', '1', 'yes', 'y'].includes(text)) return { ok: true, value: true };
    if (['false', '0', 'no', 'n'].includes(text)) return { ok: true, value: false };
    return { ok: false, reason: `column "${column}": ${JSON.stringify(raw)} is not true/false` };
  }
  // Untyped NDJSON values keep their JSON type; text (every CSV field) is trimmed.
  if (type === 'string' || typeof raw === 'string') {
    const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
    return { ok: true, value: prefix === undefined ? text : `${prefix}${text}` };
  }
  return { ok: true, value: raw };
}
