import { SILENT_LOGGER } from '../platform';
import { createEventIdentifierReader, edgeRuleOf, eventTime, type IdentityEvent } from './event-identifiers';
import { DELETED, DEMOTED, apply, createEdge, createGraphState, createNode, ensureProfile, findEdge, keyOf, setStatus, typeId, view, type EdgeRecord, type TypeInfo } from './graph-state';
import { addPeer } from './guards';
import { parseIdentifier, type IdentifierInput, type IdentifierType } from './identifiers';
import { byPriority, demote, derive, rebuild, type Entry } from './recluster';
import type {
  AddEventResult,
  DeletePersonResult,
  IdentityChange,
  IdentityChangeListener,
  IdentityEdge,
  IdentityGraph,
  IdentityGraphOptions,
  IgnoredIdentifier,
  ResolvedProfile,
} from './types';

/**
 * Creates an in-memory identity graph. An event with k identifiers costs O(k²) plus near-constant union-find
 * work; nothing scans the population. Demotion, unmerge and delete rebuild one component in O(its size).
 *
 * - An event's identifiers are joined to its highest-priority one (the anchor), in priority order, each
 *   through the guards; a refused join is kept as a `refused` edge with its reason.
 * - A value seen with more distinct people than its rule allows is demoted: its edges stop joining and its
 *   component is rebuilt without them, so the joins it caused are undone (and listed in a `demoted` change for
 *   review); the other identifiers of its events stay linked to each other.
 * - Tombstoned (deleted) identifiers are ignored, but still count when picking an event's anchor: an event
 *   whose anchor is tombstoned links nothing, so replaying a deleted person's events brings nothing back.
 *
 * @example
 * const graph = createIdentityGraph({ createProfileId: () => platform.ids.uuid() });
 * graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { email: 'Ann@x.com' } });
 * graph.resolve('email:ann@x.com')?.profileId === graph.resolve('anonymousId:a1')?.profileId // true
 */
