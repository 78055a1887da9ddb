import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../platform';
import { createIdentityGraph } from './identity-graph';
import type { IdentityChange, IdentityGraphOptions } from './types';

const T = Date.UTC(2026, 10, 24, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const graphAt = (options: IdentityGraphOptions = {}) => createIdentityGraph({ clock: { now: () => T }, ...options });

describe('createIdentityGraph: joining', () => {
  it('resolves every identifier of a person to one profile, oldest identifier first', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'page', anonymousId: 'a1' });
    const result = graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { email: 'Ann@Example.org' } });
    expect(result).toMatchObject({ status: 'resolved', profileId: 'p1', identifiers: ['userId:u1', 'anonymousId:a1', 'email:ann@example.org'] });
    expect(graph.resolve('email:ANN@example.org')).toEqual({ profileId: 'p1', clusterId: expect.any(Number), identifiers: ['anonymousId:a1', 'userId:u1', 'email:ann@example.org'] });
    expect(graph.resolve({ type: 'userId', value: 'u1' })?.profileId).toBe('p1');
    expect(graph.resolve('userId:nobody')).toBeUndefined();
  });

  it('records provenance on every edge: rule, event, time', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', messageId: 'm-1', timestamp: iso(T - 5_000), userId: 'u1', anonymousId: 'a1' });
    graph.addEvent({ type: 'track', event: 'Product Viewed', userId: 'u1', context: { device: { id: 'd1' } } });
    expect(graph.getEdges('userId:u1')).toEqual([
      { id: 'e0', a: 'userId:u1', b: 'anonymousId:a1', rule: 'identify', eventId: 'm-1', at: T - 5_000, status: 'active' },
      { id: 'e1', a: 'userId:u1', b: 'deviceId:d1', rule: 'shared-identifier', at: T, status: 'active' },
    ]);
    expect(graph.getEdge('e0')?.eventId).toBe('m-1');
  });

  it('keeps the older public id on a merge and resolves the retired one to it', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', anonymousId: 'a1', traits: { email: 'ann@example.org' } }); // p1
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a2' }); // p2
    const result = graph.addEvent({ type: 'identify', messageId: 'm-3', userId: 'u1', traits: { email: 'ann@example.org' } });
    const merged = result.changes.find((change) => change.type === 'merged');
    expect(merged).toMatchObject({ type: 'merged', profileIds: ['p1', 'p2'], edge: { rule: 'identify', eventId: 'm-3', a: 'userId:u1', b: 'email:ann@example.org' } });
    expect(result).toMatchObject({ status: 'resolved', profileId: 'p1' });
    expect(graph.resolveProfile('p2')?.profileId).toBe('p1');
    expect(graph.resolveProfile('p2')?.identifiers).toHaveLength(4);
  });

  it('says why identifiers were not used, and resolves nothing from nothing', () => {
    const graph = graphAt();
    expect(graph.addEvent({ type: 'track', event: 'x', userId: 'undefined', traits: { email: 'not-an-email' } })).toEqual({
      status: 'unresolved',
      reason: 'no-identifier',
      ignored: [
        { type: 'userId', reason: 'blocked' },
        { type: 'email', reason: 'invalid_email' },
      ],
      changes: [],
    });
  });

  it('never throws on something that is not an event', () => {
    const graph = graphAt();
    for (const junk of [null, undefined, 42, 'identify', [], { traits: null, context: 'x' }]) {
      expect(graph.addEvent(junk as never)).toMatchObject({ status: 'unresolved', reason: 'no-identifier' });
    }
  });

  it('reads custom types from configured paths and Segment externalIds, with their own rules', () => {
    const graph = graphAt({ rules: { 'custom:crm': { maxValuesPerProfile: 1, priority: 95 } }, events: { paths: { 'custom:crm': ['traits.crm_id'] } } });
    graph.addEvent({ type: 'identify', userId: 'u1', traits: { crm_id: 'C-1' } });
    const second = graph.addEvent({ type: 'identify', anonymousId: 'a9', context: { externalIds: [{ id: 'C-2', type: 'crm' }] }, traits: { crm_id: 'C-1' } });
    expect(graph.resolve('custom:crm:C-1')?.identifiers).toEqual(['userId:u1', 'custom:crm:C-1', 'anonymousId:a9']);
    expect(second.changes).toContainEqual(expect.objectContaining({ type: 'refused', edge: expect.objectContaining({ reason: 'max-values', detail: 'custom:crm: 1 + 1 > 1' }) }));
  });

  it('refuses rules it cannot honour', () => {
    expect(() => createIdentityGraph({ rules: { custom: { maxValuesPerProfile: 3 } } })).toThrow(/custom:crmId/);
    expect(() => createIdentityGraph({ rules: { email: { maxValuesPerProfile: 0 } } })).toThrow(/email.maxValuesPerProfile/);
  });
});

