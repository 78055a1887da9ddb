import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isTailorError } from '../errors';
import { generateIdentities, type SyntheticIdentities } from './generator';
import { BlockingIndex, emailLocalPartBlock, exactBlock, firstNamePostcodeBlock, surnameInitialBlock } from './probabilistic-blocking';
import {
  contactComparison,
  dateOfBirthComparison,
  exactComparison,
  nameComparison,
  type IdentityRecord,
  type RecordFields,
} from './probabilistic-comparisons';
import { emailComparison } from './probabilistic-email';
import { createMatcher, createRetailMatcherConfig, type Matcher, type TrainingReport } from './probabilistic';

const record = (id: string, fields: RecordFields): IdentityRecord => ({ id, fields });

/** Record pairs of the same person, from the generator's ground truth. */
function truePairs(data: SyntheticIdentities): [IdentityRecord, IdentityRecord][] {
  const byPerson = new Map<string, IdentityRecord[]>();
  for (const r of data.records) {
    const person = data.truth.get(r.id) as string;
    byPerson.set(person, [...(byPerson.get(person) ?? []), r]);
  }
  return [...byPerson.values()].flatMap((records) => records.flatMap((a, i) => records.slice(i + 1).map((b): [IdentityRecord, IdentityRecord] => [a, b])));
}

let data: SyntheticIdentities;
let matcher: Matcher;
let report: TrainingReport;

beforeAll(() => {
  data = generateIdentities({ seed: 11, people: 1_500, noise: 'medium' });
  matcher = createMatcher(createRetailMatcherConfig());
  for (const r of data.records) matcher.add(r);
  report = matcher.train({ seed: 3, uSamplePairs: 200_000 });
});

