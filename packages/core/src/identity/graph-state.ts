import { checkMerge, resolveGuards, type GuardOptions, type MergeSide, type RefusalReason, type ValueLimit } from './guards';
import { createIdentifierNormalizer, parseIdentifier, type IdentifierInput, type IdentifierNormalizer, type IdentifierRejection, type IdentifierType } from './identifiers';
import { createProfileRegistry, type ProfileRecord, type ProfileRegistry } from './profiles';
import { resolveIdentityRules, type IdentifierRule } from './rules';
import type { EdgeStatus, IdentityChange, IdentityEdge, IdentityGraphOptions } from './types';
import { createUnionFind, type UnionFind } from './union-find';

/** Node flags. A node with any flag never joins anything. */
export const DEMOTED = 1;
export const DELETED = 2;

export interface TypeInfo {
  readonly name: IdentifierType;
  readonly rule: IdentifierRule;
  readonly normalize: IdentifierNormalizer;
  readonly peopleTypes: ReadonlySet<string>;
  /** Counts of a lone identifier of this type, by limited-type slot. */
  readonly unit: Int32Array;
}

/** Where a derived edge comes from. */
export interface Source {
  readonly rule: string;
  readonly at: number;
  readonly eventId: string | undefined;
  /** Internal number of the addEvent call (0 for addEdge): groups an event's edges when its anchor is demoted. */
  readonly event: number;
}

/** An event's other identifiers, remembered under its anchor when some of their edges already existed. */
export interface Group extends Source {
  readonly others: readonly number[];
}

export interface EdgeRecord extends Source {
  readonly id: string;
  readonly a: number;
  readonly b: number;
  readonly weight: number | undefined;
  /** Creation order. */
  readonly seq: number;
  /** `pending` only between creation and the guards' decision, inside one call. */
  status: EdgeStatus | 'pending';
  reason: RefusalReason | undefined;
  detail: string | undefined;
  /** Order of (last) acceptance: a rebuild replays active edges in this order, so no guard can say no. */
  order: number;
}

/**
 * Everything the graph holds. Nodes are union-find elements numbered in order of creation (smaller is
 * older); per-root arrays are valid at roots only. Typed arrays are replaced when they grow.
 */
export interface GraphState {
  readonly options: IdentityGraphOptions;
  /** Builds the rule and normalizer of a type on first sight. */
  readonly describeType: (name: IdentifierType) => TypeInfo;
  readonly guards: GuardOptions;
  readonly limits: readonly ValueLimit[];
  readonly profiles: ProfileRegistry;
  readonly sets: UnionFind;
  readonly types: TypeInfo[];
  readonly typeIds: Map<string, number>;
  readonly keys: string[];
  readonly nodeOf: Map<string, number>;
  typeOf: Uint16Array;
  flags: Uint8Array;
  /** Per root: its oldest node. */
  oldest: Int32Array;
  readonly adjacency: (EdgeRecord[] | undefined)[];
  /** Per demotable node: distinct people-type nodes seen with it. */
  readonly peersOf: (number[] | undefined)[];
  /** Per demotable anchor. */
  readonly groupsOf: (Group[] | undefined)[];
  /** Per root: values per limited type; undefined for a lone node. */
  readonly countsOf: (Int32Array | undefined)[];
  /** Per root; undefined only inside a call, before profiles are handed out. */
  readonly profileAt: (ProfileRecord | undefined)[];
  readonly edgeById: Map<string, EdgeRecord>;
  readonly tombstones: Set<string>;
  edgeSeq: number;
  acceptance: number;
  liveNodes: number;
  clusters: number;
  active: number;
  refused: number;
  demoted: number;
  readonly sideA: MergeSide;
  readonly sideB: MergeSide;
}

