import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentities } from '@tailor/core';
import { afterAll, describe, expect, it } from 'vitest';
import { profileIdOf } from '../src/resolve/index';
import { runTailor } from './collector-process';

const FIXTURES = fileURLToPath(new URL('./fixtures/resolve/', import.meta.url));
const CUSTOMERS = join(FIXTURES, 'customers.csv');
const CUSTOMERS_MAP = 'first_name=given_name,last_name=surname,email=email,phone=phone,address=street,postcode=postcode,loyalty_id=loyalty_no';
/** A multi-second run under a busy CI machine. */
const SLOW = 120_000;

const dir = mkdtempSync(join(tmpdir(), 'tailor-resolve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const resolveCli = (args: readonly string[]) => runTailor(['resolve', ...args]);

/** `record_id,profile_id` rows (CSV with a header, or NDJSON) as [record, profile] pairs. */
function readAssignments(path: string): [string, string][] {
  const text = readFileSync(path, 'utf8').trimEnd();
  if (path.endsWith('.ndjson')) {
    return text.split('\n').map((line) => {
      const row = JSON.parse(line) as { record_id: string; profile_id: string };
      return [row.record_id, row.profile_id];
    });
  }
  const [header, ...rows] = text.split('\n');
  expect(header).toBe('record_id,profile_id');
  return rows.map((row) => row.split(',') as [string, string]);
}

/** Records grouped by profile, each group sorted, groups ordered by their first record. */
function clusters(assignments: readonly [string, string][]): string[][] {
  const groups = new Map<string, string[]>();
  for (const [record, profile] of assignments) groups.set(profile, [...(groups.get(profile) ?? []), record]);
  return [...groups.values()].map((group) => group.sort()).sort((x, y) => ((x[0] as string) < (y[0] as string) ? -1 : 1));
}

/** The value of one `label  value` line of the summary. */
function summaryLine(stderr: string, label: string): string | undefined {
  return stderr
    .split('\n')
    .find((line) => line.startsWith(`  ${label}  `))
    ?.slice(label.length + 2)
    .trim();
}

const singles = (...ids: string[]) => ids.map((id) => [id]);

describe('tailor resolve', () => {
  it(
    'resolves a hand-written CSV to the known clusters: typo’d names with one phone join, a store email and a placeholder do not, bad rows are skipped',
    async () => {
      const out = join(dir, 'phones.csv');
      const run = await resolveCli(['--input', CUSTOMERS, '--map', CUSTOMERS_MAP, '--out', out, '--deterministic', 'email,loyaltyId,phone', '--country-code', '44']);
      expect(run.stderr).not.toContain('Error');
      expect(run.code).toBe(0);
      const assignments = readAssignments(out);
      expect(clusters(assignments)).toEqual([
        ['c01', 'c02', 'c03'], // Jonathan Smith / Jonathon Smyth by phone; Jon Smith by Gmail address
        ['c04', 'c05'], // Maria Garcia / María García by loyalty number
        ...singles('c06', 'c07', 'c08', 'c09', 'c10', 'c11', 'c12', 'c13', 'c14'), // nine shoppers on the store's email
        ...singles('c15', 'c16'), // test@test.com
        ...singles('c17', 'c18', 'c20'),
      ]);
      // Every record once, in file order; a profile's id comes from its smallest record id.
      expect(assignments.map(([record]) => record)).toEqual(['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09', 'c10', 'c11', 'c12', 'c13', 'c14', 'c15', 'c16', 'c17', 'c18', 'c20']);
      expect(assignments.find(([record]) => record === 'c02')?.[1]).toBe(profileIdOf('c01'));
      // The rows after c04's two-line quoted note are numbered by file line.
      expect(run.stderr).toContain('line 21 skipped: 4 fields, but the header has 9');
      expect(run.stderr).toContain('line 22 skipped: duplicate id "c04" (first on line 5)');
      expect(run.stderr).toContain('line 23 skipped: no id in column "id"');
      expect(summaryLine(run.stderr, 'records')).toBe('19');
      expect(summaryLine(run.stderr, 'rejected rows')).toBe('3');
      expect(summaryLine(run.stderr, 'profiles')).toBe('16');
      expect(summaryLine(run.stderr, 'singletons')).toBe('14');
      expect(summaryLine(run.stderr, 'largest profile')).toBe('3 records');
      expect(summaryLine(run.stderr, 'merges')).toBe('email 1 · loyaltyId 1 · phone 1');
      expect(summaryLine(run.stderr, 'shared values')).toBe('email 1 (9 occurrences kept out of joins)');
      expect(summaryLine(run.stderr, 'refused values')).toBe('email blocked 2');
    },
    SLOW,
  );

  it(
    'keeps phones as evidence only by default, and reads the same file with CRLF line ends and a BOM identically',
    async () => {
      const lf = join(dir, 'default.csv');
      const crlfInput = join(dir, 'customers-crlf.csv');
      writeFileSync(crlfInput, `\uFEFF${readFileSync(CUSTOMERS, 'utf8').replaceAll('\n', '\r\n')}`);
      const crlf = join(dir, 'default-crlf.csv');
      const [first, second] = await Promise.all([
        resolveCli(['--input', CUSTOMERS, '--map', CUSTOMERS_MAP, '--out', lf]),
        resolveCli(['--input', crlfInput, '--map', CUSTOMERS_MAP, '--out', crlf]),
      ]);
      expect([first.code, second.code]).toEqual([0, 0]);
      expect(clusters(readAssignments(lf))).toEqual([
        ['c01', 'c03'],
        ['c02'], // the same phone alone does not join by default: a landline is a household's
        ['c04', 'c05'],
        ...singles('c06', 'c07', 'c08', 'c09', 'c10', 'c11', 'c12', 'c13', 'c14', 'c15', 'c16', 'c17', 'c18', 'c20'),
      ]);
      expect(readFileSync(crlf, 'utf8')).toBe(readFileSync(lf, 'utf8'));
      expect(second.stderr).toContain('line 22 skipped: duplicate id "c04" (first on line 5)');
    },
    SLOW,
  );

  it(
    'reaches pairwise precision ≥ 0.95 on a few thousand generated records with ground truth',
    async () => {
      const data = generateIdentities({ seed: 20_261_124, people: 1_000, noise: 'medium' });
      const columns = ['firstName', 'lastName', 'email', 'phone', 'address', 'postcode', 'dob', 'loyaltyId', 'deviceId'];
      const quote = (value: string | undefined) => (value === undefined ? '' : /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
      const input = join(dir, 'generated.csv');
      writeFileSync(input, `id,${columns.join(',')}\n${data.records.map((record) => [record.id, ...columns.map((column) => quote(record.fields[column]))].join(',')).join('\n')}\n`);
      const out = join(dir, 'generated-out.csv');
      const run = await resolveCli(['--input', input, '--map', columns.map((column) => `${column}=${column}`).join(','), '--out', out, '--explain', '3']);
      expect(run.code).toBe(0);

      const assignments = readAssignments(out);
      expect(assignments).toHaveLength(data.records.length);
      const choose2 = (n: number) => (n * (n - 1)) / 2;
      const cells = new Map<string, number>();
      const profiles = new Map<string, number>();
      const people = new Map<string, number>();
      for (const [record, profile] of assignments) {
        const person = data.truth.get(record) as string;
        cells.set(`${profile}|${person}`, (cells.get(`${profile}|${person}`) ?? 0) + 1);
        profiles.set(profile, (profiles.get(profile) ?? 0) + 1);
        people.set(person, (people.get(person) ?? 0) + 1);
      }
      const sum = (counts: Map<string, number>) => [...counts.values()].reduce((total, n) => total + choose2(n), 0);
      const precision = sum(cells) / sum(profiles);
      const recall = sum(cells) / sum(people);
      expect(precision).toBeGreaterThanOrEqual(0.95);
      // Recall too, or leaving every record alone would pass.
      expect(recall).toBeGreaterThanOrEqual(0.85);
      expect(summaryLine(run.stderr, 'records')).toBe(String(data.records.length).replace(/\B(?=(\d{3})+$)/g, ','));
      expect(summaryLine(run.stderr, 'shared values')).toMatch(/^email \d+/); // the stores' emails
      expect(summaryLine(run.stderr, 'matcher')).toContain('m/u trained by EM');
      // --explain: the three weakest probabilistic merges, comparison by comparison, on stdout.
      expect(run.stdout).toMatch(/^weakest 3 probabilistic merges \(weakest first\):\n/);
      expect(run.stdout.match(/^r\d+ \+ r\d+: p 0\.\d{4}, match weight/gm)).toHaveLength(3); // weaker links merge when unambiguous
      expect(run.stdout).toMatch(/^ {4}firstName +\S/m);
    },
    SLOW,
  );

  it(
    'reads NDJSON: numeric ids, rejected lines, NDJSON output by the --out extension',
    async () => {
      const out = join(dir, 'ndjson-out.ndjson');
      const run = await resolveCli(['--input', join(FIXTURES, 'customers.ndjson'), '--id-column', 'customer_id', '--map', 'first_name=first,last_name=last,email=mail,loyalty_id=card', '--out', out]);
      expect(run.code).toBe(0);
      const assignments = readAssignments(out);
      expect(clusters(assignments)).toEqual([['101', '102'], ['103', '104'], ['106'], ['107']]);
      expect(assignments.find(([record]) => record === '104')?.[1]).toBe(profileIdOf('103'));
      expect(run.stderr).toContain('line 5 skipped: "mail" holds an object, not a value');
      expect(run.stderr).toContain('line 6 skipped: not valid JSON');
      expect(run.stderr).toContain('line 8 skipped: no id in column "customer_id"');
      expect(summaryLine(run.stderr, 'rejected rows')).toBe('3');
      expect(summaryLine(run.stderr, 'refused values')).toBe('email blocked 2'); // noreply@
    },
    SLOW,
  );

  it('exits 2 with a message that says what to do when the mapping does not fit', async () => {
    const out = join(dir, 'never.csv');
    const [unknownField, missingColumns] = await Promise.all([
      resolveCli(['--input', CUSTOMERS, '--map', 'frist_name=given_name', '--out', out]),
      resolveCli(['--input', CUSTOMERS, '--map', 'first_name=given_nam,email=email', '--id-column', 'customer_id', '--out', out]),
    ]);
    expect([unknownField.code, missingColumns.code]).toEqual([2, 2]);
    expect(unknownField.stderr).toContain('--map names "frist_name", which is not a Tailor field; valid fields: firstName (first_name), lastName (last_name), email, phone,');
    expect(missingColumns.stderr).toContain(
      `the header of ${CUSTOMERS} has no column "customer_id" (the id column; choose another with --id-column), no column "given_nam" (mapped from firstName); ` +
        'its columns are: "id", "given_name", "surname", "email", "phone", "street", "postcode", "loyalty_no", "notes"',
    );
    expect(() => readFileSync(out)).toThrow(); // nothing written
  }, SLOW);
});