describe('createIdentityGraph: hashing', () => {
  const hash = (text: string) => `sha(${text.length}:${[...text].reverse().join('')})`;

  it('hashes emails and phones, not ids, and resolves raw values', () => {
    const graph = graphAt({ hash });
    const result = graph.addEvent({ type: 'identify', userId: 'u1', traits: { email: 'A.nn@gmail.com', phone: '+14155550100' } });
    expect(result.status === 'resolved' && result.identifiers).toEqual(['userId:u1', 'email:sha(13:moc.liamg@nna)', 'phone:sha(12:00105555141+)']);
    expect(graph.resolve('email:ann@gmail.com')?.profileId).toBe('p1');
  });

  it('keeps only hashes in tombstones', () => {
    const graph = graphAt({ hash });
    graph.addEvent({ type: 'identify', userId: 'u1', traits: { email: 'ann@example.org' } });
    const deleted = graph.deletePerson('p1');
    expect(deleted.status === 'deleted' && deleted.identifiers.join()).not.toContain('ann@');
    expect(graph.isTombstoned('email:ann@example.org')).toBe(true);
  });
});

describe('createIdentityGraph: unmerge', () => {
  function wronglyMerged() {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1' }); // p1
    graph.addEvent({ type: 'identify', anonymousId: 'a2', traits: { email: 'bob@example.org' } }); // p2
    const merge = graph.addEvent({ type: 'track', event: 'x', anonymousId: 'a1', traits: { email: 'bob@example.org' } });
    const edge = merge.changes.find((change) => change.type === 'merged');
    return { graph, edgeId: edge?.type === 'merged' ? edge.edge.id : '' };
  }

  it('splits the component and gives both people their old ids back', () => {
    const { graph, edgeId } = wronglyMerged();
    expect(graph.resolve('email:bob@example.org')?.profileId).toBe('p1');
    const result = graph.unmerge(edgeId, { at: T + 1 });
    expect(result).toMatchObject({ status: 'split', edge: { id: edgeId, status: 'unmerged' } });
    expect(result.status === 'split' && result.changes).toEqual([{ type: 'split', profileIds: ['p1', 'p2'], reason: 'unmerge', edge: expect.objectContaining({ id: edgeId }), at: T + 1 }]);
    expect(graph.resolve('userId:u1')?.identifiers).toEqual(['userId:u1', 'anonymousId:a1']);
    expect(graph.resolve('email:bob@example.org')?.profileId).toBe('p2');
    expect(graph.resolveProfile('p2')?.identifiers).toEqual(['anonymousId:a2', 'email:bob@example.org']);
  });

  it('gives a new id to a part that never had one of its own', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1', context: { device: { id: 'd1' } } });
    const [edge] = graph.getEdges('deviceId:d1');
    const result = graph.unmerge(edge?.id ?? '');
    expect(result.status === 'split' && result.changes[0]).toMatchObject({ type: 'split', profileIds: ['p1', 'p2'] });
    expect(graph.resolve('deviceId:d1')).toMatchObject({ profileId: 'p2', identifiers: ['deviceId:d1'] });
  });

  it('splits nothing when other edges still hold the component together', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { email: 'ann@example.org' } });
    graph.addEvent({ type: 'track', event: 'x', anonymousId: 'a1', traits: { email: 'ann@example.org' } });
    const edge = graph.getEdges('anonymousId:a1').find((e) => e.a === 'userId:u1');
    expect(graph.unmerge(edge?.id ?? '')).toMatchObject({ status: 'unchanged', changes: [] });
    expect(graph.resolve('anonymousId:a1')?.profileId).toBe('p1');
  });

  it('reports an unknown edge', () => {
    expect(graphAt().unmerge('nope')).toEqual({ status: 'not-found' });
  });
});