describe('comparison ladders', () => {
  const pick = <P>(comparison: { prepare(fields: RecordFields): P | undefined; level(a: P, b: P): number; levels: readonly string[] }, a: RecordFields, b: RecordFields) => {
    const left = comparison.prepare(a);
    const right = comparison.prepare(b);
    return left === undefined || right === undefined ? null : (comparison.levels[comparison.level(left, right)] ?? null);
  };

  it('ranks first names: exact, nickname, shared short form, one typo, Jaro–Winkler bands, else; null when missing', () => {
    const first = nameComparison({ field: 'firstName' });
    expect(pick(first, { firstName: 'José' }, { firstName: 'JOSE' })).toBe('exact');
    expect(pick(first, { firstName: 'Bob' }, { firstName: 'Robert' })).toBe('nickname');
    expect(pick(first, { firstName: 'Bob' }, { firstName: 'Rob' })).toBe('nickname');
    // Chris may be Christine or Christopher: family members can share it.
    expect(pick(first, { firstName: 'Chris' }, { firstName: 'Christine' })).toBe('shared short form');
    expect(pick(first, { firstName: 'Martha' }, { firstName: 'Marhta' })).toBe('one typo');
    expect(pick(first, { firstName: 'Christine' }, { firstName: 'Christina' })).toBe('jaro-winkler ≥ 0.92');
    expect(pick(first, { firstName: 'Dwayne' }, { firstName: 'Duane' })).toBe('jaro-winkler ≥ 0.7');
    expect(pick(first, { firstName: 'Alice' }, { firstName: 'Robert' })).toBe('else');
    expect(pick(first, { firstName: 'Alice' }, {})).toBeNull();
  });

  it('ranks emails and ignores name-only local parts on the fuzzy levels', () => {
    const email = emailComparison({ nameFields: ['firstName', 'lastName'] });
    expect(pick(email, { email: 'j.doe77@gmail.com' }, { email: 'jdoe77+x@googlemail.com' })).toBe('exact');
    expect(pick(email, { email: 'cat.lover77@gmail.com' }, { email: 'cat.lover77@outlook.com' })).toBe('same local part');
    expect(pick(email, { email: 'cat.lover77@gmail.com' }, { email: 'cat.lovr77@gmail.com' })).toBe('jaro-winkler ≥ 0.88');
    // Two Susan Robertses: their addresses spell their name, which the name comparisons already counted.
    const susan = { firstName: 'Susan', lastName: 'Roberts' };
    expect(pick(email, { ...susan, email: 'susanroberts@outlook.com' }, { ...susan, email: 'susan.roberts@gmail.com' })).toBeNull();
    expect(pick(email, { ...susan, email: 'susan.roberts@gmail.com' }, { ...susan, email: 'sue@work.com' })).toBe('else');
    // The other record's names count too, and so does a known first name on neither record.
    expect(pick(email, { lastName: 'Roberts', email: 'susanroberts@outlook.com' }, { ...susan, email: 'susan.roberts@gmail.com' })).toBeNull();
    expect(pick(email, { lastName: 'Kingsby', email: 'frederickkingsby@gmail.com' }, { lastName: 'Kingsbury', email: 'frederickkingsbury@gmail.com' })).toBeNull();
  });

  it('bounds the email level cheaply without ever overstating it', () => {
    const email = emailComparison({ nameFields: ['firstName', 'lastName'] });
    const values = ['j.doe77@gmail.com', 'jdoe77@gmail.com', 'jdoe77@outlook.com', 'jdoe78@outlook.com', 'cat.lover77@gmail.com', 'x@y.z'];
    for (const a of values) {
      for (const b of values) {
        const left = email.prepare({ firstName: 'Jo', lastName: 'Doe', email: a });
        const right = email.prepare({ email: b });
        if (left === undefined || right === undefined) continue;
        const level = email.level(left, right);
        if (level >= 0) expect(email.closestLevel?.(left, right)).toBeLessThanOrEqual(level);
      }
    }
  });

  it('ranks phone + address jointly, and is null with nothing in common to compare', () => {
    const contact = contactComparison();
    const home = { phone: '+44 1632 960123', address: '12 Oak Avenue', postcode: 'AB1 2CD' };
    expect(pick(contact, home, { phone: '01632 960123', address: '12, OAK AVE.', postcode: 'ab12cd' })).toBe('same phone and address');
    expect(pick(contact, home, { phone: '01632 960123' })).toBe('same phone');
    expect(pick(contact, home, { address: '12 Oak Ave', postcode: 'AB12CD' })).toBe('same address');
    expect(pick(contact, home, { phone: '01632 960124' })).toBe('phone one digit off');
    expect(pick(contact, home, { address: '9 Elm Road', postcode: 'AB1 2CD' })).toBe('same postcode');
    expect(pick(contact, { phone: '01632 960123' }, { postcode: 'AB1 2CD' })).toBeNull();
  });

  it('ranks dates of birth: exact, one digit or day/month swap, same year, else', () => {
    const dob = dateOfBirthComparison();
    expect(pick(dob, { dob: '1985-03-07' }, { dob: '07/03/1985' })).toBe('exact');
    expect(pick(dob, { dob: '1985-03-07' }, { dob: '1985-03-08' })).toBe('one digit off or day/month swapped');
    expect(pick(dob, { dob: '1985-03-07' }, { dob: '1985-07-03' })).toBe('one digit off or day/month swapped');
    expect(pick(dob, { dob: '1985-03-07' }, { dob: '1985-11-21' })).toBe('same year');
    expect(pick(dob, { dob: '1985-03-07' }, { dob: '1962-11-21' })).toBe('else');
  });
});

