import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatNumber, machine, type Benchmark, type Figure } from './harness';

/**
 * `npm run bench [-- name…]`: runs every `bench/*.bench.ts` (or the named ones), prints each figure with
 * its ratio to the baseline measured in the same run, and rewrites that benchmark's section of
 * bench/RESULTS.md with the date and machine.
 */
const DIR = fileURLToPath(new URL('.', import.meta.url));
const RESULTS = `${DIR}RESULTS.md`;
const wanted = process.argv.slice(2);

function row(figure: Figure): string {
  const ratio = figure.ratio === undefined ? '' : `${figure.ratio.toFixed(2)}× ${figure.baseline?.name ?? ''}`;
  const budget = figure.budget === undefined ? '' : `${figure.budget.met ? 'met' : 'MISSED'}: ${figure.budget.text}`;
  return `| ${figure.name} | ${formatNumber(figure.value)} ${figure.unit} | ${ratio} | ${budget} | ${figure.note ?? ''} |`;
}

function section(bench: Benchmark, figures: Figure[], when: string): string {
  return [
    `<!-- bench:${bench.name} -->`,
    `## ${bench.name}`,
    '',
    bench.description,
    '',
    `Measured ${when} on ${machine()}.`,
    '',
    '| figure | value | ratio to same-run baseline | budget | note |',
    '|---|---|---|---|---|',
    ...figures.map(row),
    `<!-- /bench:${bench.name} -->`,
  ].join('\n');
}

function record(name: string, text: string): void {
  const header = '# Benchmark results\n\nWritten by `npm run bench`; each section is replaced when its benchmark runs again.\n';
  let current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : header;
  const pattern = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  current = pattern.test(current) ? current.replace(pattern, text) : `${current.trimEnd()}\n\n${text}\n`;
  writeFileSync(RESULTS, current);
}

const files = readdirSync(DIR).filter((file) => file.endsWith('.bench.ts')).sort();
let missed = 0;
for (const file of files) {
  const bench = (await import(pathToFileURL(DIR + file).href)).default as Benchmark;
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  process.stdout.write(`\n▶ ${bench.name}: ${bench.description}\n`);
  const figures = await bench.run();
  for (const figure of figures) process.stdout.write(`  ${row(figure)}\n`);
  missed += figures.filter((figure) => figure.budget && !figure.budget.met).length;
  record(bench.name, section(bench, figures, new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'));
}
process.stdout.write(`\nRecorded in bench/RESULTS.md${missed > 0 ? ` — ${missed} budget(s) missed` : ''}.\n`);
