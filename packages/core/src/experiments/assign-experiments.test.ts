import { describe, expect, it } from 'vitest';
import { assignExperiments, assignHoldout } from './assign-experiments';
import { parseExperiments, parseHoldout } from './experiment-schema';
import { fnv1a32, getBucket, getEqualWeights } from './hashing';
import type { Experiment, StickyAssignments } from './types';

function parseOne(definition: Record<string, unknown>): Experiment {
  const { experiments, issues } = parseExperiments([definition]);
  expect(issues).toEqual([]);
  return experiments[0]!;
}

const ranker = parseOne({
  key: 'ranker',
  variations: [{ key: 'control', value: { policy: 'greedy' } }, { key: 'thompson', value: { policy: 'thompson' } }],
});

describe('hashing', () => {
  it('matches the reference FNV-1a on the empty string and on one character', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
  });

  it('returns null for an unknown hash version', () => {
    expect(getBucket('seed', 'unit', 3)).toBeNull();
  });

  it('gives no weights for zero or negative variation counts', () => {
    expect(getEqualWeights(0)).toEqual([]);
    expect(getEqualWeights(-1)).toEqual([]);
    expect(getEqualWeights(2)).toEqual([0.5, 0.5]);
  });
});

describe('assignExperiments', () => {
  it('returns one assignment per experiment, in order', () => {
    const other = parseOne({ key: 'layout', variations: [{ key: 'a' }, { key: 'b' }] });
    const result = assignExperiments([ranker, other], { profileId: 'p-1' });
    expect(result.map((a) => a.experimentKey)).toEqual(['ranker', 'layout']);
    expect(result.every((a) => a.reason === 'assigned')).toBe(true);
  });

  it('passes the condition and the doc to the injected matcher', () => {
    const targeted = parseOne({ key: 'vip', condition: { tier: 'gold' }, variations: [{ key: 'a' }, { key: 'b' }] });
    const seen: unknown[] = [];
    const doc = { tier: 'gold' };
    const [result] = assignExperiments([targeted], { profileId: 'p-1' }, {
      doc,
      matches: (condition, given) => {
        seen.push(condition, given);
        return true;
      },
    });
    expect(seen).toEqual([{ tier: 'gold' }, doc]);
    expect(result!.inExperiment).toBe(true);
  });

  it('never throws: a throwing matcher or a malformed experiment gives reason "invalid"', () => {
    const targeted = parseOne({ key: 'vip', condition: { tier: 'gold' }, variations: [{ key: 'a' }, { key: 'b' }] });
    const broken = { key: 'broken' } as unknown as Experiment;
    const result = assignExperiments([targeted, broken, ranker], { profileId: 'p-1' }, {
      matches: () => {
        throw new Error('bad rule');
      },
    });
    expect(result.map((a) => [a.experimentKey, a.reason, a.variationIndex])).toEqual([
      ['vip', 'invalid', -1],
      ['broken', 'invalid', -1],
      ['ranker', 'assigned', 1],
    ]);
    expect(assignExperiments([null as unknown as Experiment], {})).toEqual([
      { experimentKey: '', variationIndex: -1, variationKey: '', hashAttribute: '', hashValue: '', inExperiment: false, reason: 'invalid' },
    ]);
  });

  it('writes sticky assignments into the map it is given, and reads them back', () => {
    const sticky: StickyAssignments = {};
    const [first] = assignExperiments([ranker], { profileId: 'p-1' }, { sticky });
    expect(sticky).toEqual({
      'profileId||p-1': { attributeName: 'profileId', attributeValue: 'p-1', assignments: { ranker__0: first!.variationKey } },
    });
    const [second] = assignExperiments([ranker], { profileId: 'p-1' }, { sticky });
    expect(second).toEqual({ ...first, reason: 'sticky' });
  });

  it('does not store forced, excluded or held-out units', () => {
    const sticky: StickyAssignments = {};
    const none = parseOne({ key: 'none', coverage: 0, variations: [{ key: 'a' }, { key: 'b' }] });
    assignExperiments([ranker, none], { profileId: 'p-1' }, { sticky, forced: { ranker: 0 } });
    expect(sticky).toEqual({});
  });

  it('a held-out unit is held out of every experiment; the fraction bounds the share held out', () => {
    const parsed = parseHoldout({ key: 'global-holdout', fraction: 0.1 });
    if (!parsed.ok) throw new Error('holdout should parse');
    let held = 0;
    for (let i = 0; i < 10_000; i++) {
      const [holdout, experiment] = assignExperiments([ranker], { profileId: `p-${i}` }, { holdout: parsed.holdout });
      expect(holdout!.experimentKey).toBe('global-holdout');
      if (holdout!.reason === 'holdout') {
        held += 1;
        expect(experiment!.reason).toBe('holdout');
        expect(experiment!.inExperiment).toBe(false);
      } else {
        expect(experiment!.reason).toBe('assigned');
      }
    }
    // 10k units at 10%: the binomial standard deviation is 30, so ±150 is five of them.
    expect(Math.abs(held - 1000)).toBeLessThan(150);
  });

  it('assignHoldout reports the unit it hashed', () => {
    const parsed = parseHoldout({ key: 'h', fraction: 1, hashAttribute: 'storeId' });
    if (!parsed.ok) throw new Error('holdout should parse');
    expect(assignHoldout(parsed.holdout, { storeId: 's-1', anonymousId: 'a-1' })).toEqual({
      experimentKey: 'h',
      variationIndex: 0,
      variationKey: 'holdout',
      hashAttribute: 'storeId',
      hashValue: 's-1',
      inExperiment: true,
      reason: 'holdout',
    });
    // A custom attribute has no fallback unless one is named.
    expect(assignHoldout(parsed.holdout, { anonymousId: 'a-1' }).reason).toBe('no-unit');
  });
});
