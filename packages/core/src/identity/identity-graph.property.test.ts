import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventIdentifierReader, type IdentityEvent } from './event-identifiers';
import { createIdentityGraph } from './identity-graph';
import type { IdentityGraph, IdentityGraphOptions } from './types';

/**
 * Small pools so that random events collide: shared cookies, devices, loyalty cards and email variants
 * (`Ann.Lee@gmail.com` and `annlee+x@gmail.com` are one mailbox).
 */
const USERS = ['u0', 'u1', 'u2', 'u3'];
const COOKIES = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'];
const EMAILS = ['e0@example.org', 'E0@Example.org', 'Ann.Lee@gmail.com', 'annlee+x@gmail.com', 'e2@example.org', 'test@test.com'];
const DEVICES = ['d0', 'd1', 'd2'];
const CARDS = ['l0', 'l1'];

const eventArbitrary: fc.Arbitrary<IdentityEvent> = fc
  .record({
    type: fc.constantFrom('identify', 'track', 'page', 'alias'),
    userId: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
    anonymousId: fc.option(fc.constantFrom(...COOKIES), { nil: undefined }),
    email: fc.option(fc.constantFrom(...EMAILS), { nil: undefined }),
    device: fc.option(fc.constantFrom(...DEVICES), { nil: undefined }),
    card: fc.option(fc.constantFrom(...CARDS), { nil: undefined }),
    previousId: fc.constantFrom(...COOKIES),
    id: fc.nat(1000),
  })
  .map(({ type, userId, anonymousId, email, device, card, previousId, id }) => {
    const alias = type === 'alias' && userId !== undefined;
    return {
      type: type === 'alias' && !alias ? 'track' : type,
      messageId: `m${id}`,
      ...(userId !== undefined && { userId }),
      ...(anonymousId !== undefined && { anonymousId }),
      ...(alias && { previousId }),
      ...(email !== undefined && { traits: { email } }),
      context: { ...(device !== undefined && { device: { id: device } }), ...(card !== undefined && { loyaltyId: card }) },
    };
  });

const eventsArbitrary = fc.array(eventArbitrary, { maxLength: 40 });

/** Every limit off: the graph is plain connected components over the events' identifiers. */
const UNGUARDED: IdentityGraphOptions = {
  rules: Object.fromEntries(
    ['userId', 'anonymousId', 'email', 'phone', 'loyaltyId', 'posCustomerId', 'deviceId'].map((type) => [type, { maxValuesPerProfile: Infinity, maxDistinctPeople: Infinity }]),
  ),
  guards: { maxClusterSize: Infinity, weakestLink: false },
};

/** Tight limits so that refusals and demotions happen often. */
const TIGHT: IdentityGraphOptions = {
  rules: { deviceId: { maxDistinctPeople: 2 }, anonymousId: { maxDistinctPeople: 2 }, loyaltyId: { maxDistinctPeople: 2 }, email: { maxValuesPerProfile: 2 } },
  guards: { maxClusterSize: 6, weakestLink: { minClusterSize: 3 } },
};

const graphWith = (options: IdentityGraphOptions, events: readonly IdentityEvent[]) => {
  const graph = createIdentityGraph({ clock: { now: () => 0 }, ...options });
  for (const event of events) graph.addEvent(event);
  return graph;
};

/** The partition as sorted groups of identifier keys: comparable across graphs whatever their ids. */
function partition(graph: IdentityGraph): string[][] {
  return [...graph.profiles()].map((profile) => [...profile.identifiers].sort()).sort((x, y) => (x[0] as string).localeCompare(y[0] as string));
}

function snapshot(graph: IdentityGraph) {
  return {
    partition: partition(graph),
    profileIds: [...graph.profiles()].map((profile) => profile.profileId).sort(),
    edges: [...graph.edges()],
    stats: graph.stats(),
  };
}

/** Connected components of `pairs` over `nodes`, by breadth-first search. */
function components(nodes: Iterable<string>, pairs: ReadonlyArray<readonly [string, string]>): string[][] {
  const neighbours = new Map<string, string[]>([...nodes].map((node) => [node, []]));
  for (const [a, b] of pairs) {
    neighbours.get(a)?.push(b);
    neighbours.get(b)?.push(a);
  }
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const start of neighbours.keys()) {
    if (seen.has(start)) continue;
    const group = [start];
    seen.add(start);
    for (let i = 0; i < group.length; i++) {
      for (const next of neighbours.get(group[i] as string) ?? []) if (!seen.has(next) && seen.add(next)) group.push(next);
    }
    out.push(group.sort());
  }
  return out.sort((x, y) => (x[0] as string).localeCompare(y[0] as string));
}

