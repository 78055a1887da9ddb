import { sha256Hex } from './checkpoint';
import { valueAt, type CompiledMapping, type RowValues } from './mapping';

/** Rows that become one event: one row, or an order's consecutive lines (`groupBy`). */
export interface EventUnit {
  readonly key: string | undefined;
  readonly line: number;
  readonly rows: ReadonlyArray<{ readonly line: number; readonly values: RowValues }>;
}

const LIBRARY = { name: 'tailor-import', version: '0.1.0' };

export type BuiltEvent = { readonly ok: true; readonly event: Record<string, unknown>; readonly messageId: string } | { readonly ok: false; readonly reason: string };

const IDENTITY_FALLBACK_ORDER = ['loyaltyId', 'posCustomerId', 'email', 'phone'] as const;

/**
 * One Segment event from a unit's rows: order-level fields from the first row, one `products[]` entry per
 * row, identifiers where the identity graph reads them (email and phone in `context.traits`, loyalty and POS
 * ids in `context`), and a messageId hashed from source, file name and the row's key. Not yet validated.
 */
export function buildEvent(unit: EventUnit, compiled: CompiledMapping, source: string, fileName: string): BuiltEvent {
  const { mapping } = compiled;
  const first = unit.rows[0] as { line: number; values: RowValues };
  const at = (line: number, reason: string): BuiltEvent => ({ ok: false, reason: unit.rows.length > 1 ? `line ${line}: ${reason}` : reason });
  const time = compiled.timestamp(valueAt(first.values, mapping.timestamp.column));
  if (!time.ok) return at(first.line, `column "${mapping.timestamp.column}": ${time.reason}`);

  const read = (values: RowValues, line: number, fields: Readonly<Record<string, unknown>> | undefined, into: Record<string, unknown>): string | undefined => {
    for (const [name, field] of Object.entries(fields ?? {})) {
      const result = compiled.read(values, field as Parameters<CompiledMapping['read']>[1]);
      if (!result.ok) return unit.rows.length > 1 ? `line ${line}: ${result.reason}` : result.reason;
      if (result.value !== undefined) into[name] = result.value;
    }
    return undefined;
  };

  const identity: Record<string, unknown> = {};
  const identityProblem = read(first.values, first.line, mapping.identity, identity);
  if (identityProblem) return { ok: false, reason: identityProblem };
  const context: Record<string, unknown> = { library: LIBRARY };
  const contextProblem = read(first.values, first.line, mapping.context, context);
  if (contextProblem) return { ok: false, reason: contextProblem };
  if (mapping.channel !== undefined) {
    const channel = compiled.read(first.values, mapping.channel);
    if (!channel.ok) return { ok: false, reason: channel.reason };
    if (channel.value !== undefined) context.channel = channel.value;
  }
  const traits: Record<string, unknown> = {};
  if (identity.email !== undefined) traits.email = identity.email;
  if (identity.phone !== undefined) traits.phone = identity.phone;
  if (identity.loyaltyId !== undefined) context.loyaltyId = identity.loyaltyId;
  if (identity.posCustomerId !== undefined) context.posCustomerId = identity.posCustomerId;

  const event: Record<string, unknown> = { type: mapping.type ?? 'track' };
  if (identity.userId !== undefined) event.userId = String(identity.userId);
  if (identity.anonymousId !== undefined) event.anonymousId = String(identity.anonymousId);
  if (event.userId === undefined && event.anonymousId === undefined) {
    // Segment needs userId or anonymousId: derive a stable one from the record's other identifier.
    const type = IDENTITY_FALLBACK_ORDER.find((name) => identity[name] !== undefined);
    if (type === undefined) return { ok: false, reason: 'no identifier: every identity column of the mapping is empty' };
    event.anonymousId = `import-${sha256Hex(`${type}:${String(identity[type])}`).slice(0, 24)}`;
  }

  if (event.type === 'identify') {
    const mapped: Record<string, unknown> = {};
    const problem = read(first.values, first.line, mapping.traits, mapped);
    if (problem) return { ok: false, reason: problem };
    event.traits = { ...mapped, ...traits };
  } else {
    const name = eventName(first.values, compiled);
    if (typeof name !== 'string') return { ok: false, reason: name.reason };
    event.event = name;
    if (Object.keys(traits).length > 0) context.traits = traits;
    const properties: Record<string, unknown> = {};
    const problem = read(first.values, first.line, mapping.properties, properties);
    if (problem) return { ok: false, reason: problem };
    if (mapping.products !== undefined) {
      const products: Record<string, unknown>[] = [];
      for (const row of unit.rows) {
        const product: Record<string, unknown> = {};
        const lineProblem = read(row.values, row.line, mapping.products, product);
        if (lineProblem) return { ok: false, reason: lineProblem };
        if (Object.keys(product).length > 0) products.push(product);
      }
      if (products.length > 0) properties.products = products;
    }
    event.properties = properties;
  }
  event.context = context;
  event.timestamp = new Date(time.ms).toISOString();
  // The key columns (default: the groupBy column, else the line number) name the row in every run.
  const rowKey = compiled.rowKeyOf(first.values, first.line);
  const messageId = `imp-${sha256Hex(`${source}\u0000${fileName}\u0000${rowKey}`).slice(0, 40)}`;
  event.messageId = messageId;
  return { ok: true, event, messageId };
}

function eventName(values: RowValues, compiled: CompiledMapping): string | { reason: string } {
  const spec = compiled.mapping.event;
  if (typeof spec === 'string') return spec;
  if (spec === undefined) return { reason: 'no event name' };
  const raw = valueAt(values, spec.column);
  const text = typeof raw === 'string' ? raw.trim() : raw === undefined || raw === null ? '' : String(raw);
  if (text === '') return { reason: `column "${spec.column}" (the event name) is empty` };
  if (spec.map === undefined) return text;
  const mapped = spec.map[text];
  return mapped ?? { reason: `column "${spec.column}": ${JSON.stringify(text)} is not one of ${Object.keys(spec.map).map((k) => JSON.stringify(k)).join(', ')} in the mapping's "event.map"` };
}
