import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecisionConfig, type DecisionConfigInput } from './catalog';
import { compileDecisionConfig, type CompiledDecisionConfig } from './compile';
import { recordOutcome, type InteractionHistory } from './contact-policy';
import { decide, decideWithCandidates, type DecisionProfile, type DecisionRequest } from './decide';
import { slotDistribution, type SlotCandidates } from './exploration';
import type { SyncScorer } from './types';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const PLACEMENTS = ['hero', 'rail'] as const;
const RULES = [
  undefined,
  { 'features.f1': { $gte: 2 } },
  { 'profile.traits.tier': 'gold' },
  { 'context.device': 'mobile' },
  { 'context.hour': { $lt: 12 } },
  { $or: [{ 'context.device': 'desktop' }, { 'features.f2': { $exists: true } }] },
];

const scorer: SyncScorer = {
  sync: true,
  model: { id: 'm', version: '1', featureNames: ['features.f1', 'context.hour', 'offer.value'], task: 'classifier', metadata: {} },
  score(input, rows) {
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = 1 / (1 + Math.exp(-(0.3 * (input[r * 3] as number) - 0.05 * (input[r * 3 + 1] as number) + 0.01 * (input[r * 3 + 2] as number))));
    return out;
  },
};

const offerArbitrary = fc.record({
  placements: fc.subarray([...PLACEMENTS], { minLength: 1 }),
  value: fc.constantFrom(0, 1, 5, 10, 20),
  levers: fc.option(fc.constantFrom(-20, 0, 50), { nil: undefined }),
  eligibility: fc.nat({ max: RULES.length - 1 }),
  applicability: fc.nat({ max: RULES.length - 1 }),
  contextWeight: fc.option(fc.constantFrom(0.5, 2), { nil: undefined }),
  model: fc.boolean(),
  weight: fc.constantFrom(0, 0.1, 0.3, 1),
});

const configArbitrary = fc
  .record({
    offers: fc.array(offerArbitrary, { minLength: 1, maxLength: 12 }),
    exploration: fc.oneof(
      fc.constant({ policy: 'greedy' as const }),
      fc.record({ policy: fc.constant('epsilon-greedy' as const), epsilon: fc.constantFrom(0.05, 0.3, 1), poolSize: fc.option(fc.constantFrom(1, 2, 4), { nil: undefined }) }),
      fc.constant({ policy: 'thompson' as const }),
    ),
    cap: fc.option(fc.record({ scope: fc.constantFrom('offer' as const, 'placement' as const, 'channel' as const), count: fc.constantFrom(1, 2) }), { nil: undefined }),
    defaults: fc.boolean(),
  })
  .map(({ offers, exploration, cap, defaults }): DecisionConfigInput => ({
    version: 'prop',
    placements: [
      { id: 'hero', slots: 2, channel: 'web' },
      { id: 'rail', slots: 3, channel: 'web' },
    ],
    offers: [
      ...offers.map((offer, i) => ({
        id: `o${i}`,
        placements: offer.placements,
        value: offer.value,
        ...(offer.levers !== undefined && { levers: { lever: offer.levers } }),
        ...(RULES[offer.eligibility] && { eligibility: RULES[offer.eligibility] }),
        ...(RULES[offer.applicability] && { applicability: RULES[offer.applicability] }),
        ...(offer.contextWeight !== undefined && { contextWeights: [{ when: { 'context.device': 'mobile' }, weight: offer.contextWeight }] }),
        ...(offer.model && { modelId: 'm' }),
      })),
      { id: 'fallback', placements: [], value: 0 },
    ],
    models: [{ id: 'm', version: '1' }],
    exploration: exploration.policy === 'thompson' ? { policy: 'thompson', weights: Object.fromEntries(offers.map((offer, i) => [`o${i}`, offer.weight])) } : exploration,
    policies: cap ? [{ id: 'cap', scope: cap.scope, maxImpressions: { count: cap.count, window: '1d' } }] : [],
    defaults: defaults ? { hero: ['fallback'], rail: ['fallback'] } : {},
  }));

const profileArbitrary = fc.record({
  id: fc.string({ minLength: 1, maxLength: 8 }),
  traits: fc.record({ tier: fc.constantFrom('gold', 'silver') }),
  features: fc.record({ f1: fc.integer({ min: 0, max: 5 }), f2: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: ['f1'] }),
});

const historyArbitrary = fc
  .array(fc.record({ offer: fc.nat({ max: 11 }), placement: fc.constantFrom(...PLACEMENTS), dismiss: fc.boolean(), ago: fc.integer({ min: 0, max: 172_800_000 }) }), { maxLength: 8 })
  .map((events) =>
    events.reduce<InteractionHistory | undefined>(
      (history, event) => recordOutcome(history, { type: event.dismiss ? 'dismiss' : 'impression', offerId: `o${event.offer}`, placementId: event.placement, channel: 'web' }, NOW - event.ago),
      undefined,
    ),
  );

