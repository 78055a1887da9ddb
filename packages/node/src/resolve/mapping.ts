import type { IdentifierType } from '@tailor/core';

/**
 * The record fields `tailor resolve` understands: what the retail matcher compares
 * (`createRetailMatcherConfig`) and the identifier types that can join records deterministically.
 */
export const RESOLVE_FIELDS = ['firstName', 'lastName', 'email', 'phone', 'address', 'postcode', 'dob', 'loyaltyId', 'deviceId', 'userId', 'posCustomerId'] as const;
export type ResolveField = (typeof RESOLVE_FIELDS)[number];

/** Fields the probabilistic matcher compares. */
export const MATCHER_FIELDS: ReadonlySet<ResolveField> = new Set(['firstName', 'lastName', 'email', 'phone', 'address', 'postcode', 'dob', 'loyaltyId', 'deviceId']);

/** Fields that are identifiers, and may join records deterministically (see `--deterministic`). */
export const IDENTIFIER_FIELDS = ['email', 'phone', 'loyaltyId', 'posCustomerId', 'userId', 'deviceId'] as const satisfies readonly (ResolveField & IdentifierType)[];
export type IdentifierField = (typeof IDENTIFIER_FIELDS)[number];

/**
 * Identifier types that join by default: a login, an email, a loyalty card and a till's customer id
 * belong to one person. Phones and devices are a household's as often as a person's (a landline, the
 * family tablet), so by default they are evidence for the matcher, not joins.
 */
export const DEFAULT_DETERMINISTIC: readonly IdentifierField[] = ['userId', 'email', 'loyaltyId', 'posCustomerId'];

/** Tailor field → input column. */
export type FieldMap = ReadonlyMap<ResolveField, string>;

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const snake = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
const FIELD_BY_NAME = new Map<string, ResolveField>(RESOLVE_FIELDS.flatMap((field) => [[field.toLowerCase(), field] as const, [snake(field), field] as const]));
const VALID_FIELDS = RESOLVE_FIELDS.map((field) => (snake(field) === field ? field : `${field} (${snake(field)})`)).join(', ');

/** A Tailor field by its camelCase or snake_case name, case-insensitively. */
export function resolveFieldName(name: string): ResolveField | undefined {
  return FIELD_BY_NAME.get(name.trim().toLowerCase()) ?? FIELD_BY_NAME.get(name.trim());
}

/**
 * Parses `first_name=given_name,last_name=surname,email=email` (the value of one or more `--map` flags).
 *
 * @example
 * parseFieldMap(['first_name=given_name,email=Email']) // { ok: true, value: Map { 'firstName' => 'given_name', 'email' => 'Email' } }
 */
export function parseFieldMap(specs: readonly string[]): ParseResult<FieldMap> {
  const map = new Map<ResolveField, string>();
  const entries = specs.flatMap((spec) => spec.split(',')).filter((entry) => entry.trim() !== '');
  if (entries.length === 0) {
    return { ok: false, message: `--map needs at least one field=column pair, e.g. --map first_name=given_name,email=email; fields: ${VALID_FIELDS}` };
  }
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals < 0) return { ok: false, message: `--map entry "${entry.trim()}" is not field=column (e.g. email=email_address)` };
    const name = entry.slice(0, equals).trim();
    const column = entry.slice(equals + 1).trim();
    const field = resolveFieldName(name);
    if (field === undefined) return { ok: false, message: `--map names "${name}", which is not a Tailor field; valid fields: ${VALID_FIELDS}` };
    if (column === '') return { ok: false, message: `--map entry "${entry.trim()}" has no column name after "="` };
    if (map.has(field)) return { ok: false, message: `--map gives ${field} twice ("${map.get(field)}" and "${column}"); map each field to one column` };
    map.set(field, column);
  }
  return { ok: true, value: map };
}

/** `--deterministic email,loyaltyId` (or `none`) → the identifier fields that join deterministically. */
export function parseDeterministic(spec: string | undefined): ParseResult<readonly IdentifierField[]> {
  if (spec === undefined) return { ok: true, value: DEFAULT_DETERMINISTIC };
  if (spec.trim().toLowerCase() === 'none') return { ok: true, value: [] };
  const out: IdentifierField[] = [];
  for (const name of spec.split(',').filter((part) => part.trim() !== '')) {
    const field = resolveFieldName(name);
    const identifier = IDENTIFIER_FIELDS.find((candidate) => candidate === field);
    if (identifier === undefined) {
      return { ok: false, message: `--deterministic names "${name.trim()}", which is not an identifier type; use some of ${IDENTIFIER_FIELDS.join(', ')}, or "none"` };
    }
    if (!out.includes(identifier)) out.push(identifier);
  }
  return { ok: true, value: out };
}

/**
 * Checks the mapped columns and the id column against a CSV header (or, for NDJSON, the keys seen in
 * the file). Returns a message naming what is missing and listing the columns there are.
 */
export function checkColumns(columns: readonly string[], map: FieldMap, idColumn: string, where: string): string | undefined {
  const count = new Map<string, number>();
  for (const column of columns) count.set(column, (count.get(column) ?? 0) + 1);
  const listed = columns.length === 0 ? '(none)' : columns.map((column) => JSON.stringify(column)).join(', ');
  const missing = [
    ...(count.has(idColumn) ? [] : [`"${idColumn}" (the id column; choose another with --id-column)`]),
    ...[...map].filter(([, column]) => !count.has(column)).map(([field, column]) => `"${column}" (mapped from ${field})`),
  ];
  if (missing.length > 0) return `${where} has no column ${missing.join(', no column ')}; its columns are: ${listed}`;
  const twice = [idColumn, ...map.values()].find((column) => (count.get(column) ?? 0) > 1);
  if (twice !== undefined) return `${where} has two columns named "${twice}"; rename one so the mapping is unambiguous`;
  return undefined;
}
