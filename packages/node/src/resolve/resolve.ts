import { statSync } from 'node:fs';
import { createMatcher, createRetailMatcherConfig, type IdentityRecord, type Matcher } from '@tailor/core';
import { readInput, type InputItem, type RecordValues } from './input';
import { createJoinFilter, createPlaceholderCheck } from './join-filter';
import { IDENTIFIER_FIELDS, MATCHER_FIELDS, checkColumns, type IdentifierField, type ResolveField } from './mapping';
import { createRecordGraph } from './record-graph';
import type { ExplainedMerge, ProgressBar, ResolveOptions, ResolveResult } from './types';

/** Not exported by name from `@tailor/core`. */
type MatcherParameters = ReturnType<Matcher['getParameters']>;

const NO_PROGRESS: ProgressBar = { tick() {}, finish() {} };

/**
 * What the matcher's starting m is worth against EM's, in matching pairs (core's `priorMatches`). EM's m
 * of a comparison is a share of the expected duplicate pairs that carry it; 50 pairs pin a share within
 * ±0.07 (one standard error at most). A file with a handful of duplicates (the 19-row fixture has two)
 * stays near the starting values instead of learning shares of 0 and 1 from them; a file of a few
 * thousand records (thousands of duplicate pairs) moves its m by a percent or two.
 */
const PRIOR_MATCHES = 50;

/**
 * The matcher's guarded clustering (`matcher.cluster()`) decides which links may merge: links at or above
 * `--threshold` through its cannot-link and size guards, weaker ones down to this probability only when
 * nothing contradicts them (see core's `ClusterOptions`).
 */
const UNAMBIGUOUS_THRESHOLD = 0.3;

const isIdentifierField = (field: string): field is IdentifierField => (IDENTIFIER_FIELDS as readonly string[]).includes(field);

/** The fields the matcher compares, without placeholder identifiers. */
function createMatcherRecord(countryCode: string | undefined): (id: string, values: RecordValues) => IdentityRecord {
  const isPlaceholder = createPlaceholderCheck(countryCode);
  return (id, values) => {
    const fields: Record<string, string> = {};
    for (const [field, value] of Object.entries(values)) {
      if (MATCHER_FIELDS.has(field as ResolveField) && !(isIdentifierField(field) && isPlaceholder(field, value))) fields[field] = value;
    }
    return { id, fields };
  };
}

/** The records accepted on the first pass (by index), read again: duplicates and rejected rows are skipped. */
type AcceptedRecord = Extract<InputItem, { kind: 'record' }> & { readonly index: number };

/**
 * Comparisons whose most similar level is no evidence of a match (m < u): EM has fitted something other
 * than duplicates, which happens when there are too few duplicate pairs (a small file, or blocks made of
 * one shared value).
 */
function implausible(parameters: MatcherParameters): string[] {
  return parameters.comparisons.filter((comparison) => (comparison.m[0] ?? 0) < (comparison.u[0] ?? 0)).map((comparison) => comparison.name);
}

/**
 * Resolves the records of one file into profiles, in two passes over it (three with `explain`, or when
 * EM's estimate is rejected):
 * 1. read and validate every row; add each record to the matcher's blocking index; train m, u and λ by
 *    EM on these records, the starting m counting as {@link PRIOR_MATCHES} matching pairs; cluster them
 *    with the matcher's guarded clustering;
 * 2. read again: score each record against its blocking candidates, and join it to its deterministic
 *    identifiers in the identity graph (see `createJoinFilter` for the values kept out, and the graph's
 *    guards); then offer the pairs that the clustering put in one cluster, from
 *    {@link UNAMBIGUOUS_THRESHOLD} up, to the graph, strongest first, as probabilistic edges through the
 *    same guards.
 *
 * Memory grows with the number of records (ids, the matcher's prepared values and blocks, the graph's
 * nodes and edges) and of pairs above the threshold, not with the file's size or row width. Bad rows are
 * reported through `hooks.rejected` and counted; a mapping that does not fit the file comes back as
 * `{ ok: false, message }`. I/O errors reject.
 */
