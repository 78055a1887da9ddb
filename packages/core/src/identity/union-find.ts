/**
 * Disjoint sets over the integers 0…n−1 with path compression and union by size (O(α(n)) per operation),
 * plus a circular "next member" list per set so a set's members can be listed in O(size) and two lists
 * joined in O(1). Union-find cannot delete a link: to split a set, {@link UnionFind.isolate} its members
 * and link them again from the edges that remain.
 */
export interface UnionFind {
  /** How many elements exist (ids are 0…length−1). */
  readonly length: number;
  /** Adds a singleton set and returns its element. */
  add(): number;
  /** The root of `x`'s set. */
  find(x: number): number;
  /**
   * Joins the sets whose roots are `rootA` and `rootB` (both must be roots, and differ) and returns the new
   * root: the larger set's root, the smaller element on a tie, so the result does not depend on argument order.
   */
  link(rootA: number, rootB: number): number;
  /** Joins the sets of `a` and `b`; returns the root. */
  union(a: number, b: number): number;
  size(root: number): number;
  /** The members of the set whose root (or any member) is `x`. */
  members(x: number): number[];
  /** Makes `x` a singleton again. Only for rebuilding: isolate every member of a set before linking any. */
  isolate(x: number): void;
}

/**
 * @example
 * const sets = createUnionFind();
 * const a = sets.add(), b = sets.add();
 * sets.union(a, b); sets.find(b) === sets.find(a) // true
 */
export function createUnionFind(initialCapacity = 1024): UnionFind {
  let parent = new Int32Array(initialCapacity);
  let sizes = new Int32Array(initialCapacity);
  let next = new Int32Array(initialCapacity);
  let length = 0;

  const grow = () => {
    const capacity = parent.length * 2;
    const copy = (from: Int32Array) => {
      const to = new Int32Array(capacity);
      to.set(from);
      return to;
    };
    parent = copy(parent);
    sizes = copy(sizes);
    next = copy(next);
  };

  const find = (x: number): number => {
    let root = x;
    while (parent[root] !== root) root = parent[root] as number;
    while (parent[x] !== root) {
      const up = parent[x] as number;
      parent[x] = root;
      x = up;
    }
    return root;
  };

  const link = (rootA: number, rootB: number): number => {
    const sizeA = sizes[rootA] as number;
    const sizeB = sizes[rootB] as number;
    const keepA = sizeA > sizeB || (sizeA === sizeB && rootA < rootB);
    const root = keepA ? rootA : rootB;
    const child = keepA ? rootB : rootA;
    parent[child] = root;
    sizes[root] = sizeA + sizeB;
    // Splice the two circular member lists into one.
    const after = next[root] as number;
    next[root] = next[child] as number;
    next[child] = after;
    return root;
  };

  return {
    get length() {
      return length;
    },
    add() {
      if (length === parent.length) grow();
      const x = length++;
      parent[x] = x;
      sizes[x] = 1;
      next[x] = x;
      return x;
    },
    find,
    link,
    union(a, b) {
      const rootA = find(a);
      const rootB = find(b);
      return rootA === rootB ? rootA : link(rootA, rootB);
    },
    size: (root) => sizes[find(root)] as number,
    members(x) {
      const out = [x];
      for (let member = next[x] as number; member !== x; member = next[member] as number) out.push(member);
      return out;
    },
    isolate(x) {
      parent[x] = x;
      sizes[x] = 1;
      next[x] = x;
    },
  };
}
