import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUnionFind } from './union-find';

/** Components by breadth-first search: the slow, obvious answer. */
function components(n: number, pairs: ReadonlyArray<readonly [number, number]>): number[][] {
  const neighbours = Array.from({ length: n }, () => [] as number[]);
  for (const [a, b] of pairs) {
    neighbours[a]?.push(b);
    neighbours[b]?.push(a);
  }
  const seen = new Set<number>();
  const out: number[][] = [];
  for (let start = 0; start < n; start++) {
    if (seen.has(start)) continue;
    const component = [start];
    seen.add(start);
    for (let i = 0; i < component.length; i++) {
      for (const next of neighbours[component[i] as number] ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          component.push(next);
        }
      }
    }
    out.push(component.sort((x, y) => x - y));
  }
  return out.sort((x, y) => (x[0] as number) - (y[0] as number));
}

describe('createUnionFind', () => {
  it('joins, finds, sizes and lists members', () => {
    const sets = createUnionFind(2);
    const [a, b, c, d] = [sets.add(), sets.add(), sets.add(), sets.add()] as [number, number, number, number];
    expect(sets.length).toBe(4);
    sets.union(a, b);
    sets.union(c, d);
    expect(sets.find(a)).toBe(sets.find(b));
    expect(sets.find(a)).not.toBe(sets.find(c));
    const root = sets.union(b, d);
    expect(sets.size(root)).toBe(4);
    expect(sets.members(root).sort()).toEqual([a, b, c, d]);
  });

  it('links by size, then by the smaller root, whatever the argument order', () => {
    const sets = createUnionFind();
    const [a, b, c] = [sets.add(), sets.add(), sets.add()] as [number, number, number];
    expect(sets.link(b, a)).toBe(a);
    expect(sets.link(c, a)).toBe(a);
  });

  it('isolating every member of a set and relinking gives the components of the remaining links', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 60 }), fc.nat())),
        ([n, pairs, drop]) => {
          const sets = createUnionFind(1);
          for (let i = 0; i < n; i++) sets.add();
          for (const [a, b] of pairs) sets.union(a, b);
          const partition = () => {
            const groups = new Map<number, number[]>();
            for (let x = 0; x < n; x++) groups.set(sets.find(x), [...(groups.get(sets.find(x)) ?? []), x]);
            return [...groups.values()].sort((x, y) => (x[0] as number) - (y[0] as number));
          };
          expect(partition()).toEqual(components(n, pairs));
          for (const root of new Set(Array.from({ length: n }, (_, x) => sets.find(x)))) {
            expect(sets.members(root).sort((x, y) => x - y)).toEqual(partition().find((group) => group.includes(root)));
          }
          // Remove one link: rebuild the component it was in from the others.
          if (pairs.length === 0) return;
          const removed = drop % pairs.length;
          const rest = pairs.filter((_, index) => index !== removed);
          const members = sets.members(sets.find((pairs[removed] as [number, number])[0]));
          for (const member of members) sets.isolate(member);
          const inside = new Set(members);
          for (const [a, b] of rest) if (inside.has(a)) sets.union(a, b);
          expect(partition()).toEqual(components(n, rest));
        },
      ),
    );
  });
});
