import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as z from 'zod';
import { createLmdbStore } from '../collector/lmdb-store';
import { createProgress } from '../progress';
import { sha256Hex } from './checkpoint';
import { importFile } from './import-file';
import { compileMapping } from './mapping';
import { commandUsage, parseFlags, PROCESS_IO, type CommandIo } from '../cli-args';

export type { CommandIo } from '../cli-args';

/** Rejected rows printed one by one before only counting them. */
const SHOWN_REJECTIONS = 20;
const batchSchema = z.coerce.number().int().min(1).max(10_000);

function formatOf(path: string): 'csv' | 'ndjson' | undefined {
  if (/\.(ndjson|jsonl|json)$/i.test(path)) return 'ndjson';
  if (/\.(csv|tsv|txt)$/i.test(path)) return 'csv';
  return undefined;
}

/**
 * `tailor import`: parses the flags, imports the file and prints a summary on stderr (with a progress bar
 * while it works). Returns the exit code: 0 (rejected rows included: see the report), 1 when the import
 * cannot run (say why), 2 for a usage error.
 */
export async function runImportCommand(args: readonly string[], io: CommandIo = PROCESS_IO): Promise<number> {
  const usage = commandUsage('import', io);
  const parsed = parseFlags(args, {
      input: { type: 'string' },
      mapping: { type: 'string' },
      'data-dir': { type: 'string' },
      source: { type: 'string' },
      resume: { type: 'boolean' },
      format: { type: 'string' },
      delimiter: { type: 'string' },
      rejects: { type: 'string' },
      'batch-size': { type: 'string' },
  });
  if ('error' in parsed) return usage(parsed.error);
  const { values } = parsed;
  const input = values.input;
  if (!input) return usage('--input FILE is required (CSV with a header row, or NDJSON)');
  if (!existsSync(input) || !statSync(input).isFile()) return usage(`--input ${input} is not a file`);
  if (!values.mapping) return usage('--mapping FILE is required (a JSON file: see "tailor help")');
  if (!values['data-dir']) return usage("--data-dir DIR is required (the collector's data directory)");
  if (!values.source) return usage('--source ID is required (the source the events belong to, as in the collector config)');
  const format = values.format ?? formatOf(input);
  if (format !== 'csv' && format !== 'ndjson') return usage(`--format is csv or ndjson${values.format ? `; got "${values.format}"` : ` (cannot tell from the name ${basename(input)})`}`);
  const delimiter = values.delimiter ?? (/\.tsv$/i.test(input) ? '\t' : undefined);
  if (delimiter !== undefined && [...delimiter].length !== 1) return usage(`--delimiter is one character, e.g. ";"; got ${JSON.stringify(delimiter)}`);
  const batch = batchSchema.safeParse(values['batch-size'] ?? '500');
  if (!batch.success) return usage(`--batch-size takes 1 to 10000 events, got "${values['batch-size']}"`);

  let mappingText: string;
  let mappingJson: unknown;
  try {
    mappingText = readFileSync(values.mapping, 'utf8');
    mappingJson = JSON.parse(mappingText);
  } catch (error) {
    return usage(`--mapping ${values.mapping}: ${(error as Error).message}`);
  }
  const compiled = compileMapping(mappingJson);
  if (!compiled.ok) return usage(`the mapping ${values.mapping} is not valid:\n  ${compiled.issues.join('\n  ')}`);

  const dataDir = values['data-dir'];
  const importsDir = join(dataDir, 'imports');
  mkdirSync(importsDir, { recursive: true });
  const stem = `${values.source.replace(/[^A-Za-z0-9._-]/g, '_')}-${basename(input).replace(/[^A-Za-z0-9._-]/g, '_')}-${sha256Hex(resolve(input)).slice(0, 8)}`;
  const checkpointPath = join(importsDir, `${stem}.checkpoint.json`);
  const rejectsPath = values.rejects ?? join(importsDir, `${stem}.rejected.csv`);
  if (!existsSync(dirname(resolve(rejectsPath)))) return usage(`--rejects ${rejectsPath}: the directory does not exist`);

  // Another process (a collector with --workers) may append to the same store: take seqs from the shared
  // high-water mark, and let every messageId already in the dedup index count as a duplicate, however old.
  const store = createLmdbStore({ dataDir, multiProcess: true, dedupWindowMs: Number.POSITIVE_INFINITY });
  let shown = 0;
  const started = performance.now();
  try {
    const result = await importFile({
      input,
      format,
      mapping: compiled.compiled,
      mappingText,
      source: values.source,
      target: store,
      checkpointPath,
      rejectsPath,
      resume: values.resume === true,
      batchSize: batch.data,
      ...(delimiter === undefined ? {} : { delimiter }),
      hooks: {
        progress: (label, total) => createProgress(label, total, io.stderr),
        rejected(line, rows, reason) {
          if (++shown <= SHOWN_REJECTIONS) io.stderr.write(`tailor import: line ${line}${rows > 1 ? ` (${rows} rows)` : ''} rejected: ${reason}\n`);
        },
      },
    });
    if (!result.ok) {
      io.stderr.write(`tailor import: ${result.reason}\n`);
      return 1;
    }
    const summary = result.summary;
    if (shown > SHOWN_REJECTIONS) io.stderr.write(`tailor import: ${shown - SHOWN_REJECTIONS} more rejections not shown\n`);
    const seconds = (performance.now() - started) / 1000;
    io.stderr.write(
      summary.alreadyDone
        ? `tailor import: ${input} was already imported into source "${values.source}" (checkpoint ${checkpointPath}); nothing to do\n`
        : [
            `imported ${input} into source "${values.source}"${summary.startedAtLine > 1 ? ` (resumed at line ${summary.startedAtLine})` : ''} in ${seconds.toFixed(1)} s`,
            `  rows read        ${summary.rows}`,
            `  events stored    ${summary.events}`,
            `  already stored   ${summary.duplicates}`,
            `  rows rejected    ${summary.rejectedRows}${summary.rejectedRows > 0 ? ` (report: ${rejectsPath})` : ''}`,
            `  checkpoint       ${checkpointPath}`,
            '',
          ].join('\n'),
    );
    return 0;
  } finally {
    await store.close();
  }
}