describe('EM training', () => {
  it('recovers m of each level close to its frequency among true matches', () => {
    const counts = new Map<string, number[]>();
    for (const [a, b] of truePairs(data)) {
      for (const part of matcher.explain(a, b).comparisons) {
        if (part.levelIndex < 0) continue;
        const levels = counts.get(part.comparison) ?? [];
        levels[part.levelIndex] = (levels[part.levelIndex] ?? 0) + 1;
        counts.set(part.comparison, levels);
      }
    }
    for (const name of ['firstName', 'lastName', 'email', 'dob', 'loyaltyId']) {
      const parameters = report.parameters.comparisons.find((c) => c.name === name);
      const observed = counts.get(name) as number[];
      const total = observed.reduce((sum, n) => sum + (n ?? 0), 0);
      parameters?.m.forEach((m, level) => expect(Math.abs(m - (observed[level] ?? 0) / total), `${name} level ${level}`).toBeLessThan(0.1));
    }
  });

  it('puts u of identifier agreement far below u of name agreement', () => {
    const u = (name: string) => report.parameters.comparisons.find((c) => c.name === name)?.u[0] as number;
    expect(u('email')).toBeLessThan(1e-4);
    expect(u('loyaltyId')).toBeLessThan(1e-4);
    expect(u('firstName')).toBeGreaterThan(1e-3);
    expect(u('firstName')).toBeLessThan(0.05);
  });

  it('estimates the matches per record within 25% of the truth', () => {
    const actual = (2 * truePairs(data).length) / data.records.length;
    expect(report.parameters.matchesPerRecord / actual).toBeGreaterThan(0.75);
    expect(report.parameters.matchesPerRecord / actual).toBeLessThan(1.25);
    expect(report.sessions.map((s) => s.rule)).not.toContain('same phone last 9');
    expect(report.sessions.every((s) => s.converged)).toBe(true);
  });

  it('is deterministic for a seed, and its parameters reproduce the scores', () => {
    const again = createMatcher(createRetailMatcherConfig());
    for (const r of data.records) again.add(r);
    expect(again.train({ seed: 3, uSamplePairs: 200_000 }).parameters).toEqual(report.parameters);
    const loaded = createMatcher(createRetailMatcherConfig({ parameters: JSON.parse(JSON.stringify(matcher.getParameters())) }));
    for (const r of data.records) loaded.add(r);
    const [a, b] = data.records as [IdentityRecord, IdentityRecord];
    expect(loaded.scorePair(a, b).matchWeight).toBe(matcher.scorePair(a, b).matchWeight);
  });

  it('starts every comparison from distributions in which "else" holds most of u, however long the ladder', () => {
    for (const comparison of createMatcher(createRetailMatcherConfig()).getParameters().comparisons) {
      for (const p of [comparison.m, comparison.u]) expect(p.reduce((sum, x) => sum + x, 0), comparison.name).toBeCloseTo(1, 9);
      expect(comparison.u.at(-1), comparison.name).toBeGreaterThanOrEqual(0.5);
      expect(comparison.m.at(-1), comparison.name).toBeLessThan(comparison.u.at(-1) as number); // a disagreement is evidence against
    }
  });

  it('priorMatches: a few duplicate pairs keep m near the starting values, many move it nearly as far as without', () => {
    const tiny = generateIdentities({ seed: 5, people: 12, noise: 'medium' });
    const train = (records: readonly IdentityRecord[], priorMatches: number) => {
      const fresh = createMatcher(createRetailMatcherConfig());
      for (const r of records) fresh.add(r);
      const starting = fresh.getParameters();
      const trained = fresh.train({ seed: 3, uSamplePairs: 50_000, priorMatches }).parameters;
      /** Largest move of any m away from the starting values. */
      return Math.max(...trained.comparisons.flatMap((c, k) => c.m.map((m, l) => Math.abs(m - ((starting.comparisons[k]?.m[l] ?? 0) as number)))));
    };
    expect(train(tiny.records, 0)).toBeGreaterThan(0.5); // 30 records: shares of 0 and 1
    expect(train(tiny.records, 50)).toBeLessThan(0.25);
    const sample = data.records.slice(0, 1_500);
    expect(train(sample, 50)).toBeGreaterThan(0.85 * train(sample, 0));
  });
});

