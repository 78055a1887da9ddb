import { TailorError } from '../errors';
import { createUnionFind } from './union-find';

/**
 * Batch clustering of scored record pairs (see {@link Matcher.cluster}): strong links merge through the
 * guards; weaker links merge only when nothing contradicts them.
 */

export interface ClusterOptions {
  /** Links at or above this probability merge, guards permitting. Default: the matcher's `linkThreshold`. */
  readonly linkThreshold?: number;
  /**
   * Links at or above this probability but below `linkThreshold` merge only when unambiguous (see
   * {@link clusterSlots}): two Aaron Pencombes whose records disagree on a birth date make a name-only
   * link to either of them ambiguous, while a name that one person carries links. The two clusters,
   * compared as profiles beyond the link's own evidence, must still reach this probability. Default 0.3;
   * equal to `linkThreshold` merges on strong links only.
   */
  readonly unambiguousThreshold?: number;
  /** A weaker link is refused when its clusters hold a pair scored below this probability. Default 0.001. */
  readonly cannotLinkBelow?: number;
  /**
   * A strong link is refused only when its clusters hold a pair whose evidence (the prior left out) is
   * this many bits or more against: a pair merely too sparse to link does not stop a strong link.
   * Default 2.
   */
  readonly vetoBits?: number;
  /** No merge makes a cluster larger than this. Default 50. */
  readonly maxClusterSize?: number;
  /**
   * Two clusters contradict each other when, compared as profiles beyond the link's evidence, the
   * evidence is this many bits or more against (log2 of the likelihood ratio). Default 4: an email that
   * differs, a birth date, a loyalty number.
   */
  readonly conflictBits?: number;
}

export interface ClusteringResult {
  /** Record id → cluster id: the id of the cluster's record added first. */
  readonly clusterOf: ReadonlyMap<string, string>;
  readonly clusters: number;
  /** Candidate pairs scored. */
  readonly comparedPairs: number;
  readonly merges: {
    /** Merges by links at or above `linkThreshold`. */
    readonly strong: number;
    /** Merges by weaker links that passed the ambiguity check. */
    readonly unambiguous: number;
  };
  readonly refused: {
    /** The two clusters hold a pair that separates them (`cannotLinkBelow`, `vetoBits`). */
    readonly cannotLink: number;
    readonly sizeCap: number;
    /**
     * The link's evidence is shared by clusters that contradict each other, or the two clusters
     * themselves fall below `unambiguousThreshold` once compared beyond it.
     */
    readonly ambiguous: number;
    /**
     * The link's evidence is only what a household shares (surname, phone, address, device) and the two
     * clusters are not known to carry the same first name, so a relative cannot be ruled out.
     */
    readonly household: number;
  };
}

/** What the matcher lends the clustering, by slot number. */
export interface ClusterData {
  /** Slots of the records to cluster, in the order they were added. */
  readonly slots: readonly number[];
  readonly ids: readonly (string | undefined)[];
  readonly width: number;
  /** The prior log2 odds of a match, included in every {@link ClusterData.evidence} weight. */
  readonly priorWeight: number;
  /** Adds the slots that share a block with `slot` to `out`. */
  candidatesOf(slot: number, out: Set<number>): void;
  /**
   * Match weight of two slots. Writes each comparison's level (−1 where null) and contribution (after
   * term-frequency and correlated-group adjustments; 0 where null).
   */
  evidence(a: number, b: number, levels: Int8Array, contributions: Float64Array): number;
  /** Per comparison: a household shares it (a member of a correlated group that does not tell members apart). */
  readonly householdShared: readonly boolean[];
  /**
   * Whether the record in `slot` carries a value of identifier comparison `k` that other people give too
   * (a store's email on a few receipts), though not enough of them to be generic.
   */
  isSharedValue(slot: number, k: number): boolean;
  /**
   * Whether a pair at `levels` is released from every correlated group: it agrees on what tells household
   * members apart (the same first name), so what they share counts in full.
   */
  isReleased(levels: Int8Array): boolean;
}

export interface ResolvedClusterOptions {
  readonly linkThreshold: number;
  readonly unambiguousThreshold: number;
  readonly cannotLinkBelow: number;
  readonly vetoBits: number;
  readonly maxClusterSize: number;
  readonly conflictBits: number;
}

const weightOf = (probability: number) => Math.log2(probability / (1 - probability));

