/**
 * How a condition reads the document: dot paths (with MongoDB's implicit array traversal), paths shared
 * by many conditions resolved once per decision, and the per-field test that applies operators to what a
 * path holds. Evaluation allocates nothing on the common path.
 */

/** A compiled test; `resolved` carries a decision's shared path values (see {@link PathTable}). */
export type Test = (value: unknown, resolved?: readonly unknown[]) => boolean;

/**
 * One requirement on the value at a path. A `leaf` op holds when `leaf` accepts the value (or, with
 * `traverse`, the array there or one of its elements), inverted by `negate` — so `$ne`/`$nin` mean "no
 * value equals", as in MongoDB. A `not` op holds when its inner ops do not all hold.
 */
export type FieldOp =
  | { readonly kind: 'leaf'; readonly leaf: Test; readonly traverse: boolean; readonly negate: boolean }
  | { readonly kind: 'not'; readonly inner: readonly FieldOp[] };

export function leafOp(leaf: Test, traverse: boolean, negate: boolean): FieldOp {
  return { kind: 'leaf', leaf, traverse, negate };
}

/** What a path read returns when it crossed an array: the slow path must visit each element. */
const THROUGH_ARRAY: unknown = Object.freeze({ throughArray: true });

interface CompiledPath {
  readonly parts: readonly string[];
  readonly indexes: readonly number[];
  /** A plain read is safe for JSON objects unless the key is inherited from Object.prototype. */
  readonly inherited: readonly boolean[];
  /**
   * For each part, the dotted keys it starts (`affinity.category`, `affinity.category.shoes`), tried when the
   * part alone is not a key: feature values are flat maps whose names contain dots.
   */
  readonly joined: readonly (readonly string[])[];
}

function compilePath(parts: readonly string[]): CompiledPath {
  return {
    parts,
    indexes: parts.map((part) => (/^(0|[1-9]\d{0,8})$/.test(part) ? Number(part) : -1)),
    inherited: parts.map((part) => part in Object.prototype),
    joined: parts.map((_, i) => parts.slice(i + 1).map((__, k) => parts.slice(i, i + k + 2).join('.'))),
  };
}

/**
 * When `parts[i]` is not a key of `object`, the shortest dotted key made of `parts[i..j]` that is (and the
 * last part it consumed); undefined when `parts[i]` is a key or no dotted key exists.
 */
function readKey(object: Record<string, unknown>, path: CompiledPath, i: number): { value: unknown; last: number } | undefined {
  const key = path.parts[i] as string;
  if (!(path.inherited[i] as boolean) || Object.hasOwn(object, key)) {
    const value = object[key];
    if (value !== undefined || Object.hasOwn(object, key)) return undefined;
  }
  const joined = path.joined[i] as readonly string[];
  for (let k = 0; k < joined.length; k++) {
    const candidate = joined[k] as string;
    if (Object.hasOwn(object, candidate)) return { value: object[candidate], last: i + k + 1 };
  }
  return undefined;
}

