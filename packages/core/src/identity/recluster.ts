import { DELETED, DEMOTED, apply, createEdge, findEdge, infoOf, link, setStatus, view, type EdgeRecord, type GraphState, type Group, type Source } from './graph-state';
import type { RefusalReason } from './guards';
import type { IdentityChange, IdentityEdge } from './types';

/** One identifier of an event, ready for anchor selection. */
export interface Entry {
  readonly key: string;
  readonly type: number;
  readonly priority: number;
  /** −1 for a tombstoned identifier: it still decides the anchor, but no edge reaches it. */
  readonly node: number;
}

/** Highest priority first; ties by key, so the anchor does not depend on the order fields were read in. */
export const byPriority = (x: Entry, y: Entry): number => y.priority - x.priority || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);

/** Refusals that depend on the clusters of the moment, and so may pass once a component is rebuilt. */
const RETRYABLE = new Set<RefusalReason | undefined>(['max-values', 'cluster-size', 'weakest-link']);

/**
 * The edges an event makes: `anchor` to each of `others` (in the given priority order) under the event's
 * rule, skipping pairs already linked by that rule. When some were already linked and the anchor may be
 * demoted, the group is remembered: demoting the anchor must re-link these others to each other, and the
 * existing edges no longer say they came from this event.
 */
export function derive(state: GraphState, anchor: number, others: readonly number[], source: Source): EdgeRecord[] {
  const created: EdgeRecord[] = [];
  for (const other of others) {
    if (!findEdge(state, anchor, other, source.rule)) created.push(createEdge(state, anchor, other, source));
  }
  if (created.length < others.length && others.length >= 2 && Number.isFinite(infoOf(state, anchor).rule.maxDistinctPeople)) {
    const groups = (state.groupsOf[anchor] ??= []);
    const known = groups.some((group) => group.rule === source.rule && group.others.length === others.length && group.others.every((node, i) => node === others[i]));
    if (!known) groups.push({ rule: source.rule, at: source.at, eventId: source.eventId, event: source.event, others: [...others] });
  }
  return created;
}

/**
 * Re-clusters the component at `root` from its active edges, replayed in acceptance order so that every one
 * is accepted again (the guards are monotone). The part holding the component's oldest identifier keeps the
 * public id; the others take back the id they had before the merge, or get a new one. Then the refused edges
 * at the component are tried again and the `pending` edges decided, both in creation order, through the guards.
 */
export function rebuild(state: GraphState, root: number, reason: 'unmerge' | 'demotion', trigger: EdgeRecord | undefined, pending: EdgeRecord[], at: number, changes: IdentityChange[]): void {
  const { sets, oldest, profileAt } = state;
  const members = sets.members(root);
  const before = profileAt[root];
  const oldestBefore = oldest[root] as number;
  const seen = new Set<EdgeRecord>();
  const replay: EdgeRecord[] = [];
  const retry: EdgeRecord[] = [];
  for (const member of members) {
    for (const edge of state.adjacency[member] ?? []) {
      if (seen.has(edge)) continue;
      seen.add(edge);
      if (edge.status === 'active') replay.push(edge);
      else if (edge.status === 'refused' && RETRYABLE.has(edge.reason)) retry.push(edge);
    }
  }
  for (const member of members) {
    sets.isolate(member);
    oldest[member] = member;
    state.countsOf[member] = undefined;
    profileAt[member] = undefined;
  }
  state.clusters += members.length - 1;
  replay.sort((x, y) => x.order - y.order);
  for (const edge of replay) {
    const rootA = sets.find(edge.a);
    const rootB = sets.find(edge.b);
    if (rootA !== rootB) link(state, rootA, rootB, undefined, undefined);
  }
  const parts = [...new Set(members.map((member) => sets.find(member)))];
  const kept = sets.find(oldestBefore);
  profileAt[kept] = before;
  if (before) before.node = oldestBefore;
  if (parts.length > 1 && before) {
    const split: string[] = [before.id];
    for (const part of parts) {
      if (part === kept) continue;
      const profile = state.profiles.revive(before, oldest[part] as number) ?? state.profiles.create(oldest[part] as number, state.keys[oldest[part] as number] as string);
      profile.node = oldest[part] as number;
      profileAt[part] = profile;
      split.push(profile.id);
    }
    changes.push({ type: 'split', profileIds: split, reason, ...(trigger && { edge: view(state, trigger) }), at });
  }
  for (const edge of [...retry, ...pending].sort((x, y) => x.seq - y.seq)) {
    if (edge.status === 'refused' && ((state.flags[edge.a] as number) | (state.flags[edge.b] as number)) !== 0) continue;
    apply(state, edge, changes);
  }
}

/**
 * Stops `node` joining anything: its edges become `demoted`, its component is rebuilt without them (undoing
 * the joins it caused, which the `demoted` change lists for review), and the other identifiers of each event
 * it anchored are linked to each other as a replay of that event would link them without it.
 */
export function demote(state: GraphState, node: number, at: number, changes: IdentityChange[]): void {
  const { flags } = state;
  flags[node] = (flags[node] as number) | DEMOTED;
  state.demoted++;
  state.peersOf[node] = undefined;
  const root = state.sets.find(node);
  const profile = state.profileAt[root];
  const joins: IdentityEdge[] = [];
  // What each event anchored on this node linked: its edges from that event, and any remembered groups.
  const byEvent = new Map<number, Group & { others: number[] }>();
  for (const edge of state.adjacency[node] ?? []) {
    if (edge.status === 'active') joins.push(view(state, edge));
    if (edge.status === 'active' || edge.status === 'refused') setStatus(state, edge, 'demoted');
    if (edge.event === 0) continue;
    const other = edge.a === node ? edge.b : edge.a;
    const group = byEvent.get(edge.event);
    if (group) group.others.push(other);
    else byEvent.set(edge.event, { rule: edge.rule, at: edge.at, eventId: edge.eventId, event: edge.event, others: [other] });
  }
  const sources: Group[] = [...byEvent.values(), ...(state.groupsOf[node] ?? [])];
  state.groupsOf[node] = undefined;
  // Demoted identifiers drop out; a deleted one (a tombstone, to a replay) that would be the anchor means
  // the event links nothing.
  const pending: EdgeRecord[] = [];
  for (const group of sources) {
    const candidates = group.others
      .filter((other) => ((flags[other] as number) & DEMOTED) === 0)
      .map((other) => ({ key: state.keys[other] as string, type: state.typeOf[other] as number, priority: infoOf(state, other).rule.priority, node: other }))
      .sort(byPriority);
    const anchor = candidates[0];
    if (candidates.length < 2 || !anchor || ((flags[anchor.node] as number) & DELETED) !== 0) continue;
    const rest = candidates.slice(1).filter((entry) => ((flags[entry.node] as number) & DELETED) === 0);
    pending.push(...derive(state, anchor.node, rest.map((entry) => entry.node), group));
  }
  changes.push({ type: 'demoted', identifier: state.keys[node] as string, profileIds: profile ? [profile.id] : [], edges: joins, at });
  rebuild(state, root, 'demotion', undefined, pending, at, changes);
}