/** Fills in the defaults; throws a `TailorError` for options that contradict each other. */
export function resolveClusterOptions(options: ClusterOptions, matcherLinkThreshold: number): ResolvedClusterOptions {
  const linkThreshold = options.linkThreshold ?? matcherLinkThreshold;
  const resolved: ResolvedClusterOptions = {
    linkThreshold,
    unambiguousThreshold: options.unambiguousThreshold ?? Math.min(0.3, linkThreshold),
    cannotLinkBelow: options.cannotLinkBelow ?? 0.001,
    vetoBits: options.vetoBits ?? 2,
    maxClusterSize: options.maxClusterSize ?? 50,
    conflictBits: options.conflictBits ?? 4,
  };
  const { unambiguousThreshold, cannotLinkBelow } = resolved;
  if (!(cannotLinkBelow > 0 && cannotLinkBelow < unambiguousThreshold && unambiguousThreshold <= linkThreshold && linkThreshold < 1)) {
    throw new TailorError('invalid_options', 'matcher.cluster: thresholds must satisfy 0 < cannotLinkBelow < unambiguousThreshold ≤ linkThreshold < 1');
  }
  if (!(resolved.maxClusterSize >= 2) || !(resolved.conflictBits > 0) || !(resolved.vetoBits >= 0)) {
    throw new TailorError('invalid_options', 'matcher.cluster: "maxClusterSize" must be at least 2, "conflictBits" above 0 and "vetoBits" at least 0');
  }
  return resolved;
}

/**
 * Union-find over scored links, strongest first, all strong links before any weaker one. Every merge
 * passes the size cap and the cannot-link guard. A weaker link must also be unambiguous:
 * - an identifier other people give too (a store's email below the generic limit) is no evidence for it;
 * - evidence a household shares needs the two clusters to be known to carry the same first name;
 * - the two clusters, compared as profiles beyond the link's evidence, must still reach
 *   `unambiguousThreshold`;
 * - among the other clusters that share the link's evidence at least as closely (every Aaron Pencombe,
 *   for a name-only link), each must contradict both ends or neither, and those that could be the same
 *   person as the ends must not contradict each other: evidence two people share identifies neither.
 */