describe('match weights', () => {
  it('explain(): the prior plus every contribution is the match weight, and 2^w/(1+2^w) the probability', () => {
    let checked = 0;
    for (const r of data.records.slice(0, 300)) {
      for (const candidate of matcher.score(r).scores.slice(0, 3)) {
        const other = data.records.find((x) => x.id === candidate.id) as IdentityRecord;
        const e = matcher.explain(r, other);
        const sum = e.priorWeight + e.comparisons.reduce((total, part) => total + part.contribution, 0);
        expect(sum).toBeCloseTo(e.matchWeight, 9);
        expect(e.matchWeight).toBeCloseTo(candidate.matchWeight, 9);
        expect(e.probability).toBeCloseTo(2 ** e.matchWeight / (1 + 2 ** e.matchWeight), 12);
        for (const part of e.comparisons) {
          if (part.level === null) continue;
          expect(part.weight).toBeCloseTo(Math.log2((part.m as number) / (part.u as number)), 9);
          expect(part.contribution).toBeCloseTo(part.weight + part.tfAdjustment + part.groupAdjustment, 9);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('term frequencies: a match on a common surname counts less than on a rare one', () => {
    const surnames = new Map<string, number>();
    for (const r of data.records) {
      const last = r.fields.lastName?.toLowerCase();
      if (last !== undefined) surnames.set(last, (surnames.get(last) ?? 0) + 1);
    }
    const common = [...surnames].sort((x, y) => y[1] - x[1])[0]?.[0] as string;
    expect(surnames.get(common)).toBeGreaterThan(40);
    const pair = (last: string) =>
      matcher.explain(record('x1', { firstName: 'Alex', lastName: last }), record('x2', { firstName: 'Alex', lastName: last }));
    const commonPart = pair(common).comparisons.find((c) => c.comparison === 'lastName');
    const rarePart = pair('Quarrington').comparisons.find((c) => c.comparison === 'lastName');
    expect(commonPart?.level).toBe('exact');
    expect(commonPart?.tfAdjustment).toBeLessThan(-1);
    expect(rarePart?.tfAdjustment).toBeGreaterThan(0);
    expect(commonPart?.contribution).toBeLessThan((rarePart?.contribution as number) - 3);
    expect(pair(common).probability).toBeLessThan(pair('Quarrington').probability);
  });

  it('term frequencies: a nickname is as common as its formal name, and a close level never gains', () => {
    const m = createMatcher(createRetailMatcherConfig({ parameters: report.parameters }));
    for (let i = 0; i < 30; i++) m.add(record(`t${i}`, { firstName: i % 10 === 0 ? 'Tim' : 'Timothy', lastName: `Q${i}` }));
    const part = (a: string, b: string) => m.explain(record('x', { firstName: a }), record('y', { firstName: b })).comparisons[0];
    expect(part('Tim', 'Tim')?.tfAdjustment).toBeCloseTo(part('Timothy', 'Timothy')?.tfAdjustment as number, 9);
    expect(part('Timothy', 'Timothy')?.tfAdjustment).toBeLessThan(-1);
    expect(part('Tim', 'Timothy')).toMatchObject({ level: 'nickname' });
    expect(part('Tim', 'Timothy')?.tfAdjustment).toBeLessThan(-1);
    // Two rare spellings may both be typos of a common name: no gain.
    expect(part('Jessca', 'Jesica')).toMatchObject({ level: 'one typo', tfAdjustment: 0 });
  });

  it('is symmetric: score(a, b) = score(b, a)', () => {
    const maybe = <T>(values: readonly T[]) => fc.option(fc.constantFrom(...values), { nil: undefined });
    const fields = fc.record({
      firstName: maybe(['Robert', 'Bob', 'Rob', 'Roberta', 'Alice', 'Alicia', 'Christine', 'Christopher']),
      lastName: maybe(['Smith', 'Smyth', 'Jones', 'Quarrington']),
      email: maybe(['bob.smith@gmail.com', 'bobsmith@gmail.com', 'bob.smith@outlook.com', 'rs1960@sky.com', 'store1@retailer.com']),
      phone: maybe(['+44 7700 900123', '07700 900123', '07700 900124', '01632 960000']),
      address: maybe(['12 Oak Avenue', '12 Oak Ave', '14 Oak Avenue', '3 Mill Lane']),
      postcode: maybe(['AB1 2CD', 'AB12CD', 'ZZ9 9ZZ']),
      dob: maybe(['1960-05-04', '04/05/1960', '1960-04-05', '1961-05-04']),
      loyaltyId: maybe(['1234567899', '0000000001']),
      deviceId: maybe(['dev-1', 'dev-2']),
    });
    fc.assert(
      fc.property(fields, fields, (a, b) => {
        const left = record('a', a);
        const right = record('b', b);
        expect(matcher.scorePair(left, right).matchWeight).toBe(matcher.scorePair(right, left).matchWeight);
        expect(matcher.explain(left, right).probability).toBe(matcher.explain(right, left).probability);
      }),
      { numRuns: 1_000 },
    );
  });

  it('does not merge a family that shares surname, phone and address, but links one person', () => {
    const home = { lastName: 'Quarrington', phone: '01632 960777', address: '7 Mill Lane', postcode: 'ZZ1 1ZZ' };
    const christine = record('f1', { ...home, firstName: 'Christine', email: 'christine.q@sky.com' });
    const christopher = record('f2', { ...home, firstName: 'Christopher', dob: '1990-02-02' });
    const christineAgain = record('f3', { ...home, firstName: 'Christine', dob: '1962-08-30' });
    const family = matcher.explain(christine, christopher);
    expect(family.decision).toBe('distinct');
    expect(family.comparisons.reduce((sum, part) => sum + part.groupAdjustment, 0)).toBeLessThan(-5);
    expect(matcher.explain(christine, christineAgain).decision).toBe('link');
    // Without the correlated group, the shared home would be counted three times over.
    const naive = createMatcher(createRetailMatcherConfig({ parameters: report.parameters, correlatedGroups: [] }));
    for (const r of data.records) naive.add(r);
    expect(naive.explain(christine, christopher).decision).toBe('link');
  });
});

describe('the persistent blocking index', () => {
  const probe = (n: number) =>
    record(`probe-${n}`, {
      firstName: 'Quintessa',
      lastName: 'Vanterpool',
      email: 'q.vanterpool@example.org',
      phone: '+44 7999 123456',
      loyaltyId: '5550001112',
      dob: '1977-07-17',
    });
  const siblings = [
    record('s1', { firstName: 'Quintessa', lastName: 'Vanterpool', email: 'q.vanterpool@example.org' }),
    record('s2', { firstName: 'Quinn', lastName: 'Vanterpool', phone: '07999 123456' }),
    record('s3', { lastName: 'Vanterpool', loyaltyId: '5550001112', dob: '17/07/1977' }),
  ];

  it('compares a new record with the same number of candidates whatever the population', () => {
    const candidates = [300, 3_000].map((people) => {
      const population = generateIdentities({ seed: 5, people, noise: 'medium' });
      const m = createMatcher(createRetailMatcherConfig({ parameters: report.parameters }));
      for (const r of [...population.records, ...siblings]) m.add(r);
      const result = m.score(probe(people));
      expect(result.scores).toHaveLength(result.candidates);
      return { size: m.size, candidates: result.candidates };
    });
    expect((candidates[1] as { size: number }).size).toBeGreaterThan(8 * (candidates[0] as { size: number }).size);
    expect(candidates.map((c) => c.candidates)).toEqual([3, 3]);
  });

  it('caps every record’s candidates at rules × maxBlockSize, and skips and reports a generic block', () => {
    const config = createRetailMatcherConfig({ maxBlockSize: 40, parameters: report.parameters });
    const m = createMatcher(config);
    const population = generateIdentities({ seed: 5, people: 3_000, noise: 'high' });
    for (const r of population.records) m.add(r);
    let most = 0;
    for (const r of population.records.slice(0, 2_000)) most = Math.max(most, m.score(r).candidates);
    expect(most).toBeLessThanOrEqual(config.blocking.length * 40);
    const cashier = m.score(record('pos-1', { firstName: 'Quintessa', loyaltyId: '0000000001' }));
    expect(cashier.skippedBlocks).toEqual([expect.objectContaining({ rule: 'same loyaltyId', key: '0000000001' })]);
    expect(cashier.skippedBlocks[0]?.size).toBeGreaterThan(40);
    expect(m.getOversizedBlocks()).toEqual(expect.arrayContaining([expect.objectContaining({ key: '0000000001' })]));
  });

  it('treats an identifier that many people give as generic: no evidence either way', () => {
    const m = createMatcher(createRetailMatcherConfig({ parameters: report.parameters }));
    const names = ['Ann', 'Ben', 'Cara', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jude'];
    names.forEach((firstName, i) => m.add(record(`g${i}`, { firstName, lastName: 'Poole', email: 'store7@retailer.com' })));
    const part = m.explain(record('a', { firstName: 'Ann', email: 'store7@retailer.com' }), record('b', { firstName: 'Ben', email: 'store7@retailer.com' })).comparisons.find((c) => c.comparison === 'email');
    expect(part).toMatchObject({ level: null, genericValue: true, contribution: 0 });
  });

  it('removes a record from its blocks and term frequencies', () => {
    const m = createMatcher(createRetailMatcherConfig({ parameters: report.parameters }));
    for (const r of siblings) m.add(r);
    expect(m.score(probe(1)).candidates).toBe(3);
    expect(m.remove('s1')).toBe(true);
    expect(m.remove('s1')).toBe(false);
    expect(m.has('s1')).toBe(false);
    expect(m.size).toBe(2);
    expect(m.score(probe(1)).candidates).toBe(2);
  });
});

describe('blocking rules', () => {
  it('key typo-tolerant rules on the first name and postcode, the surname and an initial, the dotless local part', () => {
    const fields = { firstName: 'Bob', lastName: "O'Brien", postcode: 'sw1a 1aa', email: 'Bob.OBrien+x@outlook.com' };
    expect(firstNamePostcodeBlock().key(fields)).toBe('robert|SW1A1AA');
    expect(surnameInitialBlock().key(fields)).toBe('b|obrien');
    expect(emailLocalPartBlock().key(fields)).toBe('bobobrien');
    expect(emailLocalPartBlock().key({ email: 'bobobrien@icloud.com' })).toBe('bobobrien');
    expect(surnameInitialBlock().key({ lastName: 'Smith' })).toBeUndefined();
  });

  it('drops a block past its rule’s own cap, and keeps members right through adds and removes', () => {
    const rules = [exactBlock('k'), { ...exactBlock('k'), name: 'capped', maxBlockSize: 3 }];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 9 }), fc.constantFrom('a', 'b', 'c')), { maxLength: 60 }), (steps) => {
        const local = new BlockingIndex(rules, 6);
        const held = new Map<number, string>();
        for (const [adding, id, key] of steps) {
          const current = held.get(id);
          if (current !== undefined) {
            local.remove(id, [current, current]);
            held.delete(id);
          }
          if (adding) {
            local.add(id, [key, key]);
            held.set(id, key);
          }
        }
        for (const key of ['a', 'b', 'c']) {
          const found = new Set<number>();
          const skipped = local.collect([key, undefined], found);
          const expected = new Set([...held].filter(([, k]) => k === key).map(([id]) => id));
          // Once oversized, a block stays dropped; otherwise it holds exactly the records with the key.
          if (skipped.length === 0) expect(found).toEqual(expected);
          const capped = local.collect([undefined, key], new Set());
          expect(local.oversizedAmong([undefined, key]).length).toBe(capped.length);
        }
      }),
      { numRuns: 300 },
    );
    const index = new BlockingIndex(rules, 6);
    for (let id = 0; id < 4; id++) index.add(id, ['a', 'a']);
    expect(index.oversized()).toEqual([{ rule: 'capped', key: 'a', size: 4 }]);
  });
});

