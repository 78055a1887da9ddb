import { createReadStream } from 'node:fs';
import { createCsvParser } from '../resolve/csv';
import type { RowValues } from './mapping';

/** A row read from the input, with where it starts: resuming at `offset` reads it again, at line `line`. */
export type InputRow =
  | { readonly ok: true; readonly line: number; readonly offset: number; readonly values: RowValues }
  | { readonly ok: false; readonly line: number; readonly offset: number; readonly reason: string };

export interface ReadRowsOptions {
  readonly format: 'csv' | 'ndjson';
  /** Byte offset to start at: 0, or a row start recorded in a checkpoint. */
  readonly offset?: number;
  /** The line number at `offset` (1 at the start of the file). */
  readonly line?: number;
  /** CSV: the header, when starting past it. */
  readonly header?: readonly string[];
  readonly delimiter?: string;
  /** Bytes per read. Default 64 KiB. */
  readonly chunkBytes?: number;
}

const LF = 10;
const CR = 13;
const MAX_LINE_BYTES = 1 << 20;

/**
 * Streams rows of a CSV (header row first; rows may span lines inside quotes) or NDJSON file, never
 * holding more than a chunk and the current row. Each row carries the byte offset and line where it
 * starts, found by counting line breaks as the CSV parser does (LF, CRLF, lone CR), so a checkpoint can
 * restart exactly at a row. Bad rows are yielded with a reason, never thrown.
 *
 * @example
 * for await (const row of readRows('orders.csv', { format: 'csv' })) if (row.ok) console.log(row.line, row.values);
 */
export async function* readRows(path: string, options: ReadRowsOptions): AsyncGenerator<InputRow> {
  const startOffset = options.offset ?? 0;
  const startLine = options.line ?? 1;
  const stream = createReadStream(path, { start: startOffset, highWaterMark: options.chunkBytes ?? 1 << 16 });
  if (options.format === 'ndjson') {
    yield* ndjsonRows(stream, startOffset, startLine);
    return;
  }
  yield* csvRows(stream, startOffset, startLine, options.header, options.delimiter);
}

async function* csvRows(stream: AsyncIterable<Buffer>, startOffset: number, startLine: number, givenHeader: readonly string[] | undefined, delimiter: string | undefined): AsyncGenerator<InputRow> {
  const parser = createCsvParser(delimiter === undefined ? {} : { delimiter });
  const decoder = new TextDecoder('utf-8');
  // Byte offset at which each parser line starts (parser lines count from 1 at startOffset).
  const lineStarts = new Map<number, number>([[1, startOffset]]);
  let parserLine = 1;
  let position = startOffset;
  let afterCr = false;
  let header = givenHeader === undefined ? undefined : [...givenHeader];

  const toRows = function* (results: ReturnType<typeof parser.push>): Generator<InputRow> {
    for (const result of results) {
      const offset = lineStarts.get(result.line) ?? startOffset;
      const line = result.line + startLine - 1;
      for (const key of lineStarts.keys()) {
        if (key >= result.line) break;
        lineStarts.delete(key);
      }
      if (!result.ok) {
        yield { ok: false, line, offset, reason: result.reason };
      } else if (header === undefined) {
        header = result.fields.map((field) => field.trim());
      } else if (result.fields.length !== header.length) {
        yield { ok: false, line, offset, reason: `the row has ${result.fields.length} fields, the header has ${header.length}` };
      } else {
        const values: Record<string, string> = {};
        for (let j = 0; j < header.length; j++) values[header[j] as string] = result.fields[j] as string;
        yield { ok: true, line, offset, values };
      }
    }
  };

  for await (const chunk of stream) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === LF) {
        if (afterCr) lineStarts.set(parserLine, position + i + 1); // CRLF: the line starts after the LF
        else lineStarts.set(++parserLine, position + i + 1);
        afterCr = false;
      } else if (byte === CR) {
        lineStarts.set(++parserLine, position + i + 1);
        afterCr = true;
      } else afterCr = false;
    }
    position += chunk.length;
    yield* toRows(parser.push(decoder.decode(chunk, { stream: true })));
  }
  yield* toRows(parser.push(decoder.decode()));
  yield* toRows(parser.end());
}

async function* ndjsonRows(stream: AsyncIterable<Buffer>, startOffset: number, startLine: number): AsyncGenerator<InputRow> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineOffset = startOffset;
  let line = startLine;
  let position = startOffset;
  let tooLong = false;

  const finishLine = (bytes: Buffer): InputRow | undefined => {
    const here = { line, offset: lineOffset };
    if (tooLong) return { ok: false, ...here, reason: `the line is longer than ${MAX_LINE_BYTES} bytes` };
    const text = bytes.toString('utf8').trim();
    if (text === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, ...here, reason: `invalid JSON: ${(error as Error).message}` };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, ...here, reason: 'the line is not a JSON object' };
    return { ok: true, ...here, values: value as RowValues };
  };

  for await (const chunk of stream) {
    let from = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const piece = chunk.subarray(from, i);
      const row = finishLine(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      pending = [];
      pendingBytes = 0;
      tooLong = false;
      if (row !== undefined) yield row;
      from = i + 1;
      line++;
      lineOffset = position + from;
    }
    const rest = chunk.subarray(from);
    if (rest.length > 0 && !tooLong) {
      pendingBytes += rest.length;
      if (pendingBytes > MAX_LINE_BYTES) {
        tooLong = true;
        pending = [];
      } else pending.push(Buffer.from(rest));
    }
    position += chunk.length;
  }
  const last = pending.length > 0 || tooLong ? finishLine(Buffer.concat(pending)) : undefined;
  if (last !== undefined) yield last;
}

/** The CSV header of a file (its first row), for resuming past it; undefined for an empty file. */
export async function readCsvHeader(path: string, delimiter?: string): Promise<string[] | undefined> {
  const parser = createCsvParser(delimiter === undefined ? {} : { delimiter });
  const decoder = new TextDecoder('utf-8');
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const first = parser.push(decoder.decode(chunk, { stream: true }))[0];
      if (first !== undefined) return first.ok ? first.fields.map((field) => field.trim()) : undefined;
    }
    const last = parser.end()[0];
    return last?.ok ? last.fields.map((field) => field.trim()) : undefined;
  } finally {
    stream.destroy();
  }
}
