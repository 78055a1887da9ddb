import type { HashVersion, NamespaceRange } from './hashing';

/** One arm of an experiment. `value` is any JSON the decision reads, e.g. `{ "policy": "thompson" }`. */
export interface ExperimentVariation {
  /** Stable name; sticky assignments store it, so reordering variations keeps people where they are. */
  readonly key: string;
  readonly value?: unknown;
}

/**
 * An experiment as {@link assignExperiments} reads it: the output of `experimentSchema` (defaults
 * filled in). Field names follow GrowthBook's experiment definition.
 */
export interface Experiment {
  readonly key: string;
  /** At least two. */
  readonly variations: readonly ExperimentVariation[];
  /** One per variation, summing to 1; equal when absent. */
  readonly weights?: readonly number[];
  /** Share of units in the experiment, 0..1. */
  readonly coverage: number;
  readonly hashVersion: HashVersion;
  /** Hash seed; the experiment key when absent. */
  readonly seed?: string;
  /** Mutually exclusive slice: the unit must hash into `[start, end)` of namespace `id`. */
  readonly namespace?: NamespaceRange;
  /** Unit attribute to hash, e.g. `profileId`. */
  readonly hashAttribute: string;
  /** Hashed when `hashAttribute` is missing, e.g. `anonymousId` before login. */
  readonly fallbackAttribute?: string;
  /** Bump to re-randomize everyone: sticky assignments of earlier bucket versions are ignored. */
  readonly bucketVersion: number;
  readonly active: boolean;
  /** Targeting rule, evaluated by the caller's `matches` (Mongo-style JSON in Tailor's decision config). */
  readonly condition?: unknown;
}

/**
 * A global holdout: a stable share of units that no experiment and no personalization reaches, so the
 * whole engine's lift can be measured against it.
 */
export interface Holdout {
  readonly key: string;
  /** Share of units held out, 0..1 (commonly 0.01–0.1). */
  readonly fraction: number;
  readonly hashVersion: HashVersion;
  readonly seed?: string;
  readonly hashAttribute: string;
  readonly fallbackAttribute?: string;
}

/**
 * One unit's sticky assignments, in the shape GrowthBook calls a sticky bucket document.
 * `assignments` maps `<experimentKey>__<bucketVersion>` to the variation key.
 */
export interface StickyAssignmentDoc {
  readonly attributeName: string;
  readonly attributeValue: string;
  assignments: Record<string, string>;
}

/**
 * Sticky assignment documents by `<attributeName>||<attributeValue>`. Plain JSON: load it with the
 * profile, pass it to {@link assignExperiments} (which adds new assignments to it), and save it back.
 */
export type StickyAssignments = Record<string, StickyAssignmentDoc>;

/** Unit identifiers by attribute name: `{ profileId: 'p-1', anonymousId: 'a-9' }`. */
export type ExperimentUnits = Readonly<Record<string, string | undefined>>;

export interface AssignExperimentsOptions {
  /** Read and updated in place: new assignments are written into it. Omit to disable stickiness. */
  readonly sticky?: StickyAssignments;
  readonly holdout?: Holdout;
  /**
   * Variation index by experiment key, for QA and previews. Wins over every other rule, `active: false`
   * and the holdout included, so a draft can be previewed. An index out of range is ignored.
   */
  readonly forced?: Readonly<Record<string, number>>;
  /**
   * Evaluates an experiment's `condition` against `doc`. Injected so this module stays independent of
   * the rule engine. Without it, an experiment with a condition matches nobody (fails closed).
   */
  readonly matches?: (condition: unknown, doc: unknown) => boolean;
  /** What conditions are evaluated against (profile, context, features). */
  readonly doc?: unknown;
}