/** The one value at a path, or THROUGH_ARRAY when the path crosses an array (numeric parts index it). */
function readPath(document: unknown, path: CompiledPath): unknown {
  let value = document;
  const { parts, indexes, inherited } = path;
  for (let i = 0; i < parts.length; i++) {
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value)) {
      const index = indexes[i] as number;
      if (index < 0) return THROUGH_ARRAY;
      value = value[index];
      continue;
    }
    const key = parts[i] as string;
    const flat = readKey(value as Record<string, unknown>, path, i);
    if (flat !== undefined) {
      value = flat.value;
      i = flat.last;
      continue;
    }
    value = inherited[i] && !Object.hasOwn(value, key) ? undefined : (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Paths shared by many conditions (`features.*`, `context.*`, `profile.*`) interned to slots, so a decision
 * reads each once ({@link PathTable.resolve}) instead of once per offer.
 */
export interface PathTable {
  readonly paths: readonly string[];
  /** The slot of a path under one of the table's roots (interning it), or -1. */
  slotOf(path: string): number;
  /** Every interned path read from `document`: pass it to `test(document, resolved)`. */
  resolve(document: unknown): unknown[];
}

/** @example const table = createPathTable(['profile', 'features', 'context']); */
export function createPathTable(roots: readonly string[]): PathTable {
  const paths: string[] = [];
  const compiled: CompiledPath[] = [];
  const slots = new Map<string, number>();
  return {
    paths,
    slotOf(path) {
      const parts = path.split('.');
      if (!roots.includes(parts[0] as string)) return -1;
      let slot = slots.get(path);
      if (slot === undefined) {
        slot = paths.length;
        paths.push(path);
        compiled.push(compilePath(parts));
        slots.set(path, slot);
      }
      return slot;
    },
    resolve(document) {
      const values = new Array<unknown>(compiled.length);
      for (let i = 0; i < compiled.length; i++) {
        try {
          values[i] = readPath(document, compiled[i] as CompiledPath);
        } catch {
          values[i] = undefined; // a getter that throws reads as missing
        }
      }
      return values;
    },
  };
}

/**
 * The test of a path against its ops. The common case — no array on the way — reads the path once (or
 * takes it from `resolved`) and applies the ops to the one value. A path through an array visits each
 * element (arrays nested directly in arrays are not entered, as in MongoDB).
 */
export function createFieldTest(parts: readonly string[], ops: readonly FieldOp[], slot: number): Test {
  const path = compilePath(parts);
  const { indexes } = path;
  const count = parts.length;

  /** Whether any value reached through the path satisfies `leaf`. */
  const some = (start: unknown, from: number, leaf: Test, traverse: boolean): boolean => {
    let value = start;
    for (let i = from; i < count; i++) {
      if (value === null || typeof value !== 'object') return leaf(undefined);
      if (Array.isArray(value)) {
        const index = indexes[i] as number;
        if (index >= 0) {
          value = value[index];
          continue;
        }
        for (let e = 0; e < value.length; e++) {
          const element: unknown = value[e];
          if (!Array.isArray(element) && some(element, i, leaf, traverse)) return true;
        }
        return false;
      }
      const key = parts[i] as string;
      const flat = readKey(value as Record<string, unknown>, path, i);
      if (flat !== undefined) {
        value = flat.value;
        i = flat.last;
        continue;
      }
      value = path.inherited[i] && !Object.hasOwn(value, key) ? undefined : (value as Record<string, unknown>)[key];
    }
    return traverse ? holdsOrAnyElement(leaf, value) : leaf(value);
  };
  const holdsThroughArrays = (list: readonly FieldOp[], document: unknown): boolean => {
    for (let o = 0; o < list.length; o++) {
      const op = list[o] as FieldOp;
      if (op.kind === 'not' ? holdsThroughArrays(op.inner, document) : some(document, 0, op.leaf, op.traverse) === op.negate) return false;
    }
    return true;
  };
  const holdsOn = (list: readonly FieldOp[], value: unknown): boolean => {
    for (let o = 0; o < list.length; o++) {
      const op = list[o] as FieldOp;
      if (op.kind === 'not') {
        if (holdsOn(op.inner, value)) return false;
      } else if ((op.traverse ? holdsOrAnyElement(op.leaf, value) : op.leaf(value)) === op.negate) {
        return false;
      }
    }
    return true;
  };

  const only = ops.length === 1 && ops[0]?.kind === 'leaf' ? ops[0] : undefined;
  return (document, resolved) => {
    const value = slot >= 0 && resolved !== undefined ? resolved[slot] : readPath(document, path);
    if (value === THROUGH_ARRAY) return holdsThroughArrays(ops, document);
    if (only === undefined) return holdsOn(ops, value);
    return (only.traverse ? holdsOrAnyElement(only.leaf, value) : only.leaf(value)) !== only.negate;
  };
}

/**
 * `leaf` on the value, or on any element when it is an array (MongoDB's implicit array traversal).
 * Plain loops, no callbacks: evaluation must not allocate (a closure over `leaf` would, on every call).
 */
export function holdsOrAnyElement(leaf: Test, value: unknown): boolean {
  if (leaf(value)) return true;
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (leaf(value[i])) return true;
  return false;
}