export function createGraphState(options: IdentityGraphOptions): GraphState {
  const rules = resolveIdentityRules(options.rules);
  const limits: ValueLimit[] = rules.limitedTypes.map((type) => ({ type, max: rules.get(type).maxValuesPerProfile }));
  let profileCounter = 0;
  return {
    options,
    describeType(name) {
      const rule = rules.get(name);
      const unit = new Int32Array(limits.length);
      const slot = limits.findIndex((limit) => limit.type === name);
      if (slot >= 0) unit[slot] = 1;
      const normalize = createIdentifierNormalizer({ ...options.normalize, blocked: rule.blocked, ...(rule.hashed && options.hash ? { hash: options.hash } : {}) });
      return { name, rule, normalize, peopleTypes: new Set(rule.peopleTypes), unit };
    },
    guards: resolveGuards(options.guards),
    limits,
    profiles: createProfileRegistry(options.createProfileId ?? (() => `p${++profileCounter}`)),
    sets: createUnionFind(),
    types: [],
    typeIds: new Map(),
    keys: [],
    nodeOf: new Map(),
    typeOf: new Uint16Array(1024),
    flags: new Uint8Array(1024),
    oldest: new Int32Array(1024),
    adjacency: [],
    peersOf: [],
    groupsOf: [],
    countsOf: [],
    profileAt: [],
    edgeById: new Map(),
    tombstones: new Set(),
    edgeSeq: 0,
    acceptance: 0,
    liveNodes: 0,
    clusters: 0,
    active: 0,
    refused: 0,
    demoted: 0,
    sideA: { size: 0, counts: [] },
    sideB: { size: 0, counts: [] },
  };
}

/** The number of a type, registering it (rule, normalizer) on first sight. */
export function typeId(state: GraphState, name: IdentifierType): number {
  let id = state.typeIds.get(name);
  if (id === undefined) {
    id = state.types.push(state.describeType(name)) - 1;
    state.typeIds.set(name, id);
  }
  return id;
}

export function infoOf(state: GraphState, node: number): TypeInfo {
  return state.types[state.typeOf[node] as number] as TypeInfo;
}

/** The key an identifier has in this graph: type, then the normalized (maybe hashed) value. */
export function keyOf(state: GraphState, input: IdentifierInput): string | IdentifierRejection {
  const parsed = parseIdentifier(input);
  if (!parsed) return { rejected: 'invalid_type' };
  const normalized = (state.types[typeId(state, parsed.type)] as TypeInfo).normalize(parsed.type, parsed.value);
  return typeof normalized === 'string' ? `${parsed.type}:${normalized}` : normalized;
}

function grow<T extends Uint16Array | Uint8Array | Int32Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const copy = new (array.constructor as new (length: number) => T)(Math.max(needed, array.length * 2));
  copy.set(array);
  return copy;
}

export function createNode(state: GraphState, key: string, type: number): number {
  const node = state.sets.add();
  state.typeOf = grow(state.typeOf, node + 1);
  state.flags = grow(state.flags, node + 1);
  state.oldest = grow(state.oldest, node + 1);
  state.typeOf[node] = type;
  state.oldest[node] = node;
  state.keys[node] = key;
  state.nodeOf.set(key, node);
  state.liveNodes++;
  state.clusters++;
  return node;
}

/** The public, immutable picture of an edge (callers never see `pending`). */
export function view(state: GraphState, edge: EdgeRecord): IdentityEdge {
  return {
    id: edge.id,
    a: state.keys[edge.a] as string,
    b: state.keys[edge.b] as string,
    rule: edge.rule,
    ...(edge.eventId !== undefined && { eventId: edge.eventId }),
    at: edge.at,
    ...(edge.weight !== undefined && { weight: edge.weight }),
    status: edge.status === 'pending' ? 'refused' : edge.status,
    ...(edge.reason !== undefined && { reason: edge.reason, detail: edge.detail }),
  };
}

export function setStatus(state: GraphState, edge: EdgeRecord, status: EdgeStatus): void {
  if (edge.status === 'active') state.active--;
  if (edge.status === 'refused') state.refused--;
  if (status === 'active') state.active++;
  if (status === 'refused') state.refused++;
  edge.status = status;
  if (status !== 'refused') {
    edge.reason = undefined;
    edge.detail = undefined;
  }
}

/** The edge of `rule` between two nodes, scanning the shorter adjacency list. */
export function findEdge(state: GraphState, a: number, b: number, rule: string): EdgeRecord | undefined {
  const listA = state.adjacency[a];
  const listB = state.adjacency[b];
  if (!listA || !listB) return undefined;
  const list = listA.length <= listB.length ? listA : listB;
  const other = list === listA ? b : a;
  for (const edge of list) if ((edge.a === other || edge.b === other) && edge.rule === rule) return edge;
  return undefined;
}

