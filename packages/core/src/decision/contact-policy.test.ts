import { describe, expect, it } from 'vitest';
import {
  EMPTY_HISTORY,
  HISTORY_LIMITS,
  checkContactPolicies,
  compileContactPolicies,
  historyKey,
  parseDuration,
  recordOutcome,
  type InteractionHistory,
} from './contact-policy';

// Caps, windows and scopes are in spec/decision/contact-policy.v1.json; these tests cover the rest.

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('parseDuration', () => {
  it('reads milliseconds and unit strings', () => {
    expect([1, '250ms', '30s', '30m', '24h', '7d', '2w'].map(parseDuration)).toEqual([1, 250, 30_000, 1_800_000, 86_400_000, 604_800_000, 1_209_600_000]);
  });

  it('refuses anything else', () => {
    expect([0, -5, 1.5, Number.NaN, '', '7', 'd', '0d', '07d', '1.5h', '1y', ' 1d', '99999999999d'].map(parseDuration)).toEqual(Array(13).fill(undefined));
  });
});

describe('recordOutcome', () => {
  it('returns a new history and leaves the old one as it was', () => {
    const first = recordOutcome(undefined, { type: 'impression', offerId: 'o1', placementId: 'hero', channel: 'web' }, NOW);
    const snapshot = JSON.stringify(first);
    const second = recordOutcome(first, { type: 'dismiss', offerId: 'o1', placementId: 'hero', channel: 'web' }, NOW + 1);
    expect(JSON.stringify(first)).toBe(snapshot);
    expect(second.entries['offer:o1']).toEqual({ impressions: [NOW], rejects: [NOW + 1] });
    expect(EMPTY_HISTORY.entries).toEqual({});
  });

  it('keeps timestamps ascending when outcomes arrive out of order', () => {
    let history: InteractionHistory | undefined;
    for (const at of [NOW, NOW - 5_000, NOW - 1_000]) history = recordOutcome(history, { type: 'impression', offerId: 'o1' }, at);
    expect(history?.entries['offer:o1']?.impressions).toEqual([NOW - 5_000, NOW - 1_000, NOW]);
  });

  it(`keeps at most ${HISTORY_LIMITS.maxEntries} keys, dropping the least recently touched`, () => {
    let history: InteractionHistory | undefined;
    for (let i = 0; i < HISTORY_LIMITS.maxEntries + 10; i++) history = recordOutcome(history, { type: 'impression', offerId: `o${i}` }, NOW + i);
    const keys = Object.keys(history?.entries ?? {});
    expect(keys).toHaveLength(HISTORY_LIMITS.maxEntries);
    expect(keys).not.toContain('offer:o0');
    expect(keys).toContain(`offer:o${HISTORY_LIMITS.maxEntries + 9}`);
  });

  it('survives a JSON round trip unchanged (it is what stores keep)', () => {
    const history = recordOutcome(undefined, { type: 'impression', offerId: 'o1', placementId: 'hero', channel: 'web' }, NOW);
    expect(JSON.parse(JSON.stringify(history))).toEqual(history);
  });
});

describe('checkContactPolicies', () => {
  const policies = compileContactPolicies([{ id: 'cap', scope: 'offer', maxImpressions: { count: 1, window: '1d' } }]);

  it('reads only keys the history holds itself (no inherited "constructor" entry)', () => {
    const offer = { id: 'constructor', tags: [] };
    expect(checkContactPolicies(EMPTY_HISTORY, offer, { id: 'hero', channel: 'web' }, policies, NOW)).toEqual({ allowed: true });
    const history = recordOutcome(undefined, { type: 'impression', offerId: 'constructor' }, NOW);
    expect(checkContactPolicies(history, offer, { id: 'hero', channel: 'web' }, policies, NOW)).toEqual({
      allowed: false,
      reason: 'contact-policy:cap:max-impressions',
      policyId: 'cap',
    });
  });

  it('makes a policy with an unreadable window inert instead of throwing', () => {
    const broken = compileContactPolicies([{ id: 'bad', scope: 'offer', maxImpressions: { count: 1, window: 'soon' } }]);
    const history = recordOutcome(undefined, { type: 'impression', offerId: 'o1' }, NOW);
    expect(checkContactPolicies(history, { id: 'o1', tags: [] }, { id: 'hero', channel: 'web' }, broken, NOW).allowed).toBe(true);
  });

  it('names keys by scope', () => {
    expect([historyKey('offer', 'a'), historyKey('placement', 'b'), historyKey('channel', 'pos')]).toEqual(['offer:a', 'placement:b', 'channel:pos']);
  });
});
