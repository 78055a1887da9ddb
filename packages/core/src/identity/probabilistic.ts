import { TailorError } from '../errors';
import { BlockingIndex } from './probabilistic-blocking';
import { clusterSlots, resolveClusterOptions, type ClusterOptions, type ClusteringResult } from './probabilistic-cluster';
import type { Comparison, IdentityRecord, RecordFields } from './probabilistic-comparisons';
import { MIN_PROBABILITY, initialM, initialU } from './probabilistic-em';
import { estimateParameters, type TrainOptions } from './probabilistic-train';
import type {
  ComparisonContribution,
  Matcher,
  MatcherConfig,
  MatcherParameters,
  MatchDecision,
  MatchExplanation,
  ProbabilisticEdge,
  ScoredCandidate,
  TrainingReport,
} from './probabilistic-types';

export type {
  ComparisonContribution,
  CorrelatedGroup,
  Matcher,
  MatcherConfig,
  MatcherParameters,
  MatchDecision,
  MatchExplanation,
  ProbabilisticEdge,
  ScoredCandidate,
  ScoreResult,
  TrainingReport,
} from './probabilistic-types';
export type { TrainingSession, TrainOptions } from './probabilistic-train';
export type { ClusterOptions, ClusteringResult } from './probabilistic-cluster';
export { createRetailMatcherConfig } from './probabilistic-retail';

interface Prepared {
  readonly values: readonly unknown[];
  readonly tfKeys: readonly (string | undefined)[];
  /** The term counts of each `tfKeys` value, held so that scoring needs no lookup (kept live by `countTerms`). */
  readonly stats: (TermStats | undefined)[];
  readonly blockKeys: readonly (string | undefined)[];
  readonly personKey: string | undefined;
}

/** Counts behind the term frequency of one value. */
interface TermStats {
  /** Records carrying the value. */
  count: number;
  /** Person key of the first carrier that had one. */
  anchor: string | undefined;
  /** Carriers whose person key differs from the anchor's: other people, as far as the key can tell. */
  strangers: number;
  /** Distinct person keys other than the anchor's, kept up to one more than the comparison's `genericAbove`. */
  others: string[] | undefined;
}

const LOG2 = Math.log(2);

function log2(x: number): number {
  return Math.log(x) / LOG2;
}

function probabilityOf(matchWeight: number): number {
  return 1 / (1 + 2 ** -matchWeight);
}

/**
 * A Fellegi–Sunter matcher with a persistent blocking index, EM-trained m/u and term-frequency
 * adjustment. Scoring never throws; construction throws on an invalid configuration. (One closure on
 * purpose: the hot path reads the parameters, the term counts and the index together.)
 *
 * @example
 * const matcher = createMatcher(createRetailMatcherConfig());
 * for (const record of records) matcher.add(record);
 * matcher.train({ seed: 7 });
 * const edges = matcher.matches({ id: 'r9', fields: { firstName: 'Bob', lastName: 'Smith', email: 'bob@x.com' } });
 */
