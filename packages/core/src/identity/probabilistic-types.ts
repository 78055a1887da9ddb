import type { BlockingRule, OversizedBlock } from './probabilistic-blocking';
import type { ClusterOptions, ClusteringResult } from './probabilistic-cluster';
import type { Comparison, IdentityRecord, RecordFields } from './probabilistic-comparisons';
import type { TrainingSession, TrainOptions } from './probabilistic-train';

/** The public shapes of the Fellegi–Sunter matcher ({@link createMatcher} in `probabilistic.ts`). */

/** Where a match probability falls against the matcher's thresholds. */
export type MatchDecision = 'link' | 'review' | 'distinct';

/** m and u of every level of every comparison, plus the prior: what {@link Matcher.train} learns. JSON-safe. */
export interface MatcherParameters {
  readonly comparisons: readonly {
    readonly name: string;
    readonly levels: readonly string[];
    readonly m: readonly number[];
    readonly u: readonly number[];
  }[];
  /**
   * Expected true matches of one record among all the others. The prior λ (probability that two random
   * records match) is this ÷ (population − 1), so it stays right as the population grows.
   */
  readonly matchesPerRecord: number;
}

export interface MatcherConfig {
  readonly comparisons: readonly Comparison[];
  readonly blocking: readonly BlockingRule[];
  /** A block with more records than this is dropped and reported (a generic value). Default 100. */
  readonly maxBlockSize?: number;
  /** Match probability at or above which a pair is linked. Default 0.99. */
  readonly linkThreshold?: number;
  /** Match probability at or above which a pair is sent to review. Default 0.8. */
  readonly reviewThreshold?: number;
  /** Parameters from an earlier {@link Matcher.getParameters}; otherwise call {@link Matcher.train}. */
  readonly parameters?: MatcherParameters;
  /** Comparisons whose agreements are not independent among non-matches. Default none. */
  readonly correlatedGroups?: readonly CorrelatedGroup[];
  /**
   * A key that tells people apart (the sound of the first name). With it, the term frequency of an
   * identifier (a comparison with `genericAbove`) counts only carriers with a different key than the
   * value's first carrier: one shopper's six records with her loyalty number make it no more common,
   * six shoppers' receipts with a store's email do; and the identifier is generic once more than its
   * `genericAbove` distinct keys give it. Without it, expected duplicates are subtracted and records are
   * counted.
   */
  readonly personKey?: (fields: RecordFields) => string | undefined;
}

/**
 * Comparisons that agree together among non-matches, so their evidence must not be added up: a household
 * shares a surname, an address, a phone and a tablet, and its members often have similar first names
 * (Christine and Christopher). In a group only the largest positive contribution counts (disagreements
 * all count), unless one comparison is at one of the given levels: family members do not share a first
 * name, so two records that do are no longer explained by one household, and the group counts in full.
 * EM is unaffected (it trains on rules chosen to avoid such pairs).
 *
 * @example
 * { comparisons: ['firstName', 'lastName', 'contact'], independentWhen: { comparison: 'firstName', levels: ['exact'] } }
 */
export interface CorrelatedGroup {
  readonly comparisons: readonly string[];
  readonly independentWhen?: { readonly comparison: string; readonly levels: readonly string[] };
}

export interface TrainingReport {
  readonly records: number;
  readonly uPairs: number;
  readonly sessions: readonly TrainingSession[];
  /** Distinct candidate pairs over all rules. */
  readonly blockedPairs: number;
  /** Share of candidate pairs that match, estimated by EM with the final m and u. */
  readonly blockedLambda: number;
  /** Prior probability that two random records match, at the training population. */
  readonly lambda: number;
  readonly parameters: MatcherParameters;
}

