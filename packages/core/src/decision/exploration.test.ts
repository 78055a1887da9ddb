import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseSlot, computeThompsonWeights, createSeededRandom, slotDistribution, type ExplorationPolicy, type SlotCandidates } from './exploration';

const POLICIES: ExplorationPolicy[] = [
  { policy: 'greedy' },
  { policy: 'epsilon-greedy', epsilon: 0.3 },
  { policy: 'epsilon-greedy', epsilon: 1 },
  { policy: 'epsilon-greedy', epsilon: 0.2, poolSize: 2 },
  { policy: 'thompson' },
];

const candidatesArbitrary = fc
  .array(fc.record({ score: fc.double({ min: 0, max: 100, noNaN: true }), weight: fc.constantFrom(0, 0.1, 0.25, 0.5, 1), available: fc.boolean() }), { minLength: 1, maxLength: 8 })
  .map(
    (rows): SlotCandidates => ({
      // Scratch buffers are longer than `count`: entries past it must be ignored.
      count: rows.length,
      scores: [...rows.map((row) => row.score), 1e9],
      weights: [...rows.map((row) => row.weight), 1],
      available: [...rows.map((row) => (row.available ? 1 : 0)), 1],
    }),
  );

describe('slotDistribution', () => {
  it('sums to 1 when a candidate is available (and to 0 when none is), never giving weight to unavailable ones', () => {
    fc.assert(
      fc.property(candidatesArbitrary, fc.constantFrom(...POLICIES), (candidates, policy) => {
        const distribution = slotDistribution(policy, candidates);
        const anyAvailable = Array.from({ length: candidates.count }, (_, i) => candidates.available[i]).some(Boolean);
        const total = distribution.reduce((sum, p) => sum + p, 0);
        expect(total).toBeCloseTo(anyAvailable ? 1 : 0, 12);
        distribution.forEach((p, i) => {
          expect(p).toBeGreaterThanOrEqual(0);
          if (!candidates.available[i]) expect(p).toBe(0);
        });
      }),
    );
  });
});

describe('chooseSlot', () => {
  it('reports the probability its own distribution gives the chosen candidate', () => {
    fc.assert(
      fc.property(candidatesArbitrary, fc.constantFrom(...POLICIES), fc.string(), (candidates, policy, seed) => {
        const choice = chooseSlot(policy, candidates, createSeededRandom(seed));
        const distribution = slotDistribution(policy, candidates);
        if (choice === undefined) {
          expect(distribution.every((p) => p === 0)).toBe(true);
          return;
        }
        expect(choice.index).toBeLessThan(candidates.count);
        expect(candidates.available[choice.index]).toBe(1);
        expect(choice.probability).toBeCloseTo(distribution[choice.index] as number, 12);
      }),
    );
  });

  // The logged probability must be the real one: draw many times and compare frequencies with it.
  const cases: { name: string; policy: ExplorationPolicy; candidates: SlotCandidates }[] = [
    { name: 'ε-greedy', policy: { policy: 'epsilon-greedy', epsilon: 0.3 }, candidates: { count: 4, scores: [5, 9, 1, 7], weights: [0, 0, 0, 0], available: [1, 1, 1, 0] } },
    { name: 'ε-greedy with a pool', policy: { policy: 'epsilon-greedy', epsilon: 0.5, poolSize: 2 }, candidates: { count: 4, scores: [5, 9, 1, 7], weights: [0, 0, 0, 0], available: [1, 1, 1, 1] } },
    { name: 'Thompson', policy: { policy: 'thompson' }, candidates: { count: 4, scores: [0, 0, 0, 0], weights: [0.5, 0.1, 0.3, 0.1], available: [1, 1, 0, 1] } },
    { name: 'Thompson without weights', policy: { policy: 'thompson' }, candidates: { count: 3, scores: [0, 0, 0], weights: [0, 0, 0], available: [1, 1, 1] } },
  ];
  it.each(cases)('$name: selection frequencies over 40,000 seeded draws match the reported probabilities', ({ policy, candidates }) => {
    const draws = 40_000;
    const counts = new Map<number, number>();
    const reported = new Map<number, number>();
    const random = createSeededRandom('frequency-check');
    for (let i = 0; i < draws; i++) {
      const choice = chooseSlot(policy, candidates, random);
      if (!choice) throw new Error('nothing chosen');
      counts.set(choice.index, (counts.get(choice.index) ?? 0) + 1);
      reported.set(choice.index, choice.probability);
    }
    for (const [index, probability] of reported) {
      const observed = (counts.get(index) ?? 0) / draws;
      const sigma = Math.sqrt((probability * (1 - probability)) / draws);
      expect(Math.abs(observed - probability), `candidate ${index}`).toBeLessThanOrEqual(5 * sigma + 1e-9);
    }
    const distribution = slotDistribution(policy, candidates);
    distribution.forEach((p, index) => {
      if (p > 0) expect(reported.get(index), `candidate ${index} was never drawn`).toBeCloseTo(p, 12);
    });
  });

  it('is greedy without a random source', () => {
    const candidates: SlotCandidates = { count: 3, scores: [1, 3, 2], weights: [1, 1, 1], available: [1, 1, 1] };
    expect(chooseSlot({ policy: 'epsilon-greedy', epsilon: 0.5 }, candidates, undefined)).toEqual({ index: 1, probability: 1, kind: 'greedy' });
  });
});