describe('matches()', () => {
  it('finds exactly the candidates at or above the threshold, skipping the hopeless ones unscored', () => {
    for (const r of data.records.slice(0, 400)) {
      const brute = matcher.score(r).scores.filter((c) => c.probability >= 0.99).map((c) => c.id).sort();
      expect(matcher.matches(r).map((e) => e.b).sort()).toEqual(brute);
    }
  });

  it('returns links above the threshold as probabilistic graph edges', () => {
    const r = data.records.find((x) => matcher.matches(x).length > 0) as IdentityRecord;
    const edges = matcher.matches(r);
    expect(edges.length).toBeGreaterThan(0);
    for (const edge of edges) {
      expect(edge.rule).toBe('probabilistic');
      expect(edge.a).toBe(r.id);
      expect(edge.weight).toBeGreaterThanOrEqual(0.99);
      expect(edge.weight).toBe(edge.explanation.probability);
      expect(edge.id).toBe(`probabilistic:${[edge.a, edge.b].sort().join(':')}`);
    }
    expect(matcher.matches(r, { minProbability: 0.5 }).length).toBeGreaterThanOrEqual(edges.length);
  });
});

describe('createMatcher', () => {
  it('throws a TailorError for a configuration mistake', () => {
    const comparisons = [exactComparison({ field: 'email' })];
    const blocking = [exactBlock('email')];
    const mistakes = [
      () => createMatcher({ comparisons: [], blocking }),
      () => createMatcher({ comparisons, blocking: [] }),
      () => createMatcher({ comparisons, blocking, linkThreshold: 0.5, reviewThreshold: 0.9 }),
      () => createMatcher({ comparisons, blocking, correlatedGroups: [{ comparisons: ['nope'] }] }),
      () => createMatcher({ ...createRetailMatcherConfig(), parameters: { comparisons: [], matchesPerRecord: 1 } }),
    ];
    for (const mistake of mistakes) {
      let thrown: unknown;
      try {
        mistake();
      } catch (error) {
        thrown = error;
      }
      expect(isTailorError(thrown) && thrown.code).toBe('invalid_config');
    }
  });

  it('never throws while scoring, even when a custom comparison does', () => {
    const m = createMatcher({
      comparisons: [
        { name: 'fragile', fields: ['x'], levels: ['same', 'else'], prepare: (f) => f.x, level: () => { throw new Error('boom'); } },
        exactComparison({ field: 'email' }),
      ],
      blocking: [exactBlock('email')],
    });
    m.add(record('a', { x: '1', email: 'a@b.c' }));
    const result = m.score(record('b', { x: '1', email: 'a@b.c' }));
    expect(result.candidates).toBe(1);
    expect(m.explain(record('a', { x: '1', email: 'a@b.c' }), record('b', { x: '1', email: 'a@b.c' })).comparisons[0]?.level).toBeNull();
  });
});
