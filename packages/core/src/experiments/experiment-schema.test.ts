import { describe, expect, it } from 'vitest';
import { parseExperiments, parseHoldout } from './experiment-schema';

const two = [{ key: 'a' }, { key: 'b' }];

describe('parseExperiments', () => {
  it('fills in the defaults', () => {
    const { experiments, issues } = parseExperiments([{ key: 'ranker', variations: two }]);
    expect(issues).toEqual([]);
    expect(experiments).toEqual([
      {
        key: 'ranker',
        variations: two,
        coverage: 1,
        hashVersion: 2,
        hashAttribute: 'profileId',
        fallbackAttribute: 'anonymousId',
        bucketVersion: 0,
        active: true,
      },
    ]);
  });

  it('adds no fallback to a custom hash attribute, and none where null says so', () => {
    const { experiments } = parseExperiments([
      { key: 'b2b', variations: two, hashAttribute: 'companyId' },
      { key: 'strict', variations: two, fallbackAttribute: null },
      { key: 'device', variations: two, hashAttribute: 'companyId', fallbackAttribute: 'deviceId' },
    ]);
    expect(experiments.map((e) => [e.key, e.fallbackAttribute])).toEqual([
      ['b2b', undefined],
      ['strict', undefined],
      ['device', 'deviceId'],
    ]);
    expect(experiments.every((e) => !('fallbackAttribute' in e) || e.fallbackAttribute !== undefined)).toBe(true);
  });

  it('keeps the valid experiments and reports the others as data, with paths into the list', () => {
    const { experiments, issues } = parseExperiments([
      { key: 'ok', variations: two },
      { key: 'one-arm', variations: [{ key: 'a' }] },
      { key: 'bad-weights', variations: two, weights: [0.5, 0.6] },
      { key: 'short-weights', variations: two, weights: [1] },
      { key: 'dup-variations', variations: [{ key: 'a' }, { key: 'a' }] },
      { key: 'backwards', variations: two, namespace: ['ns', 0.6, 0.2] },
      { key: 'v3', variations: two, hashVersion: 3 },
      { key: 'ok', variations: two },
      'not an object',
    ]);
    expect(experiments.map((e) => e.key)).toEqual(['ok']);
    expect(issues.map((issue) => [issue.path, issue.code])).toEqual([
      ['[1].variations', 'too_small'],
      ['[2].weights', 'custom'],
      ['[3].weights', 'custom'],
      ['[4].variations[1].key', 'custom'],
      ['[5].namespace', 'custom'],
      ['[6].hashVersion', 'invalid_union'],
      ['[7].key', 'duplicate_key'],
      ['[8]', 'invalid_type'],
    ]);
    expect(issues[1]!.message).toBe('weights must sum to 1, got 1.1');
  });

  it('reports a non-array input', () => {
    expect(parseExperiments({})).toEqual({
      experiments: [],
      issues: [{ path: '', code: 'invalid_type', message: 'experiments must be an array' }],
    });
  });
});

describe('parseHoldout', () => {
  it('fills in defaults and reports problems as data', () => {
    expect(parseHoldout({ key: 'global', fraction: 0.05 })).toEqual({
      ok: true,
      holdout: { key: 'global', fraction: 0.05, hashVersion: 2, hashAttribute: 'profileId', fallbackAttribute: 'anonymousId' },
    });
    const bad = parseHoldout({ key: 'global', fraction: 2 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues.map((issue) => issue.path)).toEqual(['fraction']);
  });
});
