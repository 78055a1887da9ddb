import { createReadStream } from 'node:fs';
import { createCsvParser, type CsvRowResult } from './csv';
import type { FieldMap, ResolveField } from './mapping';
import { createNdjsonParser, type NdjsonRowResult } from './ndjson';

export type InputFormat = 'csv' | 'ndjson';

/** A record's mapped values; a missing or blank value is absent. */
export type RecordValues = Partial<Record<ResolveField, string>>;

/**
 * What reading the input yields, in file order:
 * - `columns`: the CSV header, first; for NDJSON the keys seen in any object, last (there is no header);
 * - `record`: a row with an id and its mapped values;
 * - `rejected`: a row that could not be read, with its line (1-based) and the reason.
 */
export type InputItem =
  | { readonly kind: 'columns'; readonly columns: readonly string[] }
  | { readonly kind: 'record'; readonly line: number; readonly id: string; readonly values: RecordValues }
  | { readonly kind: 'rejected'; readonly line: number; readonly reason: string };

export interface ReadInputOptions {
  readonly format: InputFormat;
  readonly map: FieldMap;
  readonly idColumn: string;
  /** Called with the bytes read by each chunk, for a progress bar. */
  readonly onBytes?: (bytes: number) => void;
}

/** NDJSON keys remembered for the `columns` item; a file with more distinct keys is not a table anyway. */
const MAX_SEEN_KEYS = 10_000;
/** Longer ids are refused (the identity graph's limit for one identifier value). */
export const MAX_ID_LENGTH = 1024;

/** The format a path's extension implies: `.ndjson`, `.jsonl` and `.json` are NDJSON, anything else CSV. */
export function formatOfPath(path: string): InputFormat {
  return /\.(nd)?json(l)?$/i.test(path) ? 'ndjson' : 'csv';
}

function checkId(raw: string | undefined, idColumn: string): string | { reason: string } {
  const id = raw?.trim() ?? '';
  if (id === '') return { reason: `no id in column "${idColumn}"` };
  if (id.length > MAX_ID_LENGTH) return { reason: `id longer than ${MAX_ID_LENGTH} characters` };
  return id;
}

/** Text of a CSV field or JSON value; blank and missing are both undefined. */
function valueOf(raw: unknown): string | undefined | { reason: string } {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.trim() === '' ? undefined : raw.trim();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return { reason: `holds ${Array.isArray(raw) ? 'an array' : 'an object'}, not a value` };
}

/**
 * Streams the records of a CSV or NDJSON file. Memory stays bounded by the longest row: the file is read
 * in 64 KiB chunks and decoded as UTF-8 across chunk boundaries.
 */
export async function* readInput(path: string, options: ReadInputOptions): AsyncGenerator<InputItem> {
  const { map, idColumn } = options;
  const mapped = [...map];
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  const decoder = new TextDecoder('utf-8');

  if (options.format === 'csv') {
    const parser = createCsvParser();
    let header: string[] | undefined;
    let idIndex = -1;
    let indexes: (readonly [ResolveField, number])[] = [];
    const toItem = (row: CsvRowResult): InputItem[] => {
      if (header === undefined) {
        header = row.ok ? row.fields.map((name) => name.trim()) : [];
        idIndex = header.indexOf(idColumn);
        indexes = mapped.map(([field, column]) => [field, (header as string[]).indexOf(column)] as const);
        const columns: InputItem = { kind: 'columns', columns: header };
        return row.ok ? [columns] : [{ kind: 'rejected', line: row.line, reason: `the header cannot be read: ${row.reason}` }, columns];
      }
      if (!row.ok) return [{ kind: 'rejected', line: row.line, reason: row.reason }];
      if (row.fields.length !== header.length) {
        return [{ kind: 'rejected', line: row.line, reason: `${row.fields.length} fields, but the header has ${header.length}` }];
      }
      const id = checkId(row.fields[idIndex], idColumn);
      if (typeof id !== 'string') return [{ kind: 'rejected', line: row.line, ...id }];
      const values: RecordValues = {};
      for (const [field, index] of indexes) {
        const value = valueOf(row.fields[index]);
        if (typeof value === 'string') values[field] = value;
      }
      return [{ kind: 'record', line: row.line, id, values }];
    };
    for await (const chunk of stream) {
      options.onBytes?.((chunk as Buffer).length);
      for (const row of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) yield* toItem(row);
    }
    for (const row of [...parser.push(decoder.decode()), ...parser.end()]) yield* toItem(row);
    if (header === undefined) yield { kind: 'columns', columns: [] };
    return;
  }

  const parser = createNdjsonParser();
  const seen = new Set<string>();
  const toItem = (row: NdjsonRowResult): InputItem => {
    if (!row.ok) return { kind: 'rejected', line: row.line, reason: row.reason };
    if (seen.size < MAX_SEEN_KEYS) for (const key of Object.keys(row.object)) seen.add(key);
    const rawId = row.object[idColumn];
    const id = checkId(typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : typeof rawId === 'string' ? rawId : undefined, idColumn);
    if (typeof id !== 'string') return { kind: 'rejected', line: row.line, ...id };
    const values: RecordValues = {};
    for (const [field, column] of mapped) {
      const value = valueOf(Object.hasOwn(row.object, column) ? row.object[column] : undefined);
      if (typeof value === 'object') return { kind: 'rejected', line: row.line, reason: `"${column}" ${value.reason}` };
      if (value !== undefined) values[field] = value;
    }
    return { kind: 'record', line: row.line, id, values };
  };
  for await (const chunk of stream) {
    options.onBytes?.((chunk as Buffer).length);
    for (const row of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) yield toItem(row);
  }
  for (const row of [...parser.push(decoder.decode()), ...parser.end()]) yield toItem(row);
  yield { kind: 'columns', columns: [...seen] };
}