describe('computeThompsonWeights', () => {
  it('is deterministic for a seed, sums to 1 and favours the better arm', () => {
    const arms = [
      { alpha: 30, beta: 70 },
      { alpha: 10, beta: 90 },
      { alpha: 2, beta: 8 },
    ];
    const weights = computeThompsonWeights(arms, { draws: 4000, seed: 'batch-1' });
    expect(computeThompsonWeights(arms, { draws: 4000, seed: 'batch-1' })).toEqual(weights);
    expect(weights.reduce((sum, w) => sum + w, 0)).toBeCloseTo(1, 12);
    expect(weights[0]).toBeGreaterThan(weights[2] as number);
    expect(weights[2]).toBeGreaterThan(weights[1] as number);
  });

  it('weighs the rate by the multiplier (value × levers)', () => {
    const weights = computeThompsonWeights(
      [
        { alpha: 50, beta: 50, multiplier: 1 },
        { alpha: 20, beta: 80, multiplier: 10 },
      ],
      { draws: 2000, seed: 's' },
    );
    expect(weights[1]).toBeGreaterThan(0.99);
  });

  it('samples Beta distributions with the right mean, including shapes below 1', () => {
    // Two arms with equal means win equally often; a Beta(0.5, 0.5) arm against a point mass at its mean too.
    const even = computeThompsonWeights([{ alpha: 0.5, beta: 0.5 }, { alpha: 0.5, beta: 0.5 }], { draws: 20_000, seed: 'x' });
    expect(Math.abs((even[0] as number) - 0.5)).toBeLessThan(0.02);
    const point = computeThompsonWeights([{ alpha: 0.5, beta: 0.5 }, { alpha: 1e6, beta: 1e6 }], { draws: 20_000, seed: 'y' });
    expect(Math.abs((point[0] as number) - 0.5)).toBeLessThan(0.02);
  });
});

describe('createSeededRandom', () => {
  it('replays the same numbers for the same seed, in [0, 1)', () => {
    const a = createSeededRandom('d-1');
    const b = createSeededRandom('d-1');
    const first = Array.from({ length: 1000 }, () => a.random());
    expect(Array.from({ length: 1000 }, () => b.random())).toEqual(first);
    expect(first.every((u) => u >= 0 && u < 1)).toBe(true);
    expect(createSeededRandom('d-2').random()).not.toBe(first[0]);
  });
});