export function clusterSlots(data: ClusterData, options: ResolvedClusterOptions): ClusteringResult {
  const { slots, width } = data;
  const strongWeight = weightOf(options.linkThreshold);
  const weakWeight = weightOf(options.unambiguousThreshold);
  const cannotWeight = weightOf(options.cannotLinkBelow);
  const vetoWeight = data.priorWeight - options.vetoBits;
  const levels = new Int8Array(width);
  const values = new Float64Array(width);

  // Score every candidate pair once.
  const position = new Map<number, number>();
  slots.forEach((slot, i) => position.set(slot, i));
  const neighbours: number[][] = slots.map(() => []);
  const cannot: number[][] = slots.map(() => []);
  const vetoes: number[][] = slots.map(() => []);
  const linkA: number[] = [];
  const linkB: number[] = [];
  const linkWeight: number[] = [];
  const found = new Set<number>();
  let comparedPairs = 0;
  for (let i = 0; i < slots.length; i++) {
    found.clear();
    data.candidatesOf(slots[i] as number, found);
    for (const other of found) {
      const j = position.get(other);
      if (j === undefined || j === i) continue;
      (neighbours[i] as number[]).push(j);
      if (j < i) continue;
      comparedPairs++;
      const weight = data.evidence(slots[i] as number, other, levels, values);
      if (weight >= weakWeight) {
        linkA.push(i);
        linkB.push(j);
        linkWeight.push(weight);
        continue;
      }
      if (weight < cannotWeight) {
        (cannot[i] as number[]).push(j);
        (cannot[j] as number[]).push(i);
      }
      if (weight <= vetoWeight) {
        (vetoes[i] as number[]).push(j);
        (vetoes[j] as number[]).push(i);
      }
    }
  }
  const order = linkWeight.map((_, n) => n);
  order.sort((x, y) => (linkWeight[y] as number) - (linkWeight[x] as number) || (linkA[x] as number) - (linkA[y] as number) || (linkB[x] as number) - (linkB[y] as number));

  const sets = createUnionFind(Math.max(1, slots.length));
  for (let i = 0; i < slots.length; i++) sets.add();
  const refused = { cannotLink: 0, sizeCap: 0, ambiguous: 0, household: 0 };
  const merges = { strong: 0, unambiguous: 0 };

  /** True when neither the size cap nor a separating pair refuses joining the roots; counts the refusal. */
  const guardsAllow = (x: number, y: number, separating: readonly (readonly number[])[]): boolean => {
    if (sets.size(x) + sets.size(y) > options.maxClusterSize) {
      refused.sizeCap++;
      return false;
    }
    const [small, otherRoot] = sets.size(x) <= sets.size(y) ? [x, y] : [y, x];
    for (const member of sets.members(small)) {
      for (const other of separating[member] as number[]) {
        if (sets.find(other) === otherRoot) {
          refused.cannotLink++;
          return false;
        }
      }
    }
    return true;
  };

  const evidenceOf = (i: number, j: number) => data.evidence(slots[i] as number, slots[j] as number, levels, values);
  const best = new Float64Array(width);
  const seen = new Uint8Array(width);
  /**
   * Two clusters compared as profiles: each comparison outside `shared` at its most favourable over the
   * cross pairs, summed. What a household shares counts in favour only where the pair is released from
   * its correlated group (the same first name): two Taylors on one tablet are not one person for it.
   */
  const profile = (x: number, y: number, shared: readonly boolean[]): number => {
    best.fill(0);
    seen.fill(0);
    for (const i of sets.members(x)) {
      for (const j of sets.members(y)) {
        evidenceOf(i, j);
        const released = data.isReleased(levels);
        for (let k = 0; k < width; k++) {
          if (shared[k] || (levels[k] as number) < 0) continue;
          let value = values[k] as number;
          if (value > 0 && data.householdShared[k] && !released) value = 0;
          if (seen[k] === 0 || value > (best[k] as number)) best[k] = value;
          seen[k] = 1;
        }
      }
    }
    let total = 0;
    for (let k = 0; k < width; k++) total += best[k] as number;
    return total;
  };
  const contradict = (x: number, y: number, shared: readonly boolean[]): boolean => profile(x, y, shared) <= -options.conflictBits;
  /** Whether some cross pair of the two clusters is released from its correlated groups (the same first name). */
  const shareFirstName = (x: number, y: number): boolean => {
    for (const i of sets.members(x)) {
      for (const j of sets.members(y)) {
        evidenceOf(i, j);
        if (data.isReleased(levels)) return true;
      }
    }
    return false;
  };

  const linkLevels = new Int8Array(width);
  const linkValues = new Float64Array(width);
  /** The ambiguity check of a weaker link between records `a` and `b`; counts the refusal. */
  const isUnambiguous = (a: number, b: number): boolean => {
    let weight = data.evidence(slots[a] as number, slots[b] as number, linkLevels, linkValues);
    const shared = Array.from(linkValues, (value) => value > 0);
    // What a household shares is checked below, and counts when the first name agrees.
    for (let k = 0; k < width; k++) {
      if (shared[k] && !data.householdShared[k] && (data.isSharedValue(slots[a] as number, k) || data.isSharedValue(slots[b] as number, k))) {
        weight -= linkValues[k] as number;
      }
    }
    const x = sets.find(a);
    const y = sets.find(b);
    if (shared.every((isEvidence, k) => !isEvidence || data.householdShared[k]) && !shareFirstName(x, y)) {
      refused.household++;
      return false;
    }
    if (weight + profile(x, y, shared) < weakWeight) {
      refused.ambiguous++;
      return false;
    }
    // The other clusters of records that agree with an end on the link's evidence, at its levels or closer.
    const others = new Set<number>();
    for (const end of [a, b]) {
      for (const r of neighbours[end] as number[]) {
        if (r === a || r === b) continue;
        evidenceOf(r, end);
        let agrees = true;
        for (let k = 0; k < width && agrees; k++) {
          if (shared[k]) agrees = (levels[k] as number) >= 0 && (levels[k] as number) <= (linkLevels[k] as number);
        }
        const root = sets.find(r);
        if (agrees && root !== x && root !== y) others.add(root);
      }
    }
    const compatible: number[] = [];
    for (const z of others) {
      const withX = contradict(z, x, shared);
      if (withX !== contradict(z, y, shared)) {
        refused.ambiguous++;
        return false;
      }
      if (!withX) compatible.push(z);
    }
    for (let i = 0; i < compatible.length; i++) {
      for (let j = i + 1; j < compatible.length; j++) {
        if (contradict(compatible[i] as number, compatible[j] as number, shared)) {
          refused.ambiguous++;
          return false;
        }
      }
    }
    return true;
  };

  for (const strong of [true, false]) {
    for (const n of order) {
      const weight = linkWeight[n] as number;
      if (weight >= strongWeight !== strong) continue;
      const a = linkA[n] as number;
      const b = linkB[n] as number;
      const x = sets.find(a);
      const y = sets.find(b);
      if (x === y || !guardsAllow(x, y, strong ? vetoes : cannot)) continue;
      if (!strong && !isUnambiguous(a, b)) continue;
      sets.link(x, y);
      if (strong) merges.strong++;
      else merges.unambiguous++;
    }
  }

  const clusterOf = new Map<string, string>();
  const names = new Map<number, string>();
  slots.forEach((slot, i) => {
    const root = sets.find(i);
    let name = names.get(root);
    if (name === undefined) {
      name = data.ids[slot] as string;
      names.set(root, name);
    }
    clusterOf.set(data.ids[slot] as string, name);
  });
  return { clusterOf, clusters: names.size, comparedPairs, merges, refused };
}