/** A new `pending` edge; `apply` decides it. Ids are `e<n>` unless the caller brings one. */
export function createEdge(state: GraphState, a: number, b: number, source: Source, weight?: number, id?: string): EdgeRecord {
  const seq = state.edgeSeq++;
  let edgeId = id ?? `e${seq}`;
  for (let n = 1; state.edgeById.has(edgeId); n++) edgeId = `e${seq}~${n}`;
  const edge: EdgeRecord = {
    id: edgeId,
    a,
    b,
    rule: source.rule,
    eventId: source.eventId,
    event: source.event,
    at: source.at,
    weight,
    seq,
    status: 'pending',
    reason: undefined,
    detail: undefined,
    order: 0,
  };
  state.edgeById.set(edgeId, edge);
  (state.adjacency[a] ??= []).push(edge);
  (state.adjacency[b] ??= []).push(edge);
  return edge;
}

/** Joins two roots; keeps counts, oldest node and (when `changes` is given) profile ids up to date. */
export function link(state: GraphState, rootA: number, rootB: number, edge: EdgeRecord | undefined, changes: IdentityChange[] | undefined): number {
  const { oldest, countsOf, profileAt } = state;
  const oldestA = oldest[rootA] as number;
  const oldestB = oldest[rootB] as number;
  const root = state.sets.link(rootA, rootB);
  const child = root === rootA ? rootB : rootA;
  oldest[root] = Math.min(oldestA, oldestB);
  if (state.limits.length > 0) {
    const target = countsOf[root] ?? Int32Array.from(infoOf(state, root).unit);
    const add = countsOf[child] ?? infoOf(state, child).unit;
    for (let slot = 0; slot < target.length; slot++) (target[slot] as number) += add[slot] as number;
    countsOf[root] = target;
    countsOf[child] = undefined;
  }
  state.clusters--;
  if (changes) {
    const profileA = profileAt[rootA];
    const profileB = profileAt[rootB];
    profileAt[child] = undefined;
    if (profileA && profileB) {
      const { survivor, absorbed } = state.profiles.merge(profileA, profileB, (record) => (record === profileA ? oldestA : oldestB));
      profileAt[root] = survivor;
      if (edge) changes.push({ type: 'merged', profileIds: [survivor.id, absorbed.id], edge: view(state, edge), at: edge.at });
    } else {
      profileAt[root] = profileA ?? profileB;
    }
  }
  return root;
}

function side(state: GraphState, target: MergeSide, root: number): MergeSide {
  target.size = state.sets.size(root);
  target.counts = state.countsOf[root] ?? infoOf(state, root).unit;
  return target;
}

/** Decides a pending or refused edge through the guards; a merge it makes is pushed to `changes`. */
export function apply(state: GraphState, edge: EdgeRecord, changes: IdentityChange[]): void {
  const rootA = state.sets.find(edge.a);
  const rootB = state.sets.find(edge.b);
  if (rootA !== rootB) {
    const priority = Math.max(infoOf(state, edge.a).rule.priority, infoOf(state, edge.b).rule.priority);
    const refusal = checkMerge(side(state, state.sideA, rootA), side(state, state.sideB, rootB), { rule: edge.rule, priority }, state.limits, state.guards);
    if (refusal) {
      const wasRefused = edge.status === 'refused';
      setStatus(state, edge, 'refused');
      edge.reason = refusal.reason;
      edge.detail = refusal.detail;
      if (!wasRefused) changes.push({ type: 'refused', edge: view(state, edge), at: edge.at });
      return;
    }
  }
  setStatus(state, edge, 'active');
  edge.order = ++state.acceptance;
  if (rootA !== rootB) link(state, rootA, rootB, edge, changes);
}

/** The profile of a node's cluster, handed out now if the cluster has none yet. */
export function ensureProfile(state: GraphState, node: number): ProfileRecord {
  const root = state.sets.find(node);
  let profile = state.profileAt[root];
  if (!profile) {
    const oldest = state.oldest[root] as number;
    profile = state.profiles.create(oldest, state.keys[oldest] as string);
    state.profileAt[root] = profile;
  }
  return profile;
}
