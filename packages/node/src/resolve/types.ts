import type { MatchExplanation } from '@tailor/core';
import type { InputFormat } from './input';
import type { FieldMap, IdentifierField } from './mapping';

export interface ResolveOptions {
  readonly input: string;
  readonly format: InputFormat;
  readonly map: FieldMap;
  readonly idColumn: string;
  /** Match probability at or above which two records are linked. */
  readonly threshold: number;
  /** Identifier fields that join records deterministically. */
  readonly deterministic: readonly IdentifierField[];
  /** Calling code for phones written without one, e.g. `44`; without it such phones cannot join. */
  readonly countryCode?: string;
  /** How many of the weakest probabilistic merges to explain. */
  readonly explain: number;
  /** Seed of the random pairs EM draws. Default 1: the same input gives the same output. */
  readonly seed?: number;
  readonly hooks?: ResolveHooks;
}

export interface ProgressBar {
  tick(count?: number): void;
  finish(): void;
}

/** Where a run reports as it goes (the CLI draws these on stderr). */
export interface ResolveHooks {
  progress?(label: string, total: number): ProgressBar;
  /** A row that was skipped, with its line and why. */
  rejected?(line: number, reason: string): void;
  /** A step that takes a while without a progress bar. */
  stage?(message: string): void;
}

/** What guards kept out of joins. */
export interface GuardCounts {
  /** Distinct values the matcher found shared by more people than one person's records hold (a store's email), by type. */
  readonly shared: Readonly<Partial<Record<IdentifierField, number>>>;
  /** Joins refused because the matcher scored the record against an earlier holder of the value below 0.001, by type. */
  readonly vetoed: Readonly<Partial<Record<IdentifierField, number>>>;
  /** Occurrences of those values, each left out of its record's joins. */
  readonly sharedOccurrences: number;
  /** Identifier values the normalizer refused, by reason (`blocked` placeholders, `invalid_email`, …). */
  readonly refusedValues: Readonly<Record<string, number>>;
  /** Values demoted by the identity graph for linking too many people, by type. */
  readonly demoted: Readonly<Record<string, number>>;
  /** Joins a guard refused (per-type value limits, cluster size, weakest link), by reason and rule. */
  readonly refusedJoins: Readonly<Record<string, number>>;
}

export interface ResolveSummary {
  readonly records: number;
  readonly rejectedRows: number;
  readonly profiles: number;
  readonly singletons: number;
  /** Records in the largest profile. */
  readonly largestProfile: number;
  /** Joins of two profiles into one: by identifier type for deterministic joins, and `probabilistic`. */
  readonly merges: Readonly<Record<string, number>>;
  readonly guards: GuardCounts;
  readonly matcher: {
    readonly threshold: number;
    /** Record pairs scored (each pair of a block counted once). */
    readonly scoredPairs: number;
    /** Pairs the matcher's clustering put in one cluster (p ≥ 0.3, or the threshold when lower), offered to the graph strongest first. */
    readonly links: number;
    /**
     * `trained`: m, u and λ estimated by EM on the input. `starting`: the matcher's conservative starting
     * values, because there were too few records or EM's estimate failed a sanity check (see `note`).
     */
    readonly parameters: 'trained' | 'starting';
    readonly note?: string;
    /** Prior match probability of two random records. */
    readonly lambda: number;
    /** Blocks dropped for holding too many records (a value too common to block on). */
    readonly oversizedBlocks: number;
  };
}

/** A probabilistic merge and why the matcher scored it as it did. */
export interface ExplainedMerge {
  readonly a: string;
  readonly b: string;
  readonly probability: number;
  readonly explanation: MatchExplanation;
}

export type ResolveResult =
  | {
      readonly ok: true;
      /** Accepted record ids, in file order. */
      readonly recordIds: readonly string[];
      /** The profile id of each record, by its index in `recordIds`. */
      readonly profileIds: readonly string[];
      readonly summary: ResolveSummary;
      /** The weakest probabilistic merges, weakest first. */
      readonly weakest: readonly ExplainedMerge[];
    }
  | { readonly ok: false; readonly message: string };