describe('createIdentityGraph: demotion', () => {
  it('demotes a value linked to too many people, undoes its joins, and links its events without it', () => {
    const graph = graphAt({ rules: { loyaltyId: { maxDistinctPeople: 3 } } });
    const changes: IdentityChange[] = [];
    graph.onChange((change) => changes.push(change));
    for (let i = 1; i <= 5; i++) graph.addEvent({ type: 'track', event: 'POS', anonymousId: `till-${i}`, traits: { email: `c${i}@example.org` }, context: { loyaltyId: 'DEFAULT' } });
    const demoted = changes.find((change) => change.type === 'demoted');
    expect(demoted).toMatchObject({ type: 'demoted', identifier: 'loyaltyId:DEFAULT', profileIds: ['p1'] });
    // The joins to review: its active edges when the 4th email arrived (demoted before that event linked anything).
    expect(demoted?.type === 'demoted' && demoted.edges.map((edge) => edge.b).sort()).toEqual(
      ['anonymousId:till-1', 'anonymousId:till-2', 'anonymousId:till-3', 'email:c1@example.org', 'email:c2@example.org', 'email:c3@example.org'].sort(),
    );
    expect(changes.find((change) => change.type === 'split')).toMatchObject({ reason: 'demotion' });
    expect(graph.isDemoted('loyaltyId:DEFAULT')).toBe(true);
    expect(graph.resolve('loyaltyId:DEFAULT')?.identifiers).toEqual(['loyaltyId:DEFAULT']);
    for (let i = 1; i <= 5; i++) expect(graph.resolve(`email:c${i}@example.org`)?.identifiers).toEqual([`anonymousId:till-${i}`, `email:c${i}@example.org`]);
    expect(graph.stats()).toMatchObject({ demoted: 1, refused: 0, clusters: 6 });
  });

  it('leaves a value seen with one person many times alone', () => {
    const graph = graphAt();
    for (let i = 0; i < 50; i++) graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: `a${i % 3}`, context: { device: { id: 'd1' } } });
    expect(graph.isDemoted('deviceId:d1')).toBe(false);
    expect(graph.resolve('deviceId:d1')?.identifiers).toHaveLength(5);
  });
});

