import { describe, expect, it } from 'vitest';
import type { DecisionLogRecord } from '../decision/decision-log';
import type { OutcomeRecord } from '../decision/outcome-record';
import { createSeededRandom } from '../identity/probabilistic-random';
import type { RandomSource } from '../platform';
import { evaluatePolicy, type ActionProbability, type LoggedInteraction, type OpeEstimate } from './ope';
import { toLoggedInteractions } from './ope-decision-log';

/**
 * A simulated store where the truth is known: 4 customer segments, 5 offers, a conversion probability
 * for every (segment, offer). The reward is the visit's revenue: what the segment spends anyway plus 30
 * for a conversion, the case where plain IPS suffers most (every weight multiplies the baseline too).
 * The logging policy is ε-greedy around a production model that prefers the wrong offer in two
 * segments; the candidate policy mostly picks a different offer per segment.
 */
const SEGMENT_SHARES = [0.4, 0.3, 0.2, 0.1];
const BASE_REVENUE = [10, 20, 5, 40];
const CONVERSION_VALUE = 30;
const OFFERS = ['a', 'b', 'c', 'd', 'e'];
const CONVERSION = [
  [0.05, 0.1, 0.03, 0.08, 0.02],
  [0.12, 0.04, 0.06, 0.02, 0.09],
  [0.02, 0.03, 0.15, 0.05, 0.06],
  [0.07, 0.11, 0.04, 0.2, 0.03],
];
const LOGGING_FAVORITE = [0, 0, 2, 1]; // wrong in segments 0 and 3
const TARGET_FAVORITE = [1, 4, 2, 3];
const EPSILON = 0.3;

type Segment = number;

function loggingDistribution(segment: Segment): number[] {
  return OFFERS.map((_, a) => (a === LOGGING_FAVORITE[segment] ? 1 - EPSILON + EPSILON / OFFERS.length : EPSILON / OFFERS.length));
}

function targetPolicy(segment: Segment): ActionProbability[] {
  return OFFERS.map((action, a) => ({ action, probability: a === TARGET_FAVORITE[segment] ? 0.8 : 0.05 }));
}

function expectedReward(segment: Segment, action: string): number {
  return (BASE_REVENUE[segment] as number) + CONVERSION_VALUE * (CONVERSION[segment]?.[OFFERS.indexOf(action)] as number);
}

/** Σ_x P(x) Σ_a π(a|x) E[r | x, a]: the value the estimators should find. */
function trueValue(): number {
  let value = 0;
  SEGMENT_SHARES.forEach((share, x) => {
    for (const { action, probability } of targetPolicy(x)) value += share * probability * expectedReward(x, action);
  });
  return value;
}

function draw(random: RandomSource, probabilities: readonly number[]): number {
  let u = random.random();
  for (let i = 0; i < probabilities.length; i++) {
    u -= probabilities[i] as number;
    if (u < 0) return i;
  }
  return probabilities.length - 1;
}

function simulateLogs(seed: number, n: number): LoggedInteraction<Segment>[] {
  const random = createSeededRandom(seed);
  return Array.from({ length: n }, () => {
    const segment = draw(random, SEGMENT_SHARES);
    const logging = loggingDistribution(segment);
    const a = draw(random, logging);
    const converted = random.random() < (CONVERSION[segment]?.[a] as number);
    const reward = (BASE_REVENUE[segment] as number) + (converted ? CONVERSION_VALUE : 0);
    return { context: segment, action: OFFERS[a] as string, propensity: logging[a] as number, reward };
  });
}

/** A deliberately biased reward model (20% too pessimistic): DR must stay unbiased anyway. */
const rewardModel = (segment: Segment, action: string) => 0.8 * expectedReward(segment, action);

function summary(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, variance: values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) };
}