export async function resolveFile(options: ResolveOptions): Promise<ResolveResult> {
  const { input, format, map, idColumn, threshold, hooks = {} } = options;
  const progress = (label: string, total: number) => hooks.progress?.(label, total) ?? NO_PROGRESS;
  const where = format === 'csv' ? `the header of ${input}` : `${input} (the keys of its objects)`;
  const matcherRecord = createMatcherRecord(options.countryCode);
  const recordIds: string[] = [];
  const lines: number[] = [];
  const indexOf = new Map<string, number>();

  async function* accepted(onBytes?: (bytes: number) => void): AsyncGenerator<AcceptedRecord> {
    for await (const item of readInput(input, { format, map, idColumn, ...(onBytes ? { onBytes } : {}) })) {
      if (item.kind !== 'record') continue;
      const index = indexOf.get(item.id);
      if (index !== undefined && lines[index] === item.line) yield { ...item, index };
    }
  }

  // Pass 1: read, validate, index.
  let matcher: Matcher = createMatcher(createRetailMatcherConfig());
  const starting = matcher.getParameters();
  let rejectedRows = 0;
  const reading = progress('reading', statSync(input).size);
  for await (const item of readInput(input, { format, map, idColumn, onBytes: (bytes) => reading.tick(bytes) })) {
    if (item.kind === 'columns') {
      const problem = checkColumns(item.columns, map, idColumn, where);
      if (problem !== undefined) return { ok: false, message: problem };
      continue;
    }
    const first = item.kind === 'record' ? indexOf.get(item.id) : undefined;
    if (item.kind === 'rejected' || first !== undefined) {
      rejectedRows++;
      hooks.rejected?.(item.line, item.kind === 'rejected' ? item.reason : `duplicate id "${item.id}" (first on line ${lines[first as number]})`);
      continue;
    }
    indexOf.set(item.id, recordIds.length);
    recordIds.push(item.id);
    lines.push(item.line);
    matcher.add(matcherRecord(item.id, item.values));
  }
  reading.finish();

  let parameters: 'trained' | 'starting' = 'starting';
  let note: string | undefined;
  let lambda = 0;
  if (recordIds.length < 2) note = 'fewer than 2 records: nothing to train on';
  else {
    hooks.stage?.(`training m/u by EM on ${recordIds.length} records…`);
    const report = matcher.train({ seed: options.seed ?? 1, priorMatches: PRIOR_MATCHES });
    lambda = report.lambda;
    const failed = implausible(report.parameters);
    if (failed.length === 0) parameters = 'trained';
    else {
      note = `EM's estimate rejected: on ${failed.join(', ')} the closest level was more common among non-matches than matches (too few duplicate pairs to learn from); starting values used`;
      hooks.stage?.(`EM's estimate rejected (see the summary); indexing again with starting values…`);
      matcher = createMatcher(createRetailMatcherConfig({ parameters: starting }));
      for await (const record of accepted()) matcher.add(matcherRecord(record.id, record.values));
      lambda = Math.min(0.5, starting.matchesPerRecord / Math.max(1, recordIds.length - 1));
    }
  }

  // Strong links merge through the clustering's guards, weaker ones when unambiguous; a pair over the
  // threshold in two clusters is one that a guard refused, and is not offered to the graph.
  hooks.stage?.(`clustering ${recordIds.length} records…`);
  const weakestLink = Math.min(UNAMBIGUOUS_THRESHOLD, threshold);
  const { clusterOf } = matcher.cluster({ linkThreshold: threshold, unambiguousThreshold: weakestLink, cannotLinkBelow: Math.min(0.001, weakestLink / 2) });

  // Pass 2: scoring and deterministic joins.
  const graph = createRecordGraph(options.countryCode);
  const joins = createJoinFilter(matcher, map, options.countryCode);
  const links: { a: number; b: number; p: number }[] = [];
  const probabilityOf = new Map<number, number>();
  let scoredPairs = 0;
  let seen = 0;
  const scoring = progress('scoring', recordIds.length);
  for await (const record of accepted()) {
    seen++;
    probabilityOf.clear();
    for (const candidate of matcher.score(matcherRecord(record.id, record.values)).scores) {
      const other = indexOf.get(candidate.id) as number;
      probabilityOf.set(other, candidate.probability);
      if (other <= record.index) continue; // each pair once, from its first record
      scoredPairs++;
      if (candidate.probability >= weakestLink && clusterOf.get(record.id) === clusterOf.get(candidate.id)) links.push({ a: record.index, b: other, p: candidate.probability });
    }
    const identifiers: Partial<Record<IdentifierField, string>> = {};
    for (const field of options.deterministic) {
      const value = record.values[field];
      if (value !== undefined && joins.accepts(field, value, record.index, probabilityOf)) identifiers[field] = value;
    }
    graph.addRecord(record.id, record.line, identifiers);
    scoring.tick();
  }
  scoring.finish();
  if (seen !== recordIds.length) {
    return { ok: false, message: `${input} changed while it was read (${recordIds.length} records on the first pass, ${seen} on the second); run again on a file that is not being written` };
  }

  // Strongest first, so that a guard refuses the weakest link rather than a strong one; ties in file order.
  hooks.stage?.(`linking ${links.length} pairs that the clustering merged…`);
  links.sort((x, y) => y.p - x.p || x.a - y.a || x.b - y.b);
  const weakest: { a: number; b: number; p: number }[] = [];
  for (const link of links) {
    const merged = graph.link(recordIds[link.a] as string, recordIds[link.b] as string, link.p, `probabilistic:${link.a}:${link.b}`);
    if (merged && options.explain > 0) {
      weakest.push(link);
      if (weakest.length > options.explain) weakest.shift();
    }
  }

  const { profileIds, profiles, singletons, largestProfile } = graph.assign(recordIds, indexOf);
  return {
    ok: true,
    recordIds,
    profileIds,
    summary: {
      records: recordIds.length,
      rejectedRows,
      profiles,
      singletons,
      largestProfile,
      merges: graph.merges,
      guards: { shared: joins.shared, sharedOccurrences: joins.sharedOccurrences(), refusedValues: joins.refused, vetoed: joins.vetoed, demoted: graph.demoted, refusedJoins: graph.refusedJoins() },
      matcher: { threshold, scoredPairs, links: links.length, parameters, ...(note === undefined ? {} : { note }), lambda, oversizedBlocks: matcher.getOversizedBlocks().length },
    },
    weakest: await explain(matcher, weakest.reverse(), recordIds, accepted, matcherRecord),
  };
}

/** Reads the file once more for the fields of the records in `merges`, and explains each pair. */
async function explain(
  matcher: Matcher,
  merges: readonly { a: number; b: number; p: number }[],
  recordIds: readonly string[],
  accepted: () => AsyncGenerator<AcceptedRecord>,
  matcherRecord: (id: string, values: RecordValues) => IdentityRecord,
): Promise<ExplainedMerge[]> {
  if (merges.length === 0) return [];
  const wanted = new Set(merges.flatMap(({ a, b }) => [a, b]));
  const records = new Map<number, IdentityRecord>();
  for await (const record of accepted()) if (wanted.has(record.index)) records.set(record.index, matcherRecord(record.id, record.values));
  return merges.flatMap(({ a, b, p }) => {
    const left = records.get(a);
    const right = records.get(b);
    return left && right ? [{ a: recordIds[a] as string, b: recordIds[b] as string, probability: p, explanation: matcher.explain(left, right) }] : [];
  });
}