describe('createIdentityGraph: delete', () => {
  it('removes the profile, its merged ids, identifiers and edges, and returns what the store must delete', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', messageId: 'm1', anonymousId: 'a1', traits: { email: 'ann@example.org' } });
    graph.addEvent({ type: 'identify', messageId: 'm2', userId: 'u1', anonymousId: 'a2' });
    graph.addEvent({ type: 'identify', messageId: 'm3', userId: 'u1', traits: { email: 'ann@example.org' } });
    graph.addEvent({ type: 'identify', messageId: 'm4', userId: 'u2', anonymousId: 'a2' }); // refused: a second userId
    graph.addEvent({ type: 'page', messageId: 'm5', anonymousId: 'a9' });
    const result = graph.deletePerson('p2', { at: T + 9 });
    expect(result).toMatchObject({
      status: 'deleted',
      profileIds: ['p1', 'p2'],
      identifiers: ['anonymousId:a1', 'email:ann@example.org', 'userId:u1', 'anonymousId:a2'],
      eventIds: expect.arrayContaining(['m1', 'm2', 'm3', 'm4']),
      changes: [{ type: 'deleted', profileIds: ['p1', 'p2'], at: T + 9 }],
    });
    expect(result.status === 'deleted' && result.edges).toHaveLength(4);
    expect(graph.resolveProfile('p1')).toBeUndefined();
    expect(graph.resolveProfile('p2')).toBeUndefined();
    expect(graph.getEdges('userId:u2')).toEqual([]);
    expect(graph.stats()).toEqual({ nodes: 2, edges: 0, activeEdges: 0, clusters: 2, profiles: 2, refused: 0, demoted: 0, tombstones: 4 });
    expect(graph.deletePerson('p1')).toEqual({ status: 'not-found' });
  });

  it('ignores tombstoned identifiers, and an event anchored on one belongs to the deleted person', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1' });
    graph.deletePerson('p1');
    expect(graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a-new' })).toMatchObject({ status: 'unresolved', reason: 'deleted-person', ignored: [{ type: 'userId', reason: 'tombstoned' }] });
    expect(graph.resolve('anonymousId:a-new')?.identifiers).toEqual(['anonymousId:a-new']);
    expect(graph.addEdge({ id: 'x', a: 'userId:u1', b: 'anonymousId:a-new', rule: 'probabilistic', at: T })).toEqual({ status: 'ignored', reason: 'tombstoned' });
  });

  it('lets a deleted identifier be used again once its tombstone is removed', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1' });
    graph.deletePerson('p1');
    expect(graph.removeTombstone('userId:u1')).toBe(true);
    expect(graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a2' })).toMatchObject({ status: 'resolved' });
    expect(graph.resolve('userId:u1')?.identifiers).toEqual(['userId:u1', 'anonymousId:a2']);
  });

  it('restores tombstones by key when a graph is rebuilt, but never over a live identifier', () => {
    const graph = graphAt({ hash: (text) => `h(${text})` });
    graph.addEvent({ type: 'identify', userId: 'u9', traits: { email: 'Zoe@Example.org' } });
    const key = graph.keyOf('email:zoe@example.org');
    expect(key).toBe('email:h(zoe@example.org)');
    expect(graph.restoreTombstone(key as string)).toBe(false);
    const rebuilt = graphAt({ hash: (text) => `h(${text})` });
    expect(rebuilt.restoreTombstone(key as string)).toBe(true);
    expect(rebuilt.isTombstoned('email:ZOE@example.org')).toBe(true);
    expect(rebuilt.addEvent({ type: 'identify', userId: 'u9', traits: { email: 'zoe@example.org' } })).toMatchObject({ status: 'resolved', ignored: [{ type: 'email', reason: 'tombstoned' }] });
    expect(rebuilt.resolve('userId:u9')?.identifiers).toEqual(['userId:u9']);
  });
});

