import type { Clock, Logger } from '../platform';
import type { EventIdentifierOptions, IdentityEvent } from './event-identifiers';
import type { GuardOverrides, RefusalReason } from './guards';
import type { IdentifierInput, IdentifierRejection, IdentifierRejectionReason, IdentifierType, NormalizeOptions } from './identifiers';
import type { IdentityRules } from './rules';

/** Built-in edge rules; probabilistic matchers and hosts may add their own names. */
export type EdgeRule = 'identify' | 'alias' | 'shared-identifier' | 'probabilistic' | (string & {});

/**
 * - `active`: joins its two identifiers' clusters.
 * - `refused`: a guard said no (see `reason`); kept to explain the decision, retried when its component is rebuilt.
 * - `unmerged`: removed by {@link IdentityGraph.unmerge}; never joins again, even when its event is replayed.
 * - `demoted`: one end was demoted as a join key.
 */
export type EdgeStatus = 'active' | 'refused' | 'unmerged' | 'demoted';

/** A link between two identifiers with its provenance. `a` and `b` are identifier keys (`"email:ann@gmail.com"`). */
export interface IdentityEdge {
  readonly id: string;
  readonly a: string;
  readonly b: string;
  readonly rule: EdgeRule;
  /** The event (messageId) that produced it. */
  readonly eventId?: string;
  /** Epoch ms: the event's time, or the caller's for {@link IdentityGraph.addEdge}. */
  readonly at: number;
  /** Match probability, for probabilistic edges. */
  readonly weight?: number;
  readonly status: EdgeStatus;
  /** Set when `refused`. */
  readonly reason?: RefusalReason;
  /** For people: the limit and numbers behind `reason`. */
  readonly detail?: string;
}

/** A probabilistic (or any externally decided) edge for {@link IdentityGraph.addEdge}. */
export interface EdgeInput {
  /** Unique across the graph; adding an id again is a no-op. */
  readonly id: string;
  readonly a: IdentifierInput;
  readonly b: IdentifierInput;
  readonly rule: EdgeRule;
  readonly eventId?: string;
  readonly at: number;
  /** Match probability in [0, 1]. */
  readonly weight?: number;
}

/**
 * What changed, for stores and audit logs. `profileIds` are public ids: for `merged` the survivor first, for
 * `split` the id that stayed first, then the ids of the parts split off.
 */
export type IdentityChange =
  | { readonly type: 'merged'; readonly profileIds: readonly [survivor: string, absorbed: string]; readonly edge: IdentityEdge; readonly at: number }
  | { readonly type: 'split'; readonly profileIds: readonly string[]; readonly reason: 'unmerge' | 'demotion'; readonly edge?: IdentityEdge; readonly at: number }
  | { readonly type: 'deleted'; readonly profileIds: readonly string[]; readonly at: number }
  | {
      readonly type: 'demoted';
      /** The identifier key that stopped being a join key. */
      readonly identifier: string;
      /** The profile it belonged to before. */
      readonly profileIds: readonly string[];
      /** The joins it had made, now `demoted`: what to review. */
      readonly edges: readonly IdentityEdge[];
      readonly at: number;
    }
  | { readonly type: 'refused'; readonly edge: IdentityEdge; readonly at: number };

export type IdentityChangeListener = (change: IdentityChange) => void;

/** An identifier of an event that was not used, and why. */
export interface IgnoredIdentifier {
  readonly type: IdentifierType;
  readonly reason: IdentifierRejectionReason | 'tombstoned';
}

/**
 * The result of {@link IdentityGraph.addEvent}. `unresolved` with `deleted-person` means the event's
 * highest-priority identifier belongs to a deleted person: do not store it.
 */
export type AddEventResult =
  | {
      readonly status: 'resolved';
      /** The profile of the event's highest-priority usable identifier (a demoted one only if nothing else is usable). */
      readonly profileId: string;
      /** Keys of the identifiers read from the event and kept. */
      readonly identifiers: readonly string[];
      readonly ignored: readonly IgnoredIdentifier[];
      readonly changes: readonly IdentityChange[];
    }
  | {
      readonly status: 'unresolved';
      readonly reason: 'no-identifier' | 'deleted-person';
      readonly ignored: readonly IgnoredIdentifier[];
      readonly changes: readonly IdentityChange[];
    };

export type AddEdgeResult =
  | { readonly status: 'accepted' | 'refused'; readonly edge: IdentityEdge; readonly changes: readonly IdentityChange[] }
  | { readonly status: 'duplicate' }
  | { readonly status: 'ignored'; readonly reason: IdentifierRejectionReason | 'tombstoned' | 'demoted' | 'self-loop' };

export interface ResolvedProfile {
  /** Stable public id. */
  readonly profileId: string;
  /** Internal, changes with merges: do not store it. */
  readonly clusterId: number;
  /** Identifier keys of the profile, oldest first. */
  readonly identifiers: readonly string[];
}

export type UnmergeResult =
  | { readonly status: 'split' | 'unchanged'; readonly edge: IdentityEdge; readonly changes: readonly IdentityChange[] }
  | { readonly status: 'not-found' };