describe('evaluatePolicy on simulated logs with a known true value', () => {
  const truth = trueValue();
  const runs = Array.from({ length: 300 }, (_, seed) => evaluatePolicy(simulateLogs(1000 + seed, 2000), targetPolicy, { rewardModel }));
  const estimates = (pick: (run: (typeof runs)[number]) => OpeEstimate) => runs.map(pick);

  it('the true value is what the tables say', () => {
    // Σ π·μ per segment: 0.8·0.1 + 0.05·0.18 = 0.089; 0.072 + 0.012 = 0.084; 0.12 + 0.008 = 0.128; 0.16 + 0.0125 = 0.1725.
    const conversion = 0.4 * 0.089 + 0.3 * 0.084 + 0.2 * 0.128 + 0.1 * 0.1725;
    expect(truth).toBeCloseTo(0.4 * 10 + 0.3 * 20 + 0.2 * 5 + 0.1 * 40 + 30 * conversion, 13);
  });

  it('IPS, SNIPS and DR are centred on the truth (mean of 300 runs within 3 standard errors)', () => {
    for (const pick of [(r: (typeof runs)[number]) => r.ips, (r: (typeof runs)[number]) => r.snips, (r: (typeof runs)[number]) => r.dr as OpeEstimate]) {
      const { mean, variance } = summary(estimates(pick).map((e) => e.value));
      expect(Math.abs(mean - truth)).toBeLessThan(3 * Math.sqrt(variance / runs.length));
    }
  });

  // Measured: IPS 95.3%, SNIPS 91.7%, DR 92.7%; normal intervals under-cover a little when the weights are
  // heavy-tailed (max weight 13 here), and 300 runs put ±1.3% of noise on each figure.
  it('each run’s 95% interval covers the truth in roughly 95% of runs', () => {
    for (const pick of [(r: (typeof runs)[number]) => r.ips, (r: (typeof runs)[number]) => r.snips, (r: (typeof runs)[number]) => r.dr as OpeEstimate]) {
      const covered = estimates(pick).filter((e) => e.lower <= truth && truth <= e.upper).length / runs.length;
      expect(covered).toBeGreaterThan(0.88);
      expect(covered).toBeLessThan(0.99);
    }
  });

  it('SNIPS and DR vary less from run to run than IPS', () => {
    const ips = summary(estimates((r) => r.ips).map((e) => e.value)).variance;
    const snips = summary(estimates((r) => r.snips).map((e) => e.value)).variance;
    const dr = summary(estimates((r) => r.dr as OpeEstimate).map((e) => e.value)).variance;
    // Measured on these seeds: SNIPS ≈ 0.40 × IPS, DR ≈ 0.23 × IPS.
    expect(snips).toBeLessThan(0.7 * ips);
    expect(dr).toBeLessThan(0.5 * ips);
    expect(dr).toBeLessThan(snips);
  });

  it('reports the effective sample size, and clipping caps the weights', () => {
    const logs = simulateLogs(7, 2000);
    const plain = evaluatePolicy(logs, targetPolicy);
    // The largest weight is 0.8 / (ε/5) = 13.33 (target favourite where logging explored).
    expect(plain.ips.maxWeight).toBeCloseTo(0.8 / (EPSILON / 5), 12);
    expect(plain.ips.effectiveSampleSize).toBeLessThan(2000 / 2);
    const clipped = evaluatePolicy(logs, targetPolicy, { clip: 5 });
    expect(clipped.ips.maxWeight).toBe(5);
    expect(clipped.ips.clipped).toBeGreaterThan(0);
    expect(clipped.ips.effectiveSampleSize).toBeGreaterThan(plain.ips.effectiveSampleSize);
    expect(clipped.ips.value).toBeLessThan(plain.ips.value);
  });
});

describe('evaluatePolicy by hand', () => {
  const logs: LoggedInteraction<string>[] = [
    { context: 'x', action: 'a', propensity: 0.5, reward: 1 },
    { context: 'x', action: 'b', propensity: 0.5, reward: 0 },
    { context: 'y', action: 'a', propensity: 0.25, reward: 0 },
    { context: 'y', action: 'b', propensity: 0.75, reward: 1 },
  ];
  const policy = () => [{ action: 'a', probability: 1 }];
  const q = (_: string, action: string) => (action === 'a' ? 0.4 : 0.6);

  it('IPS, SNIPS and DR follow their formulas', () => {
    const { ips, snips, dr } = evaluatePolicy(logs, policy, { rewardModel: q });
    // w = [2, 0, 4, 0]; IPS = (2·1 + 0 + 4·0 + 0) / 4 = 0.5; SNIPS = 2 / 6
    expect(ips.value).toBeCloseTo(0.5, 15);
    expect(snips.value).toBeCloseTo(2 / 6, 15);
    // DR terms: 0.4 + 2(1 − 0.4) = 1.6; 0.4 + 0 = 0.4; 0.4 + 4(0 − 0.4) = −1.2; 0.4 → mean 0.3
    expect(dr?.value).toBeCloseTo(0.3, 15);
    // IPS terms [2, 0, 0, 0]: sample sd = 1, se = 0.5
    expect(ips.standardError).toBeCloseTo(0.5, 15);
    // SNIPS: √(Σ w²(r − V)²) / Σw = √(4·(2/3)² + 16·(1/3)²) / 6
    expect(snips.standardError).toBeCloseTo(Math.sqrt(4 * (4 / 9) + 16 / 9) / 6, 15);
    expect(ips.effectiveSampleSize).toBeCloseTo(36 / 20, 15);
  });

  it('leaves out rows with unusable propensities and counts them', () => {
    const bad = [...logs, { context: 'z', action: 'a', propensity: 0, reward: 1 }, { context: 'z', action: 'a', propensity: 1.5, reward: 1 }];
    const { ips } = evaluatePolicy(bad, policy);
    expect(ips).toMatchObject({ n: 4, skipped: 2 });
    expect(ips.value).toBeCloseTo(0.5, 15);
    expect(evaluatePolicy([], policy).ips.value).toBeNaN();
  });

  it('the logging policy evaluated on its own logs gets weight 1 everywhere: IPS = SNIPS = mean reward, ESS = n', () => {
    const logs = simulateLogs(3, 500);
    const own = (segment: Segment) => loggingDistribution(segment).map((probability, a) => ({ action: OFFERS[a] as string, probability }));
    const { ips, snips } = evaluatePolicy(logs, own);
    const mean = logs.reduce((a, r) => a + r.reward, 0) / logs.length;
    expect(ips.value).toBeCloseTo(mean, 10);
    expect(snips.value).toBeCloseTo(mean, 10);
    expect(ips.effectiveSampleSize).toBeCloseTo(500, 9);
  });
});