describe('createIdentityGraph: addEdge', () => {
  it('adds a probabilistic edge with its weight, once', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', userId: 'u1' });
    graph.addEvent({ type: 'identify', traits: { email: 'ann@example.org' }, anonymousId: 'a1' });
    const edge = { id: 'fs-1', a: 'userId:u1', b: 'email:ann@example.org', rule: 'probabilistic', at: T, weight: 0.993 } as const;
    const result = graph.addEdge(edge);
    expect(result).toMatchObject({ status: 'accepted', edge: { id: 'fs-1', weight: 0.993, status: 'active' }, changes: [{ type: 'merged', profileIds: ['p1', 'p2'] }] });
    expect(graph.addEdge(edge)).toEqual({ status: 'duplicate' });
    expect(graph.addEdge({ ...edge, id: 'fs-2' })).toEqual({ status: 'duplicate' });
  });

  it('puts probabilistic edges through the same guards', () => {
    const graph = graphAt({ guards: { weakestLink: { minClusterSize: 2 } } });
    for (const i of [1, 2, 3]) graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: `x${i}` });
    for (const i of [1, 2, 3]) graph.addEvent({ type: 'identify', traits: { email: 'bob@example.org' }, anonymousId: `y${i}` });
    graph.addEvent({ type: 'identify', userId: 'u2' });
    expect(graph.addEdge({ id: 'w', a: 'anonymousId:x1', b: 'anonymousId:y1', rule: 'probabilistic', at: T, weight: 0.99 })).toMatchObject({ status: 'refused', edge: { reason: 'weakest-link' } });
    expect(graph.addEdge({ id: 'v', a: 'userId:u1', b: 'userId:u2', rule: 'probabilistic', at: T })).toMatchObject({ status: 'refused', edge: { reason: 'max-values' } });
  });

  it('ignores blocked values, self-loops and demoted values', () => {
    const graph = graphAt({ rules: { deviceId: { maxDistinctPeople: 1 } } });
    graph.addEvent({ type: 'identify', userId: 'u1', context: { device: { id: 'kiosk' } } });
    graph.addEvent({ type: 'identify', userId: 'u2', context: { device: { id: 'kiosk' } } });
    expect(graph.addEdge({ id: '1', a: 'userId:u1', b: 'email:test@test.com', rule: 'probabilistic', at: T })).toEqual({ status: 'ignored', reason: 'blocked' });
    expect(graph.addEdge({ id: '2', a: 'email:Ann@x.org', b: 'email:ann@x.org', rule: 'probabilistic', at: T })).toEqual({ status: 'ignored', reason: 'self-loop' });
    expect(graph.addEdge({ id: '3', a: 'userId:u3', b: 'deviceId:kiosk', rule: 'probabilistic', at: T })).toEqual({ status: 'ignored', reason: 'demoted' });
  });
});

describe('createIdentityGraph: changes, stats and scans', () => {
  it('emits the changes it returns, survives a throwing listener, and unsubscribes', () => {
    const error = vi.fn();
    const logger: Logger = { debug() {}, info() {}, warn() {}, error };
    const graph = graphAt({ logger });
    const seen: IdentityChange[] = [];
    const stop = graph.onChange((change) => seen.push(change));
    graph.onChange(() => {
      throw new Error('listener bug');
    });
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1' });
    const result = graph.addEvent({ type: 'identify', userId: 'u2', anonymousId: 'a1' });
    expect(seen).toEqual(result.changes);
    expect(seen).toHaveLength(1);
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ change: 'refused' }), 'identity change listener threw');
    stop();
    graph.addEvent({ type: 'identify', userId: 'u3', anonymousId: 'a1' });
    expect(seen).toHaveLength(1);
  });

  it('counts nodes, edges, clusters, profiles, refused and demoted incrementally', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1' });
    graph.addEvent({ type: 'identify', userId: 'u2', anonymousId: 'a1' });
    graph.addEvent({ type: 'page', anonymousId: 'a3' });
    expect(graph.stats()).toEqual({ nodes: 4, edges: 2, activeEdges: 1, clusters: 3, profiles: 3, refused: 1, demoted: 0, tombstones: 0 });
  });

  it('lists every profile and edge', () => {
    const graph = graphAt();
    graph.addEvent({ type: 'identify', userId: 'u1', anonymousId: 'a1' });
    graph.addEvent({ type: 'page', anonymousId: 'a3' });
    expect([...graph.profiles()].map((profile) => [profile.profileId, profile.identifiers])).toEqual([
      ['p1', ['userId:u1', 'anonymousId:a1']],
      ['p2', ['anonymousId:a3']],
    ]);
    expect([...graph.edges()].map((edge) => edge.id)).toEqual(['e0']);
  });
});
