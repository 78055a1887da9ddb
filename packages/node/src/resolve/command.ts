import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import * as z from 'zod';
import { createProgress } from '../progress';
import { formatOfPath, type InputFormat } from './input';
import { parseDeterministic, parseFieldMap } from './mapping';
import { formatMerge, formatSummary } from './report';
import { resolveFile } from './resolve';
import { commandUsage, parseFlags, PROCESS_IO, type CommandIo } from '../cli-args';

/** Rejected rows printed one by one before only counting them. */
const SHOWN_REJECTIONS = 20;

const thresholdSchema = z.coerce.number().gt(0).lt(1);
const explainSchema = z.coerce.number().int().min(0).max(100_000);
const countryCodeSchema = z.string().regex(/^\+?[1-9]\d{0,2}$/);
const formatSchema = z.enum(['csv', 'ndjson']);

export type { CommandIo } from '../cli-args';

function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

async function writeAssignments(out: string, recordIds: readonly string[], profileIds: readonly string[]): Promise<void> {
  const ndjson = formatOfPath(out) === 'ndjson';
  // Written beside the target and renamed at the end, so an interrupted run never leaves half a file.
  const temporary = `${out}.${process.pid}.partial`;
  const stream = createWriteStream(temporary);
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  try {
    if (!ndjson) stream.write('record_id,profile_id\n');
    let buffer = '';
    for (let i = 0; i < recordIds.length; i++) {
      const id = recordIds[i] as string;
      const profile = profileIds[i] as string;
      buffer += ndjson ? `${JSON.stringify({ record_id: id, profile_id: profile })}\n` : `${csvField(id)},${profile}\n`;
      if (buffer.length >= 1 << 16) {
        if (!stream.write(buffer)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
        buffer = '';
      }
    }
    stream.end(buffer);
    await finished;
    renameSync(temporary, out);
  } catch (error) {
    stream.destroy();
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * `tailor resolve`: parses the flags, resolves the file and writes `record_id,profile_id`. Progress, bad
 * rows and the summary go to stderr; `--explain` output to stdout. Returns the exit code: 0, or 2 for a
 * usage error (with a message that says what to do).
 */
export async function runResolveCommand(args: readonly string[], io: CommandIo = PROCESS_IO): Promise<number> {
  const usage = commandUsage('resolve', io);
  const parsed = parseFlags(args, {
      input: { type: 'string' },
      map: { type: 'string', multiple: true },
      'id-column': { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      threshold: { type: 'string' },
      explain: { type: 'string' },
      deterministic: { type: 'string' },
      'country-code': { type: 'string' },
  });
  if ('error' in parsed) return usage(parsed.error);
  const { values } = parsed;
  if (!values.input) return usage('--input FILE is required (a CSV with a header row, or NDJSON)');
  if (!existsSync(values.input) || !statSync(values.input).isFile()) return usage(`--input ${values.input} is not a file`);
  if (!values.out) return usage('--out FILE is required (record_id,profile_id is written there; .ndjson or .jsonl for NDJSON)');
  if (resolvePath(values.out) === resolvePath(values.input)) return usage('--out must not be the input file');
  if (!existsSync(dirname(resolvePath(values.out)))) return usage(`--out ${values.out}: the directory ${dirname(resolvePath(values.out))} does not exist`);
  if (!values.map) return usage('--map is required: Tailor field=input column pairs, e.g. --map first_name=given_name,email=email');
  const map = parseFieldMap(values.map);
  if (!map.ok) return usage(map.message);
  const deterministic = parseDeterministic(values.deterministic);
  if (!deterministic.ok) return usage(deterministic.message);
  const threshold = thresholdSchema.safeParse(values.threshold ?? '0.95');
  if (!threshold.success) return usage(`--threshold takes a match probability between 0 and 1, e.g. 0.95; got "${values.threshold}"`);
  const explain = explainSchema.safeParse(values.explain ?? '0');
  if (!explain.success) return usage(`--explain takes a number of merges to explain, e.g. 20; got "${values.explain}"`);
  const format = formatSchema.safeParse(values.format ?? formatOfPath(values.input));
  if (!format.success) return usage(`--format is csv or ndjson; got "${values.format}"`);
  const countryCode = values['country-code'] === undefined ? undefined : countryCodeSchema.safeParse(values['country-code']);
  if (countryCode && !countryCode.success) return usage(`--country-code takes a calling code such as 44 or 1; got "${values['country-code']}"`);

  const started = performance.now();
  let rejections = 0;
  const result = await resolveFile({
    input: values.input,
    format: format.data as InputFormat,
    map: map.value,
    idColumn: values['id-column'] ?? 'id',
    threshold: threshold.data,
    deterministic: deterministic.value,
    ...(countryCode?.success ? { countryCode: countryCode.data.replace(/^\+/, '') } : {}),
    explain: explain.data,
    hooks: {
      progress: (label, total) => createProgress(label, total, io.stderr),
      rejected(line, reason) {
        if (++rejections <= SHOWN_REJECTIONS) io.stderr.write(`tailor resolve: line ${line} skipped: ${reason}\n`);
      },
      stage: (message) => io.stderr.write(`${message}\n`),
    },
  });
  if (!result.ok) return usage(result.message);
  if (rejections > SHOWN_REJECTIONS) io.stderr.write(`tailor resolve: ${rejections - SHOWN_REJECTIONS} more rejected rows not shown\n`);
  await writeAssignments(values.out, result.recordIds, result.profileIds);
  io.stderr.write(formatSummary(result.summary, { out: values.out, seconds: (performance.now() - started) / 1000 }));
  if (result.weakest.length > 0) {
    io.stdout.write(`weakest ${result.weakest.length} probabilistic merges (weakest first):\n${result.weakest.map(formatMerge).join('\n')}\n`);
  }
  return 0;
}