/** What {@link IdentityGraph.deletePerson} removed, so the store can delete the events too. */
export type DeletePersonResult =
  | {
      readonly status: 'deleted';
      /** The profile's id and every id merged into it. */
      readonly profileIds: readonly string[];
      /** Identifier keys removed; now tombstones. */
      readonly identifiers: readonly string[];
      readonly edges: readonly IdentityEdge[];
      /** messageIds of the events behind those edges (events with a single identifier are found by `identifiers`). */
      readonly eventIds: readonly string[];
      readonly changes: readonly IdentityChange[];
    }
  | { readonly status: 'not-found' };

export interface IdentityStats {
  /** Identifiers in the graph. */
  readonly nodes: number;
  /** Edges stored, whatever their status. */
  readonly edges: number;
  readonly activeEdges: number;
  readonly clusters: number;
  readonly profiles: number;
  /** Edges refused by a guard. */
  readonly refused: number;
  /** Identifiers demoted as join keys. */
  readonly demoted: number;
  readonly tombstones: number;
}

export interface IdentityGraphOptions {
  /** Per-type rules over {@link DEFAULT_IDENTITY_RULES}. */
  readonly rules?: IdentityRules;
  /** Over {@link DEFAULT_GUARDS}. */
  readonly guards?: GuardOverrides;
  /** Phone country code and email provider table (blocked values and hashing come from `rules` and `hash`). */
  readonly normalize?: Pick<NormalizeOptions, 'defaultCountryCode' | 'emailProviders' | 'maxLength'>;
  /**
   * Hashes normalized values of types whose rule says `hashed` (email and phone by default), e.g. a SHA-256
   * hex digest. With it, tombstones and keys hold no plain personal data. Must be sync and deterministic.
   */
  readonly hash?: (text: string) => string;
  /** Where identifiers are read from in an event. */
  readonly events?: EventIdentifierOptions;
  /**
   * New public profile ids. Default: `p1`, `p2`, … unique within this graph only: pass a UUID source in
   * production, or derive the id from `identifierKey` (the key of the profile's oldest identifier) so that a
   * graph rebuilt from a journal hands out the same ids again.
   */
  readonly createProfileId?: (identifierKey: string) => string;
  /** For operations without a time of their own (unmerge, delete) and events without a timestamp. */
  readonly clock?: Clock;
  /** Receives errors thrown by change listeners. */
  readonly logger?: Logger;
}

/** Options of the operations that are not events. */
export interface OperationOptions {
  /** Epoch ms recorded on the changes; default the clock's now. */
  readonly at?: number;
}

/**
 * Deterministic identity resolution: identifiers are nodes, identify/alias/shared-identifier (and
 * probabilistic) edges join them into clusters; each cluster is a profile with a stable public id.
 */
export interface IdentityGraph {
  /** Reads the event's identifiers, joins them to the highest-priority one (the anchor) through the guards. Never throws. */
  addEvent(event: IdentityEvent): AddEventResult;
  /** Adds one externally decided edge (probabilistic matches) through the same guards. Never throws. */
  addEdge(edge: EdgeInput): AddEdgeResult;
  resolve(identifier: IdentifierInput): ResolvedProfile | undefined;
  /** Follows merges: an id retired by a merge resolves to the profile that absorbed it. */
  resolveProfile(profileId: string): ResolvedProfile | undefined;
  /** The key an identifier has in this graph (normalized, hashed per rules), or why it has none. */
  keyOf(identifier: IdentifierInput): string | IdentifierRejection;
  getEdge(edgeId: string): IdentityEdge | undefined;
  /** Every edge at an identifier, whatever its status: the explanation of its profile. */
  getEdges(identifier: IdentifierInput): IdentityEdge[];
  /** Removes one edge and re-clusters its component from the edges that remain. */
  unmerge(edgeId: string, options?: OperationOptions): UnmergeResult;
  /** Removes the profile, its identifiers and edges, leaving tombstones that `addEvent` and `addEdge` ignore. */
  deletePerson(profileId: string, options?: OperationOptions): DeletePersonResult;
  /** True once the identifier links too many distinct people to be a join key. */
  isDemoted(identifier: IdentifierInput): boolean;
  isTombstoned(identifier: IdentifierInput): boolean;
  /** Lets a deleted identifier be used again (a person who comes back after erasure). */
  removeTombstone(identifier: IdentifierInput): boolean;
  /**
   * Re-adds a tombstone by key (as {@link keyOf} made it, hashed where the rules hash), when rebuilding a graph
   * from a journal the deleted person's events were removed from. False if the key is a live identifier.
   */
  restoreTombstone(key: string): boolean;
  /** Returns a function that removes the listener. */
  onChange(listener: IdentityChangeListener): () => void;
  stats(): IdentityStats;
  /** Every profile (a full scan: for exports and tests, not per event). */
  profiles(): IterableIterator<ResolvedProfile>;
  /** Every stored edge (a full scan). */
  edges(): IterableIterator<IdentityEdge>;
}