describe('toLoggedInteractions', () => {
  const base = {
    type: 'decision',
    schemaVersion: 1,
    consent: { personalization: true },
    mode: 'personalized',
    context: { channel: 'web' },
    configVersion: 'v1',
    configHash: 'h',
    policy: { exploration: 'epsilon-greedy', version: 'p1', mode: 'personalized' },
    models: [],
    experiments: [],
  } as const;
  const decision: DecisionLogRecord = {
    ...base,
    decisionId: 'd1',
    timestamp: 1_000,
    placements: [
      {
        placementId: 'hero',
        items: [
          { offerId: 'o2', rank: 2, score: 0.3, selectionProbability: 0.5, selection: 'explore' },
          { offerId: 'o1', rank: 1, score: 0.9, selectionProbability: 0.8, selection: 'exploit' },
        ],
      },
      { placementId: 'footer', items: [{ offerId: 'o9', rank: 1, score: 0, selectionProbability: 1, selection: 'default' }] },
    ],
    candidates: [
      { offerId: 'o1', placementId: 'hero', status: 'shown' },
      { offerId: 'o2', placementId: 'hero', status: 'shown' },
      { offerId: 'o3', placementId: 'hero', status: 'passed' },
      { offerId: 'o4', placementId: 'hero', status: 'excluded', reason: 'eligibility' },
      { offerId: 'o9', placementId: 'footer', status: 'shown' },
    ],
  };
  const outcome = (type: OutcomeRecord['type'], offerId: string, timestamp: number, value?: number, decisionId = 'd1', placementId = 'hero'): OutcomeRecord => ({
    type,
    decisionId,
    offerId,
    placementId,
    timestamp,
    ...(value !== undefined && { value }),
  });
  const outcomes = [
    outcome('click', 'o1', 2_000),
    outcome('convert', 'o1', 3_000, 40),
    outcome('convert', 'o1', 4_000, 10),
    outcome('convert', 'o2', 90_000, 99), // outside a 60 s window
    outcome('convert', 'o1', 2_000, 500, 'd2'), // another decision
    outcome('convert', 'o1', 2_000, 7, 'd1', 'footer'), // another placement
  ];

  it('makes one row per shown slot, in rank order, with the logged probability and the slot’s context', () => {
    const rows = toLoggedInteractions([decision], outcomes, { reward: 'convert' });
    expect(rows.map((r) => [r.context.placementId, r.context.rank, r.action, r.propensity, r.reward])).toEqual([
      ['hero', 1, 'o1', 0.8, 1],
      ['hero', 2, 'o2', 0.5, 1],
      ['footer', 1, 'o9', 1, 0],
    ]);
    expect(rows[1]?.context.shownBefore).toEqual(['o1']);
    expect(rows[0]?.context.eligible).toEqual(['o1', 'o2', 'o3']);
    expect(rows[0]?.context.decision).toBe(decision);
  });

  it('sums conversion value, honours the attribution window and the rank limit', () => {
    const rows = toLoggedInteractions([decision], outcomes, { reward: 'value', attributionWindowMs: 60_000 });
    expect(rows.map((r) => r.reward)).toEqual([50, 0, 0]);
    expect(toLoggedInteractions([decision], outcomes, { reward: 'click', maxRank: 1 }).map((r) => [r.action, r.reward])).toEqual([
      ['o1', 1],
      ['o9', 0],
    ]);
  });

  it('feeds evaluatePolicy: a policy that always shows the logged top offer gets weight 1/0.8 there', () => {
    const rows = toLoggedInteractions([decision], outcomes, { reward: 'convert', maxRank: 1 });
    const result = evaluatePolicy(rows, (x) => [{ action: x.eligible.find((offer) => !x.shownBefore.includes(offer)) as string, probability: 1 }]);
    // hero: π(o1) = 1, μ = 0.8, r = 1 → 1.25; footer: eligible [o9], μ = 1, r = 0 → 0
    expect(result.ips.value).toBeCloseTo((1.25 + 0) / 2, 15);
  });
});
