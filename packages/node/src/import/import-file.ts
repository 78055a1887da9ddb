import { closeSync, fsyncSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { createEventValidator, type EventValidator } from '@tailor/core';
import { enrichEvent } from '../collector/ingest';
import type { AppendResult, IngestedEvent } from '../collector/types';
import { fingerprintInput, readCheckpoint, sha256Hex, writeCheckpoint, type ImportCheckpoint } from './checkpoint';
import { buildEvent, type EventUnit } from './build-event';
import type { CompiledMapping } from './mapping';
import { readCsvHeader, readRows } from './row-reader';

/** The one store method an import uses (the collector's LMDB store fits). */
export interface ImportTarget {
  append(sourceId: string, events: readonly IngestedEvent[], receivedAt: number): Promise<AppendResult>;
}

export interface ImportHooks {
  /** A progress bar over the input's bytes (ticks in KiB). */
  readonly progress?: (label: string, totalKiB: number) => { tick(count?: number): void; finish(): void };
  /** Told about each rejected row or group, in file order. */
  readonly rejected?: (line: number, rows: number, reason: string) => void;
}

export interface ImportFileOptions {
  readonly input: string;
  readonly format: 'csv' | 'ndjson';
  readonly mapping: CompiledMapping;
  /** The mapping file's text: part of the checkpoint's fingerprint. */
  readonly mappingText: string;
  readonly source: string;
  readonly target: ImportTarget;
  readonly checkpointPath: string;
  readonly rejectsPath: string;
  /** Continue from the checkpoint (when there is one for this input and mapping). */
  readonly resume?: boolean;
  /** Events per durable append (and checkpoint). Default 500. */
  readonly batchSize?: number;
  readonly delimiter?: string;
  readonly validator?: EventValidator;
  readonly now?: () => number;
  readonly hooks?: ImportHooks;
}

export interface ImportSummary {
  /** Rows read (this run and the runs it resumed). */
  readonly rows: number;
  /** Events stored; duplicates were already in the store (an earlier run of the same file). */
  readonly events: number;
  readonly duplicates: number;
  readonly rejectedRows: number;
  /** The line this run started at (1 for a fresh import). */
  readonly startedAtLine: number;
  /** The checkpoint said the file was already imported: nothing was read. */
  readonly alreadyDone: boolean;
  readonly checkpointPath: string;
  readonly rejectsPath: string;
}

export type ImportFileResult = { readonly ok: true; readonly summary: ImportSummary } | { readonly ok: false; readonly reason: string };

/** Rows one event may gather (an order's lines); a larger group is rejected as a whole. */
const MAX_GROUP_ROWS = 2_500;
/** Group keys remembered to catch an order whose lines are not consecutive. */
const RECENT_GROUP_KEYS = 1_000_000;

interface Unit extends EventUnit {
  readonly offset: number;
  readonly rows: Array<EventUnit['rows'][number]>;
  overflow: boolean;
}

/**
 * Imports a CSV or NDJSON file of historical orders, POS transactions or loyalty records into the event
 * store, streaming: memory holds one batch, never the file. Each row (or group of consecutive rows with the
 * same `groupBy` value: an order's lines become one event with `products[]`) is mapped, validated like
 * collected events (the retail catalog), and given a messageId hashed from the source, the file name and
 * the row's key, so importing the same file again stores nothing twice. Rejected rows go to a CSV report
 * (`line,rows,reason`). After every durable batch a checkpoint records the next row's byte offset; with
 * `resume`, a killed import continues there and every row ends up stored exactly once.
 *
 * @example
 * const result = await importFile({ input: 'orders.csv', format: 'csv', mapping, mappingText, source: 'shop', target: store, checkpointPath, rejectsPath });
 */
export async function importFile(options: ImportFileOptions): Promise<ImportFileResult> {
  const { mapping, source, target } = options;
  const input = resolve(options.input);
  const batchSize = options.batchSize ?? 500;
  const now = options.now ?? Date.now;
  const validator = options.validator ?? createEventValidator();
  const fileSize = statSync(input).size;
  const fingerprint = fingerprintInput(input);
  const mappingHash = sha256Hex(options.mappingText);
  const fileName = basename(input);

  let header: string[] | undefined;
  if (options.format === 'csv') {
    header = await readCsvHeader(input, options.delimiter);
    if (header === undefined) return { ok: false, reason: `${options.input} has no header row` };
    const duplicated = header.filter((name, i) => header?.indexOf(name) !== i);
    if (duplicated.length > 0) return { ok: false, reason: `the header of ${options.input} repeats column(s) ${[...new Set(duplicated)].join(', ')}` };
    const missing = mapping.columns.filter((column) => !header?.includes(column));
    if (missing.length > 0) return { ok: false, reason: `the mapping reads column(s) ${missing.map((c) => `"${c}"`).join(', ')} that ${options.input} does not have (header: ${header.join(', ')})` };
  }

  let checkpoint: ImportCheckpoint = {
    v: 1,
    source,
    input,
    fingerprint,
    mappingHash,
    offset: 0,
    line: 1,
    rows: 0,
    events: 0,
    duplicates: 0,
    rejectedRows: 0,
    rejectsBytes: 0,
    done: false,
    updatedAt: new Date(now()).toISOString(),
  };
  if (options.resume) {
    const read = await readCheckpoint(options.checkpointPath);
    if (!read.ok) return read;
    const saved = read.checkpoint;
    if (saved !== undefined) {
      if (saved.fingerprint !== fingerprint || saved.mappingHash !== mappingHash || saved.source !== source) {
        return { ok: false, reason: `the checkpoint ${options.checkpointPath} is for another input, mapping or source; run without --resume to import from the start (stored rows are deduplicated)` };
      }
      if (saved.offset > fileSize) return { ok: false, reason: `${options.input} is shorter than when the checkpoint was written; run without --resume` };
      checkpoint = saved;
    }
  }
  const startedAtLine = checkpoint.line;
  const summaryOf = (alreadyDone: boolean): ImportSummary => ({
    rows: checkpoint.rows,
    events: checkpoint.events,
    duplicates: checkpoint.duplicates,
    rejectedRows: checkpoint.rejectedRows,
    startedAtLine,
    alreadyDone,
    checkpointPath: options.checkpointPath,
    rejectsPath: options.rejectsPath,
  });
  if (checkpoint.done) return { ok: true, summary: summaryOf(true) };

  // The report is cut back to what the checkpoint covers: rejections after it are found again.
  const rejects = openSync(options.rejectsPath, checkpoint.offset > 0 ? 'r+' : 'w');
  let rejectsBytes = checkpoint.rejectsBytes;
  try {
    ftruncateSync(rejects, rejectsBytes);
    if (rejectsBytes === 0) rejectsBytes += writeSync(rejects, 'line,rows,reason\n', rejectsBytes);
    const progress = options.hooks?.progress?.('import (KiB)', Math.ceil(fileSize / 1024));
    let reportedKiB = Math.floor(checkpoint.offset / 1024);
    progress?.tick(reportedKiB);

    let pending: IngestedEvent[] = [];
    let pendingRejects = '';
    let pendingRejected = 0;
    let pendingRows = 0;
    let open: Unit | undefined;
    const recentKeys = new Map<string, number>();

    const reject = (line: number, rows: number, reason: string) => {
      pendingRejects += `${line},${rows},${csvField(reason)}\n`;
      pendingRejected += rows;
      options.hooks?.rejected?.(line, rows, reason);
    };

    const complete = (unit: Unit) => {
      if (unit.overflow) return reject(unit.line, unit.rows.length, `more than ${MAX_GROUP_ROWS} rows share ${mapping.mapping.groupBy} ${JSON.stringify(unit.key)}; is the file sorted by it?`);
      if (unit.key !== undefined) {
        const seenAt = recentKeys.get(unit.key);
        if (seenAt !== undefined) {
          return reject(unit.line, unit.rows.length, `the rows of ${mapping.mapping.groupBy} ${JSON.stringify(unit.key)} are not consecutive (it also starts at line ${seenAt}); sort the file by "${mapping.mapping.groupBy}"`);
        }
        recentKeys.set(unit.key, unit.line);
        if (recentKeys.size > RECENT_GROUP_KEYS) recentKeys.delete(recentKeys.keys().next().value as string);
      }
      const built = buildEvent(unit, mapping, source, fileName);
      if (!built.ok) return reject(unit.line, unit.rows.length, built.reason);
      const checked = validator.validate(built.event);
      if (!checked.ok) return reject(unit.line, unit.rows.length, checked.issues.map((issue) => issue.message).join('; '));
      const receivedAt = now();
      pending.push({ messageId: built.messageId, event: enrichEvent(checked.event, { receivedAt, receivedIso: new Date(receivedAt).toISOString(), anonymizeIp: false }) });
    };

    /** Makes everything before `at` durable, then records `at` as where to resume. */
    const flush = async (at: { offset: number; line: number }, done: boolean) => {
      if (pendingRejects !== '') {
        rejectsBytes += writeSync(rejects, pendingRejects, rejectsBytes);
        fsyncSync(rejects);
      }
      let stored = 0;
      let duplicates = 0;
      if (pending.length > 0) {
        const result = await target.append(source, pending, now());
        stored = result.stored;
        duplicates = result.duplicates;
      }
      checkpoint = {
        ...checkpoint,
        offset: at.offset,
        line: at.line,
        rows: checkpoint.rows + pendingRows,
        events: checkpoint.events + stored,
        duplicates: checkpoint.duplicates + duplicates,
        rejectedRows: checkpoint.rejectedRows + pendingRejected,
        rejectsBytes,
        done,
        updatedAt: new Date(now()).toISOString(),
      };
      await writeCheckpoint(options.checkpointPath, checkpoint);
      pending = [];
      pendingRejects = '';
      pendingRejected = 0;
      pendingRows = 0;
      const kiB = Math.floor(at.offset / 1024);
      progress?.tick(kiB - reportedKiB);
      reportedKiB = kiB;
    };

    const rows = readRows(input, {
      format: options.format,
      offset: checkpoint.offset,
      line: checkpoint.line,
      // From the start the reader takes the header row itself; past it, it needs to be told.
      ...(header === undefined || checkpoint.offset === 0 ? {} : { header }),
      ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
    });
    for await (const row of rows) {
      if (!row.ok) {
        // A row that cannot be read belongs to no group: reject it alone, the open group goes on.
        pendingRows++;
        reject(row.line, 1, row.reason);
        continue;
      }
      const key = mapping.groupKeyOf(row.values);
      if (open !== undefined && key !== open.key) {
        complete(open);
        open = undefined;
      }
      if (open === undefined && pending.length + pendingRejected >= batchSize) await flush({ offset: row.offset, line: row.line }, false);
      pendingRows++;
      if (key === '') {
        reject(row.line, 1, `column "${mapping.mapping.groupBy}" (groupBy) is empty`);
        continue;
      }
      if (open === undefined) open = { key, line: row.line, offset: row.offset, rows: [], overflow: false };
      if (open.rows.length < MAX_GROUP_ROWS) open.rows.push({ line: row.line, values: row.values });
      else open.overflow = true;
      if (key === undefined) {
        complete(open);
        open = undefined;
      }
    }
    if (open !== undefined) complete(open);
    await flush({ offset: fileSize, line: checkpoint.line }, true);
    progress?.finish();
  } finally {
    closeSync(rejects);
  }
  return { ok: true, summary: summaryOf(false) };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