export function createIdentityGraph(options: IdentityGraphOptions = {}): IdentityGraph {
  const state = createGraphState(options);
  const readIdentifiers = createEventIdentifierReader(options.events);
  const clock = options.clock ?? { now: () => Date.now() };
  const logger = options.logger ?? SILENT_LOGGER;
  const listeners = new Set<IdentityChangeListener>();
  const { sets, keys, nodeOf, tombstones, edgeById, adjacency } = state;
  let eventNumber = 0;

  function emit(changes: readonly IdentityChange[]): void {
    if (changes.length === 0 || listeners.size === 0) return;
    for (const change of changes) {
      for (const listener of listeners) {
        try {
          listener(change);
        } catch (error) {
          logger.error({ err: error, change: change.type }, 'identity change listener threw');
        }
      }
    }
  }

  const nodeFor = (identifier: IdentifierInput): number | undefined => {
    const key = keyOf(state, identifier);
    return typeof key === 'string' ? nodeOf.get(key) : undefined;
  };

  function resolved(node: number): ResolvedProfile {
    const root = sets.find(node);
    const members = sets.members(root).sort((x, y) => x - y);
    return { profileId: ensureProfile(state, root).id, clusterId: root, identifiers: members.map((member) => keys[member] as string) };
  }

  /** Records who each value was seen with, and demotes the values that have now seen too many people. */
  function countPeople(entries: readonly Entry[], at: number, changes: IdentityChange[]): void {
    for (const entry of entries) {
      if (entry.node < 0 || (state.flags[entry.node] as number) !== 0) continue;
      const info = state.types[entry.type] as TypeInfo;
      if (!Number.isFinite(info.rule.maxDistinctPeople)) continue;
      for (const peer of entries) {
        if (peer === entry || peer.node < 0 || peer.type === entry.type || (state.flags[peer.node] as number) !== 0) continue;
        if (!info.peopleTypes.has((state.types[peer.type] as TypeInfo).name)) continue;
        if (addPeer((state.peersOf[entry.node] ??= []), peer.node, peer.type, state.typeOf, info.rule.maxDistinctPeople)) {
          demote(state, entry.node, at, changes);
          break;
        }
      }
    }
  }

  function addEvent(event: IdentityEvent): AddEventResult {
    if (event === null || typeof event !== 'object') return { status: 'unresolved', reason: 'no-identifier', ignored: [], changes: [] };
    const number = ++eventNumber;
    const at = eventTime(event) ?? clock.now();
    const changes: IdentityChange[] = [];
    const ignored: IgnoredIdentifier[] = [];
    const entries: Entry[] = [];
    for (const raw of readIdentifiers(event)) {
      const type = typeId(state, raw.type);
      const info = state.types[type] as TypeInfo;
      const normalized = info.normalize(raw.type, raw.value);
      if (typeof normalized !== 'string') {
        ignored.push({ type: raw.type, reason: normalized.rejected });
        continue;
      }
      const key = `${raw.type}:${normalized}`;
      if (entries.some((entry) => entry.key === key)) continue;
      const tombstoned = tombstones.has(key);
      if (tombstoned) ignored.push({ type: raw.type, reason: 'tombstoned' });
      entries.push({ key, type, priority: info.rule.priority, node: tombstoned ? -1 : (nodeOf.get(key) ?? createNode(state, key, type)) });
    }
    countPeople(entries, at, changes);
    const usable = entries.filter((entry) => entry.node < 0 || (state.flags[entry.node] as number) === 0).sort(byPriority);
    const anchor = usable[0];
    if (anchor && anchor.node >= 0) {
      const others = usable.filter((entry) => entry !== anchor && entry.node >= 0).map((entry) => entry.node);
      const source = { rule: edgeRuleOf(event), at, eventId: typeof event.messageId === 'string' ? event.messageId : undefined, event: number };
      for (const edge of derive(state, anchor.node, others, source)) apply(state, edge, changes);
    }
    const live = entries.filter((entry) => entry.node >= 0);
    for (const entry of live) ensureProfile(state, entry.node);
    emit(changes);
    if (anchor && anchor.node < 0) return { status: 'unresolved', reason: 'deleted-person', ignored, changes };
    const target = anchor ?? [...live].sort(byPriority)[0];
    if (!target) return { status: 'unresolved', reason: 'no-identifier', ignored, changes };
    return { status: 'resolved', profileId: ensureProfile(state, target.node).id, identifiers: live.map((entry) => entry.key), ignored, changes };
  }

  function deletePerson(profileId: string, at: number): DeletePersonResult {
    const profile = state.profiles.current(profileId);
    if (!profile) return { status: 'not-found' };
    const members = sets.members(sets.find(profile.node)).sort((x, y) => x - y);
    for (const member of members) state.flags[member] = (state.flags[member] as number) | DELETED;
    const removed: IdentityEdge[] = [];
    const eventIds = new Set<string>();
    const seen = new Set<EdgeRecord>();
    for (const member of members) {
      for (const edge of adjacency[member] ?? []) {
        if (seen.has(edge)) continue;
        seen.add(edge);
        removed.push(view(state, edge));
        if (edge.eventId !== undefined) eventIds.add(edge.eventId);
        setStatus(state, edge, 'unmerged');
        edgeById.delete(edge.id);
        const other = edge.a === member ? edge.b : edge.a;
        const list = adjacency[other];
        if (((state.flags[other] as number) & DELETED) === 0 && list) list.splice(list.indexOf(edge), 1);
      }
    }
    const identifiers = members.map((member) => keys[member] as string);
    for (const member of members) {
      const key = keys[member] as string;
      tombstones.add(key);
      nodeOf.delete(key);
      keys[member] = '';
      if (((state.flags[member] as number) & DEMOTED) !== 0) state.demoted--;
      adjacency[member] = undefined;
      state.peersOf[member] = undefined;
      state.groupsOf[member] = undefined;
      state.countsOf[member] = undefined;
      state.profileAt[member] = undefined;
    }
    state.liveNodes -= members.length;
    state.clusters--;
    const profileIds = state.profiles.remove(profile);
    const changes: IdentityChange[] = [{ type: 'deleted', profileIds, at }];
    emit(changes);
    return { status: 'deleted', profileIds, identifiers, edges: removed, eventIds: [...eventIds], changes };
  }

  return {
    addEvent,
    addEdge(input) {
      if (edgeById.has(input.id)) return { status: 'duplicate' };
      const keyA = keyOf(state, input.a);
      const keyB = keyOf(state, input.b);
      if (typeof keyA !== 'string') return { status: 'ignored', reason: keyA.rejected };
      if (typeof keyB !== 'string') return { status: 'ignored', reason: keyB.rejected };
      if (tombstones.has(keyA) || tombstones.has(keyB)) return { status: 'ignored', reason: 'tombstoned' };
      if (keyA === keyB) return { status: 'ignored', reason: 'self-loop' };
      const node = (key: string) => nodeOf.get(key) ?? createNode(state, key, typeId(state, parseIdentifier(key)?.type as IdentifierType));
      const [a, b] = [node(keyA), node(keyB)];
      ensureProfile(state, a);
      ensureProfile(state, b);
      if (((state.flags[a] as number) | (state.flags[b] as number)) !== 0) return { status: 'ignored', reason: 'demoted' };
      if (findEdge(state, a, b, input.rule)) return { status: 'duplicate' };
      const changes: IdentityChange[] = [];
      const edge = createEdge(state, a, b, { rule: input.rule, at: input.at, eventId: input.eventId, event: 0 }, input.weight, input.id);
      apply(state, edge, changes);
      emit(changes);
      return { status: edge.status === 'active' ? 'accepted' : 'refused', edge: view(state, edge), changes };
    },
    resolve(identifier) {
      const node = nodeFor(identifier);
      return node === undefined ? undefined : resolved(node);
    },
    resolveProfile(profileId) {
      const profile = state.profiles.current(profileId);
      return profile ? resolved(profile.node) : undefined;
    },
    keyOf: (identifier) => keyOf(state, identifier),
    getEdge(edgeId) {
      const edge = edgeById.get(edgeId);
      return edge ? view(state, edge) : undefined;
    },
    getEdges(identifier) {
      const node = nodeFor(identifier);
      return node === undefined ? [] : (adjacency[node] ?? []).map((edge) => view(state, edge));
    },
    unmerge(edgeId, operation = {}) {
      const edge = edgeById.get(edgeId);
      if (!edge) return { status: 'not-found' };
      const wasActive = edge.status === 'active';
      setStatus(state, edge, 'unmerged');
      const changes: IdentityChange[] = [];
      if (wasActive) rebuild(state, sets.find(edge.a), 'unmerge', edge, [], operation.at ?? clock.now(), changes);
      emit(changes);
      return { status: changes.some((change) => change.type === 'split') ? 'split' : 'unchanged', edge: view(state, edge), changes };
    },
    deletePerson: (profileId, operation = {}) => deletePerson(profileId, operation.at ?? clock.now()),
    isDemoted(identifier) {
      const node = nodeFor(identifier);
      return node !== undefined && ((state.flags[node] as number) & DEMOTED) !== 0;
    },
    isTombstoned(identifier) {
      const key = keyOf(state, identifier);
      return typeof key === 'string' && tombstones.has(key);
    },
    removeTombstone(identifier) {
      const key = keyOf(state, identifier);
      return typeof key === 'string' && tombstones.delete(key);
    },
    restoreTombstone(key) {
      // A key that is a live identifier again (its tombstone was removed and it came back) stays live.
      if (typeof key !== 'string' || key.length === 0 || nodeOf.has(key)) return false;
      tombstones.add(key);
      return true;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    stats: () => ({
      nodes: state.liveNodes,
      edges: edgeById.size,
      activeEdges: state.active,
      clusters: state.clusters,
      profiles: state.profiles.live,
      refused: state.refused,
      demoted: state.demoted,
      tombstones: tombstones.size,
    }),
    *profiles() {
      for (let node = 0; node < sets.length; node++) {
        if (((state.flags[node] as number) & DELETED) === 0 && sets.find(node) === node) yield resolved(node);
      }
    },
    *edges() {
      for (const edge of edgeById.values()) yield view(state, edge);
    },
  };
}