export function createMatcher(config: MatcherConfig): Matcher {
  const comparisons = config.comparisons;
  const width = comparisons.length;
  const maxBlockSize = config.maxBlockSize ?? 100;
  const linkThreshold = config.linkThreshold ?? 0.99;
  const reviewThreshold = config.reviewThreshold ?? 0.8;
  if (width === 0) throw new TailorError('invalid_config', 'createMatcher: give at least one comparison in "comparisons"');
  if (config.blocking.length === 0) throw new TailorError('invalid_config', 'createMatcher: give at least one blocking rule in "blocking"');
  if (!(maxBlockSize >= 2)) throw new TailorError('invalid_config', 'createMatcher: "maxBlockSize" must be at least 2');
  if (!(reviewThreshold > 0 && reviewThreshold <= linkThreshold && linkThreshold < 1)) {
    throw new TailorError('invalid_config', 'createMatcher: thresholds must satisfy 0 < reviewThreshold ≤ linkThreshold < 1');
  }
  for (const comparison of comparisons) {
    if (comparison.levels.length < 2) throw new TailorError('invalid_config', `createMatcher: comparison "${comparison.name}" needs at least two levels`);
  }

  const comparisonIndex = (name: string): number => {
    const k = comparisons.findIndex((comparison) => comparison.name === name);
    if (k < 0) throw new TailorError('invalid_config', `createMatcher: "correlatedGroups" names "${name}", which is not a comparison`);
    return k;
  };
  const groups = (config.correlatedGroups ?? []).map((group) => {
    const unless = group.independentWhen === undefined ? -1 : comparisonIndex(group.independentWhen.comparison);
    const releasing = new Uint8Array(unless < 0 ? 0 : (comparisons[unless] as Comparison).levels.length);
    for (const label of group.independentWhen?.levels ?? []) {
      const level = (comparisons[unless] as Comparison).levels.indexOf(label);
      if (level < 0) throw new TailorError('invalid_config', `createMatcher: comparison "${group.independentWhen?.comparison}" has no level "${label}"`);
      releasing[level] = 1;
    }
    return { members: group.comparisons.map(comparisonIndex), unless, releasing };
  });
  // For clustering: what a household shares, and what tells its members apart.
  const householdShared = comparisons.map((_, k) => groups.some((group) => group.members.includes(k) && group.unless !== k));
  const index = new BlockingIndex(config.blocking, maxBlockSize);
  const slots: (Prepared | undefined)[] = [];
  const ids: (string | undefined)[] = [];
  const slotOf = new Map<string, number>();
  const freeSlots: number[] = [];
  const tfCounts = comparisons.map(() => new Map<string, TermStats>());
  const tfTotals = new Float64Array(width);
  const tfLevels = comparisons.map((comparison) => {
    const flags = new Uint8Array(comparison.levels.length);
    for (const level of comparison.termFrequency?.levels ?? []) flags[level] = 1;
    for (const level of comparison.termFrequency?.relativeLevels ?? []) flags[level] = 2;
    return flags;
  });

  let m: number[][] = comparisons.map((comparison) => initialM(comparison.levels.length));
  let u: number[][] = comparisons.map((comparison) => initialU(comparison.levels.length));
  let matchesPerRecord = 1;
  let logWeights: number[][] = [];
  const setParameters = (parameters: MatcherParameters) => {
    parameters.comparisons.forEach((entry, k) => {
      const comparison = comparisons[k];
      if (comparison === undefined || entry.name !== comparison.name || entry.m.length !== comparison.levels.length || entry.u.length !== comparison.levels.length) {
        throw new TailorError('invalid_config', `createMatcher: "parameters" do not fit comparison ${k} ("${comparison?.name ?? 'missing'}"); train again`);
      }
    });
    if (parameters.comparisons.length !== width) throw new TailorError('invalid_config', 'createMatcher: "parameters" have a different number of comparisons; train again');
    m = parameters.comparisons.map((entry) => entry.m.map((p) => Math.max(MIN_PROBABILITY, p)));
    u = parameters.comparisons.map((entry) => entry.u.map((p) => Math.max(MIN_PROBABILITY, p)));
    matchesPerRecord = parameters.matchesPerRecord;
    logWeights = m.map((levels, k) => levels.map((p, l) => log2(p / ((u[k] as number[])[l] as number))));
  };
  const getParameters = (): MatcherParameters => ({
    comparisons: comparisons.map((comparison, k) => ({ name: comparison.name, levels: [...comparison.levels], m: [...(m[k] as number[])], u: [...(u[k] as number[])] })),
    matchesPerRecord,
  });
  setParameters(config.parameters ?? getParameters());

  const prepare = (fields: RecordFields): Prepared => {
    const values = comparisons.map((comparison) => {
      try {
        return comparison.prepare(fields);
      } catch {
        return undefined; // A custom comparison that throws on odd input gives no evidence, not an exception.
      }
    });
    const tfKeys = comparisons.map((comparison, k) => {
      const value = values[k];
      if (value === undefined || comparison.termFrequency === undefined) return undefined;
      const key = comparison.termFrequency.key(value);
      return key === '' ? undefined : key;
    });
    let personKey: string | undefined;
    try {
      personKey = config.personKey?.(fields);
    } catch {
      personKey = undefined;
    }
    const stats = tfKeys.map((key, k) => (key === undefined ? undefined : (tfCounts[k] as Map<string, TermStats>).get(key)));
    return { values, tfKeys, stats, blockKeys: index.keysOf(fields), personKey };
  };
  // matches() or score() then add() of one record object prepares it once; add() consumes it.
  let lastRecord: IdentityRecord | undefined;
  let lastPrepared: Prepared | undefined;
  const prepareOnce = (record: IdentityRecord): Prepared => {
    if (record !== lastRecord || lastPrepared === undefined) {
      lastPrepared = prepare(record.fields);
      lastRecord = record;
    }
    return lastPrepared;
  };

  /**
   * How often a value turns up on someone else's record, as a share of the other records with a value.
   * A raw count overstates it: a personal email's count is mostly its owner's duplicates. Identifiers
   * with a `personKey` count the carriers that look like other people, less one (a typo or an unknown
   * nickname). Other values subtract the duplicates expected to carry them plus two Poisson standard
   * deviations. Floored at one record, or at u when u is lower: an identifier seen on one person is as
   * rare as its u says.
   */
  const termFrequency = (k: number, level: number, stats: TermStats | undefined): number => {
    const total = tfTotals[k] as number;
    const floor = Math.min(1 / Math.max(1, total - 1), (u[k] as number[])[level] as number);
    return Math.max(floor, othersWith(k, level, stats) / Math.max(1, total - 1));
  };
  /** How many records of other people carry the value (an estimate; 0 or less when none). */
  const othersWith = (k: number, level: number, stats: TermStats | undefined): number => {
    if (stats === undefined || stats.count <= 0) return 0;
    if (config.personKey !== undefined && genericAbove[k] !== Number.POSITIVE_INFINITY) return stats.strangers - 1;
    const total = tfTotals[k] as number;
    const duplicates = matchesPerRecord * ((m[k] as number[])[level] as number) * (total / Math.max(1, slotOf.size));
    return stats.count - 1 - duplicates - 2 * Math.sqrt(duplicates);
  };
  const countTerms = (prepared: Prepared, delta: 1 | -1) => {
    for (let k = 0; k < width; k++) {
      const key = prepared.tfKeys[k];
      if (key === undefined) continue;
      const counts = tfCounts[k] as Map<string, TermStats>;
      let stats = counts.get(key);
      if (stats === undefined) {
        if (delta < 0) continue;
        stats = { count: 0, anchor: undefined, strangers: 0, others: undefined };
        counts.set(key, stats);
      }
      prepared.stats[k] = stats;
      stats.count += delta;
      const person = prepared.personKey;
      if (person !== undefined) {
        if (stats.anchor === undefined && delta > 0) stats.anchor = person;
        else if (person !== stats.anchor) {
          stats.strangers = Math.max(0, stats.strangers + delta);
          // Distinct people are only ever added: a value once seen with many people stays suspect.
          const limit = genericAbove[k] as number;
          if (delta > 0 && limit !== Number.POSITIVE_INFINITY && (stats.others?.length ?? 0) <= limit && !stats.others?.includes(person)) {
            (stats.others ??= []).push(person);
          }
        }
      }
      if (stats.count <= 0) counts.delete(key);
      tfTotals[k] = (tfTotals[k] as number) + delta;
    }
  };

  const genericAbove = comparisons.map((comparison) => comparison.termFrequency?.genericAbove ?? Number.POSITIVE_INFINITY);
  /** More people than `genericAbove` give the value (by person key), or more records without a person key. */
  const isGeneric = (k: number, stats: TermStats | undefined): boolean => {
    if (stats === undefined || stats.count <= 0) return false;
    const carriers = config.personKey === undefined ? stats.count : 1 + (stats.others?.length ?? 0);
    return carriers > (genericAbove[k] as number);
  };
  /** Level index, −1 for null (a value missing or generic). */
  const levelOf = (k: number, a: Prepared, b: Prepared): number => {
    const left = a.values[k];
    const right = b.values[k];
    if (left === undefined || right === undefined) return -1;
    if (genericAbove[k] !== Number.POSITIVE_INFINITY && (isGeneric(k, a.stats[k]) || isGeneric(k, b.stats[k]))) return -1;
    try {
      return (comparisons[k] as Comparison).level(left, right);
    } catch {
      return -1; // A custom comparison that throws gives no evidence; scoring never throws.
    }
  };
  const tfAdjustment = (k: number, level: number, a: Prepared, b: Prepared): number => {
    const flag = (tfLevels[k] as Uint8Array)[level];
    if (flag === 0) return 0;
    if (a.tfKeys[k] === undefined || b.tfKeys[k] === undefined) return 0;
    const left = a.stats[k];
    const right = b.stats[k];
    if (flag === 1) return -log2(Math.max(termFrequency(k, level, left), termFrequency(k, level, right)) / ((u[k] as number[])[level] as number));
    // A close level (a nickname, a typo) counts less on a common name, never more: two rare spellings
    // may both be typos of a common one.
    const tf = Math.max(termFrequency(k, 0, left), termFrequency(k, 0, right));
    return Math.min(0, -log2(tf / ((u[k] as number[])[0] as number)));
  };
  const priorWeight = (): number => {
    const population = Math.max(2, slotOf.size);
    const lambda = Math.min(0.5, matchesPerRecord / (population - 1));
    return log2(lambda / (1 - lambda));
  };
  /** Weight + TF adjustment of each comparison (NaN where null) into `out`; returns the prior + the sum. */
  const contributions = (a: Prepared, b: Prepared, out: Float64Array, levels: Int8Array): number => {
    let total = 0;
    for (let k = 0; k < width; k++) {
      const level = levelOf(k, a, b);
      levels[k] = level;
      if (level < 0) {
        out[k] = Number.NaN;
        continue;
      }
      const value = ((logWeights[k] as number[])[level] as number) + tfAdjustment(k, level, a, b);
      out[k] = value;
      total += value;
    }
    return total;
  };
  /**
   * Within each correlated group, only the largest positive contribution counts; the other positive ones
   * are cancelled (written to `adjustments`, returned summed). Negative evidence always counts.
   */
  const groupAdjust = (values: Float64Array, levels: Int8Array, adjustments: Float64Array | undefined): number => {
    let total = 0;
    for (const { members, unless, releasing } of groups) {
      if (unless >= 0 && releasing[levels[unless] as number] === 1) continue;
      let best = -1;
      for (const k of members) if ((values[k] as number) > 0 && (best < 0 || (values[k] as number) > (values[best] as number))) best = k;
      if (best < 0) continue;
      for (const k of members) {
        if (k === best || !((values[k] as number) > 0)) continue;
        total -= values[k] as number;
        if (adjustments !== undefined) adjustments[k] = -(values[k] as number);
      }
    }
    return total;
  };
  // For a comparison with `closestLevel`, the best contribution from each level on: a pair that cannot
  // reach a link even at those is skipped before its expensive levels are computed.
  const bounded = comparisons.map((comparison) => comparison.closestLevel !== undefined);
  const bestFrom = (k: number, from: number): number => {
    const weights = logWeights[k] as number[];
    const flags = tfLevels[k] as Uint8Array;
    const total = tfTotals[k] as number;
    let best = 0; // Null (a generic value) gives 0.
    for (let level = Math.max(0, from); level < weights.length; level++) {
      // A term-frequency adjusted level gains at most what its floor allows.
      const gain = flags[level] === 1 ? Math.max(0, log2(((u[k] as number[])[level] as number) * Math.max(1, total - 1))) : 0;
      best = Math.max(best, (weights[level] as number) + gain);
    }
    return best;
  };
  /**
   * False when the pair's match weight is surely below `minWeight`: the comparisons without a
   * `closestLevel` exactly, the others at their best (positive parts only shrink under correlated groups).
   */
  const canReach = (a: Prepared, b: Prepared, prior: number, minWeight: number): boolean => {
    let upper = prior;
    for (let k = 0; k < width; k++) {
      const left = a.values[k];
      const right = b.values[k];
      if (left === undefined || right === undefined) continue;
      if (!bounded[k]) {
        const level = levelOf(k, a, b);
        if (level >= 0) upper += ((logWeights[k] as number[])[level] as number) + tfAdjustment(k, level, a, b);
        continue;
      }
      let closest: number;
      try {
        closest = (comparisons[k] as Comparison).closestLevel?.(left, right) ?? 0;
      } catch {
        closest = 0;
      }
      upper += bestFrom(k, closest);
    }
    return upper >= minWeight;
  };
  // Scratch buffers for the hot path; scoring is synchronous, so one set per matcher is enough.
  const scratchValues = new Float64Array(width);
  const scratchLevels = new Int8Array(width);
  const matchWeight = (a: Prepared, b: Prepared, prior: number): number =>
    prior + contributions(a, b, scratchValues, scratchLevels) + groupAdjust(scratchValues, scratchLevels, undefined);
  const decide = (probability: number): MatchDecision =>
    probability >= linkThreshold ? 'link' : probability >= reviewThreshold ? 'review' : 'distinct';
  const scored = (id: string, weight: number): ScoredCandidate => {
    const probability = probabilityOf(weight);
    return { id, matchWeight: weight, probability, decision: decide(probability) };
  };

  const explainPrepared = (a: Prepared, b: Prepared): MatchExplanation => {
    const prior = priorWeight();
    const values = new Float64Array(width);
    const levels = new Int8Array(width);
    const adjustments = new Float64Array(width);
    const total = prior + contributions(a, b, values, levels) + groupAdjust(values, levels, adjustments);
    const parts = comparisons.map((comparison, k): ComparisonContribution => {
      const level = levels[k] as number;
      if (level < 0) {
        const genericValue = isGeneric(k, a.stats[k]) || isGeneric(k, b.stats[k]);
        return { comparison: comparison.name, level: null, levelIndex: -1, genericValue, m: null, u: null, weight: 0, tfAdjustment: 0, groupAdjustment: 0, contribution: 0 };
      }
      const weight = (logWeights[k] as number[])[level] as number;
      const tf = (values[k] as number) - weight;
      const groupAdjustment = adjustments[k] as number;
      return {
        comparison: comparison.name,
        level: comparison.levels[level] as string,
        levelIndex: level,
        genericValue: false,
        m: (m[k] as number[])[level] as number,
        u: (u[k] as number[])[level] as number,
        weight,
        tfAdjustment: tf,
        groupAdjustment,
        contribution: (values[k] as number) + groupAdjustment,
      };
    });
    const probability = probabilityOf(total);
    return { priorWeight: prior, lambda: 2 ** prior / (1 + 2 ** prior), comparisons: parts, matchWeight: total, probability, decision: decide(probability) };
  };

  // Candidate collection without a Set: a slot is taken once per query when its mark is the query's stamp.
  let marks = new Int32Array(1024);
  let stamp = 0;
  const scratchFound: number[] = [];
  /** The slots sharing a block with the record, itself excluded; the array is reused by the next call. */
  const candidatesOf = (record: IdentityRecord, prepared: Prepared) => {
    if (marks.length < slots.length) {
      const grown = new Int32Array(Math.max(slots.length, 2 * marks.length));
      grown.set(marks);
      marks = grown;
    }
    if (++stamp === 0x7fffffff) {
      marks.fill(0);
      stamp = 1;
    }
    const self = slotOf.get(record.id);
    if (self !== undefined) marks[self] = stamp;
    scratchFound.length = 0;
    const skipped = index.collectInto(prepared.blockKeys, scratchFound, marks, stamp);
    return { found: scratchFound, skipped };
  };

  const remove = (id: string): boolean => {
    const slot = slotOf.get(id);
    if (slot === undefined) return false;
    const prepared = slots[slot] as Prepared;
    index.remove(slot, prepared.blockKeys);
    countTerms(prepared, -1);
    slots[slot] = undefined;
    ids[slot] = undefined;
    slotOf.delete(id);
    freeSlots.push(slot);
    return true;
  };

  const clusterAll = (options: ClusterOptions = {}): ClusteringResult => {
    const resolved = resolveClusterOptions(options, linkThreshold);
    const live: number[] = [];
    for (let slot = 0; slot < slots.length; slot++) if (slots[slot] !== undefined) live.push(slot);
    const prior = priorWeight();
    const adjustments = new Float64Array(width);
    return clusterSlots(
      {
        slots: live,
        ids,
        width,
        priorWeight: prior,
        candidatesOf: (slot, out) => {
          index.collect((slots[slot] as Prepared).blockKeys, out);
        },
        evidence(a, b, levels, values) {
          adjustments.fill(0);
          const total = prior + contributions(slots[a] as Prepared, slots[b] as Prepared, values, levels) + groupAdjust(values, levels, adjustments);
          for (let k = 0; k < width; k++) values[k] = (levels[k] as number) < 0 ? 0 : (values[k] as number) + (adjustments[k] as number);
          return total;
        },
        householdShared,
        isSharedValue: (slot, k) => genericAbove[k] !== Number.POSITIVE_INFINITY && othersWith(k, 0, (slots[slot] as Prepared).stats[k]) > 0,
        isReleased: (levels) =>
          groups.every(({ unless, releasing }) => unless >= 0 && (levels[unless] as number) >= 0 && releasing[levels[unless] as number] === 1),
      },
      resolved,
    );
  };

  const train = (options: TrainOptions = {}): TrainingReport => {
    const live: number[] = [];
    for (let slot = 0; slot < slots.length; slot++) if (slots[slot] !== undefined) live.push(slot);
    const estimated = estimateParameters(
      {
        comparisons,
        rules: config.blocking,
        slots: live,
        fillLevels(a, b, gamma) {
          const left = slots[a] as Prepared;
          const right = slots[b] as Prepared;
          for (let k = 0; k < width; k++) gamma[k] = levelOf(k, left, right);
        },
        blocksOf: (rule) => index.blocksOf(rule),
        candidatesOf: (slot, out) => {
          index.collect((slots[slot] as Prepared).blockKeys, out);
        },
        fallbackM: m,
        fallbackU: u,
      },
      options,
    );
    setParameters({
      comparisons: comparisons.map((comparison, k) => ({
        name: comparison.name,
        levels: comparison.levels,
        m: estimated.m[k] as number[],
        u: estimated.u[k] as number[],
      })),
      matchesPerRecord: estimated.matchesPerRecord,
    });
    return {
      records: live.length,
      uPairs: estimated.uPairs,
      sessions: estimated.sessions,
      blockedPairs: estimated.blockedPairs,
      blockedLambda: estimated.blockedLambda,
      lambda: estimated.lambda,
      parameters: getParameters(),
    };
  };

  return {
    get size() {
      return slotOf.size;
    },
    add(record) {
      remove(record.id);
      const prepared = prepareOnce(record);
      lastRecord = undefined;
      const slot = freeSlots.pop() ?? slots.length;
      slots[slot] = prepared;
      ids[slot] = record.id;
      slotOf.set(record.id, slot);
      index.add(slot, prepared.blockKeys);
      countTerms(prepared, 1);
    },
    remove,
    has: (id) => slotOf.has(id),
    train,
    getParameters,
    score(record) {
      const prepared = prepareOnce(record);
      const { found, skipped } = candidatesOf(record, prepared);
      const skippedBlocks = skipped > 0 ? index.oversizedAmong(prepared.blockKeys) : [];
      const prior = priorWeight();
      const scores: ScoredCandidate[] = [];
      for (const slot of found) scores.push(scored(ids[slot] as string, matchWeight(prepared, slots[slot] as Prepared, prior)));
      scores.sort((x, y) => y.matchWeight - x.matchWeight);
      return { candidates: found.length, skippedBlocks, scores };
    },
    scorePair(a, b) {
      return scored(b.id, matchWeight(prepare(a.fields), prepare(b.fields), priorWeight()));
    },
    explain: (a, b) => explainPrepared(prepare(a.fields), prepare(b.fields)),
    matches(record, options = {}) {
      const minProbability = options.minProbability ?? linkThreshold;
      const prepared = prepareOnce(record);
      const { found } = candidatesOf(record, prepared);
      const prior = priorWeight();
      const edges: ProbabilisticEdge[] = [];
      const minWeight = Math.log2(minProbability / (1 - minProbability));
      for (const slot of found) {
        const candidate = slots[slot] as Prepared;
        if (!canReach(prepared, candidate, prior, minWeight) || matchWeight(prepared, candidate, prior) < minWeight) continue;
        const explanation = explainPrepared(prepared, candidate);
        const other = ids[slot] as string;
        const id = record.id < other ? `probabilistic:${record.id}:${other}` : `probabilistic:${other}:${record.id}`;
        edges.push({ id, a: record.id, b: other, rule: 'probabilistic', weight: explanation.probability, explanation });
      }
      return edges.sort((x, y) => y.explanation.matchWeight - x.explanation.matchWeight);
    },
    getOversizedBlocks: () => index.oversized(),
    cluster: clusterAll,
  };
}
