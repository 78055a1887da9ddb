import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecisionConfig, type DecisionConfigInput } from './catalog';
import { canonicalJson, hashDecisionConfig } from './config-hash';

const MINIMAL: DecisionConfigInput = {
  version: '1',
  placements: [{ id: 'hero', slots: 2, channel: 'web' }],
  offers: [{ id: 'a', placements: ['hero'], value: 10 }],
};

function issuesOf(input: unknown): { path: string; code: string }[] {
  const result = parseDecisionConfig(input);
  return result.ok ? [] : result.issues.map(({ path, code }) => ({ path, code }));
}

describe('parseDecisionConfig', () => {
  it('fills in defaults and returns a content hash', () => {
    const result = parseDecisionConfig(MINIMAL);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.config).toMatchObject({
      policies: [],
      exploration: { policy: 'greedy' },
      defaults: {},
      models: [],
      defaultPropensity: 1,
      ttlMs: 60_000,
      offers: [{ id: 'a', placements: ['hero'], value: 10, tags: [], creative: {} }],
    });
    expect(result.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('passes experiments and holdout through untouched', () => {
    const experiments = [{ key: 'hero-copy', variations: [{}, { copy: 'b' }] }];
    const result = parseDecisionConfig({ ...MINIMAL, experiments, holdout: { percent: 5 } });
    expect(result.ok && result.config.experiments).toEqual(experiments);
    expect(result.ok && result.config.holdout).toEqual({ percent: 5 });
  });

  it('names the path of every shape problem', () => {
    expect(
      issuesOf({
        version: '',
        placements: [{ id: 'hero', slots: 0, channel: 'web' }],
        offers: [{ id: 'a', placements: ['hero'], value: -1, validTo: 'tomorrow', creative: { f: () => 1 } }],
        exploration: { policy: 'epsilon-greedy', epsilon: 2 },
        policies: [{ id: 'p', scope: 'offer', maxImpressions: { count: 1, window: '1y' } }, { id: 'q', scope: 'offer' }],
      }),
    ).toEqual(
      expect.arrayContaining([
        { path: 'version', code: 'too_small' },
        { path: 'placements[0].slots', code: 'too_small' },
        { path: 'offers[0].value', code: 'too_small' },
        { path: 'offers[0].validTo', code: 'invalid_format' },
        { path: 'offers[0].creative', code: 'invalid_union' },
        { path: 'exploration.epsilon', code: 'too_big' },
        { path: 'policies[0].maxImpressions.window', code: 'custom' },
        { path: 'policies[1]', code: 'custom' },
      ]),
    );
  });

  it('checks references, duplicates, windows and every condition', () => {
    expect(
      issuesOf({
        version: '1',
        placements: [
          { id: 'hero', slots: 1, channel: 'web' },
          { id: 'hero', slots: 1, channel: 'app' },
        ],
        offers: [
          { id: 'a', placements: ['nowhere'], value: 1, modelId: 'ghost', eligibility: { 'features.x': { $gtt: 1 } } },
          { id: 'a', placements: [], value: 1, validFrom: '2026-02-01T00:00:00Z', validTo: '2026-01-01T00:00:00Z' },
          { id: 'c', placements: ['hero'], value: 1, contextWeights: [{ when: { $or: [{ 'context.q': { $regex: '(a+)+' } }] }, weight: 2 }] },
          { id: 'd', placements: ['hero'], value: 1, eligibility: { 'traits.tier': 'gold', 'placement.id': 'hero' }, contextWeights: [{ when: { 'placement.id': 'hero' }, weight: 2 }] },
        ],
        defaults: { hero: ['missing'], sidebar: [] },
        policies: [{ id: 'p', scope: 'offer', maxImpressions: { count: 1, window: '1d' }, match: { offers: ['zz'], placements: ['yy'] } }],
        exploration: { policy: 'thompson', arms: { ghost: { alpha: 1, beta: 1 } }, weights: { a: 1, phantom: 0.5 } },
      }),
    ).toEqual([
      { path: 'offers[1].id', code: 'duplicate_id' },
      { path: 'placements[1].id', code: 'duplicate_id' },
      { path: 'offers[0].placements[0]', code: 'unknown_placement' },
      { path: 'offers[0].modelId', code: 'unknown_model' },
      { path: 'offers[0].eligibility.features.x.$gtt', code: 'unknown_operator' },
      { path: 'offers[1].validTo', code: 'invalid_window' },
      { path: 'offers[2].contextWeights[0].when.$or[0].context.q.$regex', code: 'unsafe_regex' },
      { path: 'offers[3].eligibility.traits.tier', code: 'unknown_root' },
      { path: 'offers[3].eligibility.placement.id', code: 'unknown_root' },
      { path: 'defaults.hero[0]', code: 'unknown_offer' },
      { path: 'defaults.sidebar', code: 'unknown_placement' },
      { path: 'policies[0].match.offers[0]', code: 'unknown_offer' },
      { path: 'policies[0].match.placements[0]', code: 'unknown_placement' },
      { path: 'exploration.arms.ghost', code: 'unknown_offer' },
      { path: 'exploration.weights.phantom', code: 'unknown_offer' },
    ]);
  });
});

describe('hashDecisionConfig', () => {
  it('ignores key order and undefined members, and changes with any value', () => {
    const a = { version: '1', offers: [{ id: 'a', value: 1, tags: ['x'] }], extra: undefined };
    const b = { offers: [{ tags: ['x'], value: 1, id: 'a' }], version: '1' };
    expect(hashDecisionConfig(a)).toBe(hashDecisionConfig(b));
    expect(hashDecisionConfig({ ...b, version: '2' })).not.toBe(hashDecisionConfig(b));
    expect(hashDecisionConfig({ ...b, offers: [{ id: 'a', value: 1, tags: ['y'] }] })).not.toBe(hashDecisionConfig(b));
  });

  /** FNV-1a 64 over UTF-8 bytes, straight from its definition. */
  function reference(text: string): string {
    let hash = 0xcbf29ce484222325n;
    for (const byte of Buffer.from(text, 'utf8')) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return hash.toString(16).padStart(16, '0');
  }

  it('is FNV-1a 64 over the UTF-8 of the canonical JSON', () => {
    expect(reference('a')).toBe('af63dc4c8601ec8c'); // the published test vector
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(hashDecisionConfig(value)).toBe(reference(canonicalJson(value)));
      }),
    );
    for (const text of ['é', '€ and 😀', '\ud800 lone surrogate']) expect(hashDecisionConfig(text)).toBe(reference(JSON.stringify(text)));
  });
});
