import { TailorError } from '../errors';

/** Why a merge was refused. */
export type RefusalReason = 'max-values' | 'cluster-size' | 'weakest-link';

export interface Refusal {
  readonly reason: RefusalReason;
  /** For people: which limit, with the numbers (never identifier values). */
  readonly detail: string;
}

/**
 * The weakest-link check: connected components over-merge through one weak link, so two clusters that are
 * both big may only be joined by an edge of a strong rule whose higher-priority end is a strong identifier
 * (identify/alias by userId). One shared device id or POS terminal never merges two big clusters.
 */
export interface WeakestLinkOptions {
  /** The check applies when both clusters hold more than this many identifiers. */
  readonly minClusterSize: number;
  /** Edge rules that may join two big clusters. */
  readonly strongRules: readonly string[];
  /** The edge's higher-priority end must have at least this priority (userId's, by default). */
  readonly minPriority: number;
}

export interface GuardOptions {
  /** A merge that would give a profile more identifiers than this is refused. */
  readonly maxClusterSize: number;
  /** `false` turns the check off. */
  readonly weakestLink: WeakestLinkOptions | false;
}

export const DEFAULT_GUARDS: GuardOptions = Object.freeze({
  maxClusterSize: 500,
  weakestLink: Object.freeze({ minClusterSize: 20, strongRules: Object.freeze(['identify', 'alias']), minPriority: 100 }),
});

/** One side of a proposed merge: its size and how many values it holds of each limited type. */
export interface MergeSide {
  size: number;
  /** Indexed like `limits`. */
  counts: ArrayLike<number>;
}

/** A per-type limit, as the guard sees it. */
export interface ValueLimit {
  readonly type: string;
  readonly max: number;
}

/** The edge that would join the two sides. */
export interface JoiningEdge {
  readonly rule: string;
  /** The higher priority of its two ends. */
  readonly priority: number;
}

/** Overrides of {@link DEFAULT_GUARDS}; `weakestLink` fields are merged one by one. */
export interface GuardOverrides {
  readonly maxClusterSize?: number;
  readonly weakestLink?: Partial<WeakestLinkOptions> | false;
}

/** Fills in {@link DEFAULT_GUARDS}; throws for values that cannot be honoured. */
export function resolveGuards(options: GuardOverrides = {}): GuardOptions {
  const weakestLink = options.weakestLink === false ? false : { ...(DEFAULT_GUARDS.weakestLink as WeakestLinkOptions), ...options.weakestLink };
  const maxClusterSize = options.maxClusterSize ?? DEFAULT_GUARDS.maxClusterSize;
  if (!(maxClusterSize >= 1)) throw new TailorError('invalid_options', 'createIdentityGraph: "guards.maxClusterSize" must be at least 1');
  if (weakestLink && !(weakestLink.minClusterSize >= 0)) {
    throw new TailorError('invalid_options', 'createIdentityGraph: "guards.weakestLink.minClusterSize" must be a number ≥ 0');
  }
  return { maxClusterSize, weakestLink };
}

/**
 * Whether two clusters may merge. Every check is monotone (a subset of an allowed merge is allowed), which
 * is what lets the graph rebuild a component by replaying its accepted edges without asking again.
 *
 * @example
 * checkMerge({ size: 3, counts: [1] }, { size: 2, counts: [1] }, { rule: 'identify', priority: 100 }, [{ type: 'userId', max: 1 }], DEFAULT_GUARDS)
 * // { reason: 'max-values', detail: 'userId: 1 + 1 > 1' }
 */
export function checkMerge(a: MergeSide, b: MergeSide, edge: JoiningEdge, limits: readonly ValueLimit[], guards: GuardOptions): Refusal | undefined {
  for (let slot = 0; slot < limits.length; slot++) {
    const limit = limits[slot] as ValueLimit;
    const left = a.counts[slot] as number;
    const right = b.counts[slot] as number;
    if (left + right > limit.max) return { reason: 'max-values', detail: `${limit.type}: ${left} + ${right} > ${limit.max}` };
  }
  if (a.size + b.size > guards.maxClusterSize) {
    return { reason: 'cluster-size', detail: `${a.size} + ${b.size} identifiers > ${guards.maxClusterSize}` };
  }
  const weakest = guards.weakestLink;
  if (weakest && a.size > weakest.minClusterSize && b.size > weakest.minClusterSize) {
    const strong = weakest.strongRules.includes(edge.rule) && edge.priority >= weakest.minPriority;
    if (!strong) {
      return {
        reason: 'weakest-link',
        detail: `both clusters exceed ${weakest.minClusterSize} identifiers (${a.size}, ${b.size}) and a "${edge.rule}" edge of priority ${edge.priority} is not strong enough`,
      };
    }
  }
  return undefined;
}

/**
 * Records that a value was seen with `peer` (a value of one of its people types) and says whether it has now
 * been seen with more than `max` distinct values of that type. `peers` holds distinct element ids; the caller
 * drops it once the value is demoted, so it never grows past (max + 1) × people types.
 */
export function addPeer(peers: number[], peer: number, peerType: number, typeOf: ArrayLike<number>, max: number): boolean {
  let sameType = 0;
  for (const known of peers) {
    if (known === peer) return false;
    if (typeOf[known] === peerType) sameType++;
  }
  peers.push(peer);
  return sameType + 1 > max;
}