describe('identity graph properties', () => {
  it('adding the same events again changes nothing, guards and demotions included', () => {
    fc.assert(
      fc.property(eventsArbitrary, fc.constantFrom(TIGHT, {}), (events, options) => {
        const graph = graphWith(options, events);
        const before = snapshot(graph);
        for (const event of events) graph.addEvent(event);
        expect(snapshot(graph)).toEqual(before);
      }),
    );
  });

  it('without guards, the partition is the connected components of the events and does not depend on their order', () => {
    const read = createEventIdentifierReader();
    fc.assert(
      fc.property(
        eventsArbitrary.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))),
        ([events, shuffled]) => {
          const graph = graphWith(UNGUARDED, events);
          expect(partition(graphWith(UNGUARDED, shuffled))).toEqual(partition(graph));
          // The obvious model: identifiers seen in one event belong together.
          const nodes = new Set<string>();
          const pairs: [string, string][] = [];
          for (const event of events) {
            const keys = read(event)
              .map((raw) => graph.keyOf(raw))
              .filter((key): key is string => typeof key === 'string');
            for (const key of keys) nodes.add(key);
            for (const key of keys.slice(1)) pairs.push([keys[0] as string, key]);
          }
          expect(partition(graph)).toEqual(components(nodes, pairs));
        },
      ),
    );
  });

  it('with guards, the partition does not depend on event order as long as no guard refused or demoted anything', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        eventsArbitrary.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))),
        ([events, shuffled]) => {
          const a = graphWith({}, events);
          const b = graphWith({}, shuffled);
          const quiet = (graph: IdentityGraph) => graph.stats().refused === 0 && graph.stats().demoted === 0;
          if (!quiet(a) || !quiet(b)) return;
          compared++;
          expect(partition(b)).toEqual(partition(a));
        },
      ),
      { numRuns: 200 },
    );
    expect(compared).toBeGreaterThan(20);
  });

  it('whatever happens, profiles are the components of the active edges and every cluster is within its limits', () => {
    const commands = fc.array(
      fc.oneof(
        { weight: 6, arbitrary: eventArbitrary.map((event) => ({ kind: 'event' as const, event })) },
        { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'unmerge' as const, pick })) },
        { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'delete' as const, pick })) },
      ),
      { maxLength: 50 },
    );
    fc.assert(
      fc.property(commands, (steps) => {
        const graph = createIdentityGraph({ clock: { now: () => 0 }, ...TIGHT });
        for (const step of steps) {
          if (step.kind === 'event') graph.addEvent(step.event);
          const active = [...graph.edges()].filter((edge) => edge.status === 'active');
          if (step.kind === 'unmerge' && active.length > 0) graph.unmerge((active[step.pick % active.length] as { id: string }).id);
          const profiles = [...graph.profiles()];
          if (step.kind === 'delete' && profiles.length > 0) graph.deletePerson((profiles[step.pick % profiles.length] as { profileId: string }).profileId);
        }
        const profiles = [...graph.profiles()];
        const activePairs = [...graph.edges()].filter((edge) => edge.status === 'active').map((edge) => [edge.a, edge.b] as const);
        expect(partition(graph)).toEqual(components(profiles.flatMap((profile) => profile.identifiers), activePairs));
        expect(new Set(profiles.map((profile) => profile.profileId)).size).toBe(profiles.length);
        for (const profile of profiles) {
          expect(profile.identifiers.length).toBeLessThanOrEqual(6);
          expect(profile.identifiers.filter((key) => key.startsWith('userId:')).length).toBeLessThanOrEqual(1);
          expect(profile.identifiers.filter((key) => key.startsWith('email:')).length).toBeLessThanOrEqual(2);
          expect(graph.resolveProfile(profile.profileId)?.identifiers).toEqual(profile.identifiers);
        }
        expect(graph.stats()).toMatchObject({ clusters: profiles.length, profiles: profiles.length });
      }),
    );
  });

  it('a deleted person leaves no identifier, edge or profile behind, and replaying every event brings nothing back', () => {
    fc.assert(
      fc.property(eventsArbitrary, fc.nat(), fc.constantFrom(TIGHT, {}), (events, pick, options) => {
        const graph = graphWith(options, events);
        const profiles = [...graph.profiles()];
        fc.pre(profiles.length > 0);
        const victim = profiles[pick % profiles.length] as { profileId: string; identifiers: readonly string[] };
        const result = graph.deletePerson(victim.profileId);
        if (result.status !== 'deleted') throw new Error('expected a deletion');
        expect([...result.identifiers].sort()).toEqual([...victim.identifiers].sort());
        const gone = new Set(result.identifiers);
        const check = () => {
          for (const key of gone) {
            expect(graph.resolve(key)).toBeUndefined();
            expect(graph.isTombstoned(key)).toBe(true);
          }
          for (const edge of graph.edges()) expect(gone.has(edge.a) || gone.has(edge.b)).toBe(false);
          for (const profile of graph.profiles()) for (const key of profile.identifiers) expect(gone.has(key)).toBe(false);
          for (const id of result.profileIds) expect(graph.resolveProfile(id)).toBeUndefined();
        };
        check();
        const after = snapshot(graph);
        for (const event of events) graph.addEvent(event);
        check();
        expect(snapshot(graph)).toEqual(after);
      }),
    );
  });
});