/** One comparison's part in a match weight. */
export interface ComparisonContribution {
  readonly comparison: string;
  /** Level label, or null when a side has no value (the comparison then adds nothing). */
  readonly level: string | null;
  readonly levelIndex: number;
  /** True when the comparison is null because a value is generic (given by too many people). */
  readonly genericValue: boolean;
  readonly m: number | null;
  readonly u: number | null;
  /** log2(m / u). */
  readonly weight: number;
  /** −log2(max(tf_a, tf_b) / u) on term-frequency adjusted levels, else 0. */
  readonly tfAdjustment: number;
  /**
   * −(weight + tfAdjustment) when a stronger positive comparison of the same correlated group already
   * counts (see {@link MatcherConfig.correlatedGroups}), else 0.
   */
  readonly groupAdjustment: number;
  /** weight + tfAdjustment + groupAdjustment. */
  readonly contribution: number;
}

/** A match weight, comparison by comparison: `priorWeight + Σ contribution = matchWeight`. */
export interface MatchExplanation {
  /** log2(λ / (1 − λ)). */
  readonly priorWeight: number;
  readonly lambda: number;
  readonly comparisons: readonly ComparisonContribution[];
  readonly matchWeight: number;
  /** 2^w / (1 + 2^w). */
  readonly probability: number;
  readonly decision: MatchDecision;
}

export interface ScoredCandidate {
  readonly id: string;
  readonly matchWeight: number;
  readonly probability: number;
  readonly decision: MatchDecision;
}

export interface ScoreResult {
  /** Records compared: the union of the record's blocks, itself excluded. */
  readonly candidates: number;
  /** Blocks the record falls in that were too large to use. */
  readonly skippedBlocks: readonly OversizedBlock[];
  /** Every candidate, best first. */
  readonly scores: readonly ScoredCandidate[];
}

/**
 * A probabilistic link in the shape the identity graph's `addEdge` takes; the caller adds `at` and maps
 * the record ids `a` and `b` to the records' identifiers.
 */
export interface ProbabilisticEdge {
  /** `probabilistic:<smaller id>:<larger id>`: the same for (a, b) and (b, a), so re-adding is a no-op. */
  readonly id: string;
  readonly a: string;
  readonly b: string;
  readonly rule: 'probabilistic';
  /** The match probability. */
  readonly weight: number;
  readonly explanation: MatchExplanation;
}

export interface Matcher {
  /** Number of records in the index. */
  readonly size: number;
  /** Indexes a record (replacing one with the same id) and counts its values' term frequencies. */
  add(record: IdentityRecord): void;
  /** Removes a record from the index and the term frequencies; false when it was not there. */
  remove(id: string): boolean;
  has(id: string): boolean;
  /** Estimates u from random pairs and m and λ by EM over blocked pairs, from the records added so far. */
  train(options?: TrainOptions): TrainingReport;
  getParameters(): MatcherParameters;
  /** Scores a record against the candidates that share a block with it (never the whole population). */
  score(record: IdentityRecord): ScoreResult;
  /** Match weight and probability of two records, indexed or not. */
  scorePair(a: IdentityRecord, b: IdentityRecord): ScoredCandidate;
  explain(a: IdentityRecord, b: IdentityRecord): MatchExplanation;
  /** Candidates at or above `minProbability` (default: the link threshold), as graph edges, best first. */
  matches(record: IdentityRecord, options?: { readonly minProbability?: number }): ProbabilisticEdge[];
  /** Blocks dropped for exceeding `maxBlockSize`. */
  getOversizedBlocks(): OversizedBlock[];
  /**
   * Clusters every indexed record: scores each candidate pair once, merges on strong links through the
   * guards, then on weaker links that nothing contradicts (see {@link ClusterOptions}). Throws a
   * `TailorError` only for invalid options.
   *
   * @example
   * const { clusterOf } = matcher.cluster({ maxClusterSize: 20 });
   * clusterOf.get('r17'); // 'r3': r17 is the same person as r3
   */
  cluster(options?: ClusterOptions): ClusteringResult;
}