const requestArbitrary = (personalization: boolean) =>
  fc.record({
    decisionId: fc.uuid(),
    placements: fc.shuffledSubarray([{ id: 'hero' }, { id: 'rail' }], { minLength: 1 }),
    context: fc.record({ device: fc.constantFrom('mobile', 'desktop'), hour: fc.integer({ min: 0, max: 23 }) }),
    consent: fc.constant({ personalization }),
    now: fc.constant(NOW),
  });

function compile(input: DecisionConfigInput): CompiledDecisionConfig {
  const parsed = parseDecisionConfig(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compileDecisionConfig(parsed.config, { hash: parsed.hash });
}

/** A profile that records any read of its own members. */
function watched(profile: DecisionProfile, reads: string[]): DecisionProfile {
  return new Proxy(profile, {
    get(target, key, receiver) {
      reads.push(String(key));
      return Reflect.get(target, key, receiver);
    },
  });
}

describe('decide: properties', () => {
  it('without personalization consent, reads no profile data and answers the same for any profile and history', () => {
    fc.assert(
      fc.property(configArbitrary, requestArbitrary(false), profileArbitrary, profileArbitrary, historyArbitrary, historyArbitrary, (input, request, first, second, history1, history2) => {
        const config = compile(input);
        const scorers = new Map([['m', scorer]]);
        const reads: string[] = [];
        const a = decide(request, { config, profile: watched(first, reads), ...(history1 && { history: history1 }), scorers });
        const b = decide(request, { config, profile: watched(second, reads), ...(history2 && { history: history2 }), scorers });
        expect(reads).toEqual([]);
        expect(a.policy.mode).toBe('non-personalized');
        expect(b).toEqual(a);
        expect(a.models).toEqual([]);
      }),
    );
  });

  it('never shows an offer twice in one decision, and fills no more slots than asked', () => {
    fc.assert(
      fc.property(configArbitrary, requestArbitrary(true), profileArbitrary, historyArbitrary, (input, request, profile, history) => {
        const response = decide(request, { config: compile(input), profile, ...(history && { history }), scorers: new Map([['m', scorer]]) });
        const shown = response.placements.flatMap((placement) => placement.items.map((item) => item.offerId));
        expect(new Set(shown).size).toBe(shown.length);
        for (const placement of response.placements) {
          expect(placement.items.length).toBeLessThanOrEqual(placement.placementId === 'hero' ? 2 : 3);
          expect(placement.items.map((item) => item.rank)).toEqual(placement.items.map((_, i) => i + 1));
        }
      }),
    );
  });

  it("gives each shown item exactly the probability its slot's distribution gave it, and each slot's distribution sums to at most 1", () => {
    fc.assert(
      fc.property(configArbitrary, requestArbitrary(true), profileArbitrary, historyArbitrary, (input, request, profile, history) => {
        const config = compile(input);
        const { response, candidates } = decideWithCandidates(request as DecisionRequest, { config, profile, ...(history && { history }), scorers: new Map([['m', scorer]]) });
        for (const placement of response.placements) {
          // The candidates this placement ranked, in its order: passed and shown (not defaults).
          const ranked = candidates.filter((c) => c.placementId === placement.placementId && c.status !== 'excluded' && c.selection !== 'default');
          const scores = ranked.map((c) => c.score as number);
          const weights = ranked.map((c) => config.offerById.get(c.offerId)?.thompsonWeight ?? 0);
          const available = ranked.map(() => 1);
          for (const item of placement.items) {
            if (item.reasons[0] === 'default') continue;
            const index = ranked.findIndex((c) => c.offerId === item.offerId);
            const slot: SlotCandidates = { count: ranked.length, scores, weights, available };
            const distribution = slotDistribution(config.exploration, slot);
            expect(distribution.reduce((sum, p) => sum + p, 0)).toBeLessThanOrEqual(1 + 1e-12);
            expect(item.selectionProbability).toBeGreaterThan(0);
            expect(item.selectionProbability).toBeCloseTo(distribution[index] as number, 12);
            available[index] = 0;
          }
        }
      }),
    );
  });

  it('replacing a model with itself through an experiment changes nothing', () => {
    fc.assert(
      fc.property(configArbitrary, requestArbitrary(true), profileArbitrary, historyArbitrary, fc.boolean(), (input, request, profile, history, inExperiment) => {
        const config = compile(input);
        const scorers = new Map([['m', scorer]]);
        const assignments = [
          { experimentKey: 'rollout', variationIndex: 1, variationKey: 'b', hashAttribute: 'profileId', hashValue: profile.id, inExperiment, reason: 'assigned', value: { models: { m: 'm' } } },
        ];
        const inputs = { config, profile, ...(history && { history }), scorers };
        const plain = decideWithCandidates(request, inputs);
        const overridden = decideWithCandidates(request, { ...inputs, assignments });
        expect(overridden.candidates).toEqual(plain.candidates);
        expect(overridden.response).toEqual({ ...plain.response, experiments: assignments });
      }),
    );
  });
});
