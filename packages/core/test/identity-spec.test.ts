import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createIdentityGraph, type IdentityGraph, type IdentityGraphOptions } from '../src/identity/index';

/** Runs every `spec/identity/*.json` case file (format: spec/identity/README.md). */
const SPEC_DIR = fileURLToPath(new URL('../../../spec/identity/', import.meta.url));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type EventEntry = Record<string, Json> | { repeat: number; event: Record<string, Json> };
type Op = { unmerge: string } | { delete: string } | { replay: true } | { add: EventEntry[] };

interface IdentityCase {
  readonly name: string;
  readonly options?: Record<string, Json>;
  readonly events: EventEntry[];
  readonly ops?: Op[];
  readonly expect: {
    readonly sameProfile?: string[][];
    readonly differentProfile?: string[][];
    readonly refused?: { between: [string, string]; reason?: string }[];
    readonly demoted?: string[];
    readonly absent?: string[];
    readonly tombstoned?: string[];
    readonly isolated?: string[];
  };
}

/** `"{i}"` in a repeated event is its 1-based number. */
function fill(value: Json, i: number): Json {
  if (typeof value === 'string') return value.replaceAll('{i}', String(i));
  if (Array.isArray(value)) return value.map((inner) => fill(inner, i));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fill(inner, i)]));
  return value;
}

function expandEvents(entries: readonly EventEntry[]): Record<string, Json>[] {
  return entries.flatMap((entry) =>
    'repeat' in entry && typeof entry.repeat === 'number'
      ? Array.from({ length: entry.repeat }, (_, index) => fill((entry as { event: Record<string, Json> }).event, index + 1) as Record<string, Json>)
      : [entry as Record<string, Json>],
  );
}

/** `"email:c{1..3}@x.com"` stands for c1, c2 and c3. */
function expandIdentifiers(identifiers: readonly string[]): string[] {
  return identifiers.flatMap((identifier) => {
    const range = /\{(\d+)\.\.(\d+)\}/.exec(identifier);
    if (!range) return [identifier];
    const [from, to] = [Number(range[1]), Number(range[2])];
    return Array.from({ length: to - from + 1 }, (_, index) => identifier.replace(range[0], String(from + index)));
  });
}

/** JSON has no Infinity: `null` means "no limit". */
function toOptions(options: Record<string, Json> | undefined): IdentityGraphOptions {
  const revive = (value: Json): unknown => {
    if (value === null) return Number.POSITIVE_INFINITY;
    if (Array.isArray(value)) return value.map(revive);
    if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, revive(inner)]));
    return value;
  };
  let now = Date.UTC(2026, 0, 1);
  return { ...(revive(options ?? {}) as IdentityGraphOptions), clock: { now: () => now++ } };
}

function edgesBetween(graph: IdentityGraph, a: string, b: string) {
  const keyB = graph.keyOf(b);
  return graph.getEdges(a).filter((edge) => edge.a === keyB || edge.b === keyB);
}

function profileOf(graph: IdentityGraph, identifier: string): string {
  const profile = graph.resolve(identifier);
  expect(profile, `${identifier} should resolve to a profile`).toBeDefined();
  return profile?.profileId as string;
}

function run(testCase: IdentityCase): void {
  const graph = createIdentityGraph(toOptions(testCase.options));
  const events = expandEvents(testCase.events);
  for (const event of events) graph.addEvent(event);
  for (const op of testCase.ops ?? []) {
    if ('unmerge' in op) {
      const [a, b] = op.unmerge.split(' -- ') as [string, string];
      const edges = edgesBetween(graph, a, b).filter((edge) => edge.status === 'active');
      expect(edges.length, `an active edge ${op.unmerge} to unmerge`).toBeGreaterThan(0);
      for (const edge of edges) graph.unmerge(edge.id);
    } else if ('delete' in op) {
      const result = graph.deletePerson(profileOf(graph, op.delete));
      expect(result.status).toBe('deleted');
    } else if ('replay' in op) {
      for (const event of events) graph.addEvent(event);
    } else {
      for (const event of expandEvents(op.add)) graph.addEvent(event);
    }
  }

  const { expect: want } = testCase;
  for (const group of want.sameProfile ?? []) {
    const ids = expandIdentifiers(group);
    const first = profileOf(graph, ids[0] as string);
    for (const identifier of ids.slice(1)) expect(profileOf(graph, identifier), `${identifier} with ${ids[0]}`).toBe(first);
  }
  for (const group of want.differentProfile ?? []) {
    const ids = expandIdentifiers(group);
    const profiles = ids.map((identifier) => profileOf(graph, identifier));
    expect(new Set(profiles).size, `${ids.join(', ')} are ${new Set(profiles).size} profiles`).toBe(ids.length);
  }
  for (const { between, reason } of want.refused ?? []) {
    const refused = edgesBetween(graph, between[0], between[1]).filter((edge) => edge.status === 'refused');
    expect(refused.length, `a refused edge ${between.join(' -- ')}`).toBeGreaterThan(0);
    if (reason !== undefined) expect(refused.map((edge) => edge.reason)).toContain(reason);
  }
  for (const identifier of expandIdentifiers(want.demoted ?? [])) expect(graph.isDemoted(identifier), `${identifier} demoted`).toBe(true);
  for (const identifier of expandIdentifiers(want.absent ?? [])) expect(graph.resolve(identifier), `${identifier} absent`).toBeUndefined();
  for (const identifier of expandIdentifiers(want.tombstoned ?? [])) expect(graph.isTombstoned(identifier), `${identifier} tombstoned`).toBe(true);
  for (const identifier of expandIdentifiers(want.isolated ?? [])) {
    expect(graph.resolve(identifier)?.identifiers, `${identifier} alone`).toEqual([graph.keyOf(identifier)]);
  }
}

const files = readdirSync(SPEC_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((file) => {
    const parsed = JSON.parse(readFileSync(SPEC_DIR + file, 'utf8')) as { spec: string; version: number; cases: IdentityCase[] };
    if (parsed.spec !== 'tailor/identity') throw new Error(`${file}: "spec" must be "tailor/identity"`);
    return { file, version: parsed.version, cases: parsed.cases };
  });

describe('spec/identity', () => {
  it('has case files', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    describe(`${file.file} (v${file.version})`, () => {
      it('has uniquely named cases', () => expect(new Set(file.cases.map((c) => c.name)).size).toBe(file.cases.length));
      for (const testCase of file.cases) it(testCase.name, () => run(testCase));
    });
  }
});
