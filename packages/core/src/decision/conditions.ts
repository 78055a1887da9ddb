import { createFieldTest, holdsOrAnyElement, leafOp, type FieldOp, type PathTable, type Test } from './condition-paths';

/**
 * A rule in MongoDB query syntax, e.g. `{ "context.channel": "web", "features.orders_90d": { "$gte": 2 } }`.
 * Paths use dots, numeric parts index arrays, and a path through an array looks inside every element, as
 * in MongoDB: `{ "profile.traits.tags": "vip" }` matches when the tags array contains "vip".
 */
export type Condition = { readonly [key: string]: unknown };

/**
 * A problem with a condition, found when it is compiled. `path` is relative to the condition, with field
 * keys as written (dots included) and `[n]` for array members: `$or[1].features.aov.$gtx`.
 */
export interface ConditionIssue {
  readonly path: string;
  readonly code: 'invalid_condition' | 'unknown_operator' | 'invalid_operand' | 'invalid_regex' | 'unsafe_regex';
  readonly message: string;
}

/**
 * A compiled condition: `test` never throws (a document that cannot be read does not match). Pass
 * `resolved` (from the {@link PathTable} the condition was compiled with) to skip reading shared paths.
 */
export interface CompiledCondition {
  readonly test: (document: unknown, resolved?: readonly unknown[]) => boolean;
  /** Every path the condition reads from the document root, e.g. `context.page.path`. */
  readonly paths: readonly string[];
}

export type CompileConditionResult =
  | ({ readonly ok: true } & CompiledCondition)
  | { readonly ok: false; readonly issues: readonly ConditionIssue[] };

/**
 * Guards against regular expressions that take exponential or polynomial time. Patterns are authored
 * by the retailer, but the subject strings come from shoppers (page paths, search terms).
 */
export const CONDITION_LIMITS = Object.freeze({
  /** Longest `$regex` pattern, in characters. */
  maxRegexLength: 256,
  /** A string longer than this never matches a `$regex` (so `$not: { $regex }` matches it). */
  maxRegexSubjectLength: 2048,
  /** Deepest nesting of `$and`/`$or`/`$nor`/`$not`/`$elemMatch`. */
  maxDepth: 16,
});

type Path = readonly PropertyKey[];

const FIELD_OPERATORS = new Set([
  '$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$regex', '$options', '$elemMatch', '$size', '$all', '$not',
]);

class Compiler {
  readonly issues: ConditionIssue[] = [];
  readonly table: PathTable | undefined;

  constructor(table: PathTable | undefined) {
    this.table = table;
  }

  fail(path: Path, code: ConditionIssue['code'], message: string): Test {
    this.issues.push({ path: formatConditionPath(path), code, message });
    return never;
  }

  /** A query object: every key must hold (an implicit `$and`). `paths` collects root paths when given. */
  query(query: unknown, path: Path, depth: number, paths: string[] | undefined): Test {
    if (!isPlainObject(query)) return this.fail(path, 'invalid_condition', 'a condition must be an object of fields and operators');
    if (depth > CONDITION_LIMITS.maxDepth) return this.fail(path, 'invalid_condition', `conditions may nest at most ${CONDITION_LIMITS.maxDepth} levels`);
    const tests: Test[] = [];
    for (const [key, operand] of Object.entries(query)) {
      const at = [...path, key];
      if (key === '$and' || key === '$or' || key === '$nor') {
        if (!Array.isArray(operand) || operand.length === 0) {
          tests.push(this.fail(at, 'invalid_operand', `${key} takes a non-empty array of conditions`));
          continue;
        }
        const parts = operand.map((inner, index) => this.query(inner, [...at, index], depth + 1, paths));
        tests.push(key === '$and' ? allOf(parts) : key === '$or' ? anyOf(parts) : not(anyOf(parts)));
      } else if (key === '$not') {
        tests.push(not(this.query(operand, at, depth + 1, paths)));
      } else if (key.startsWith('$')) {
        tests.push(this.fail(at, 'unknown_operator', `unknown operator "${key}" (top-level operators: $and, $or, $nor, $not)`));
      } else {
        // Only root-level queries collect paths; an $elemMatch query's paths are relative to an element.
        paths?.push(key);
        const slot = paths && this.table ? this.table.slotOf(key) : -1;
        tests.push(createFieldTest(key.split('.'), this.operators(operand, at, depth, true), slot));
      }
    }
    return allOf(tests);
  }

  /** What an operand asks of the value at a path, as a list that must all hold. */
  operators(operand: unknown, path: Path, depth: number, traverse: boolean): FieldOp[] {
    if (!isOperatorObject(operand)) return [leafOp(equalsTest(operand), traverse, false)];
    const ops: FieldOp[] = [];
    const record = operand as Record<string, unknown>;
    const invalid = (at: Path, code: ConditionIssue['code'], message: string) => {
      this.fail(at, code, message);
      ops.push(leafOp(never, false, false));
    };
    for (const [op, value] of Object.entries(record)) {
      const at = [...path, op];
      if (!op.startsWith('$')) {
        invalid(at, 'invalid_condition', 'do not mix operators and field names in one object');
        continue;
      }
      switch (op) {
        case '$eq':
        case '$ne':
          ops.push(leafOp(equalsTest(value), traverse, op === '$ne'));
          break;
        case '$in':
        case '$nin':
          if (Array.isArray(value)) ops.push(leafOp(memberTest(value), traverse, op === '$nin'));
          else invalid(at, 'invalid_operand', `${op} takes an array of values`);
          break;
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte':
          if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) ops.push(leafOp(compareTest(op, value), traverse, false));
          else invalid(at, 'invalid_operand', `${op} takes a finite number or a string`);
          break;
        case '$exists':
          if (typeof value === 'boolean') ops.push(leafOp(isDefined, false, !value));
          else invalid(at, 'invalid_operand', '$exists takes true or false');
          break;
        case '$regex': {
          const regex = this.regex(value, record.$options, at, [...path, '$options']);
          ops.push(leafOp(regex ?? never, traverse, false));
          break;
        }
        case '$options':
          if (!('$regex' in record)) invalid(at, 'invalid_operand', '$options needs a $regex beside it');
          break;
        case '$size':
          if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
            ops.push(leafOp((candidate) => Array.isArray(candidate) && candidate.length === value, false, false));
          } else invalid(at, 'invalid_operand', '$size takes an integer ≥ 0');
          break;
        case '$all':
          if (Array.isArray(value) && value.length > 0) {
            const wanted = value.map(equalsTest);
            const all: Test = (candidate) => {
              for (let i = 0; i < wanted.length; i++) if (!holdsOrAnyElement(wanted[i] as Test, candidate)) return false;
              return true;
            };
            ops.push(leafOp(all, false, false));
          } else invalid(at, 'invalid_operand', '$all takes a non-empty array of values');
          break;
        case '$elemMatch': {
          const element = this.elementMatch(value, at, depth + 1);
          const some: Test = (candidate) => {
            if (!Array.isArray(candidate)) return false;
            for (let i = 0; i < candidate.length; i++) if (element(candidate[i])) return true;
            return false;
          };
          ops.push(leafOp(some, false, false));
          break;
        }
        case '$not':
          if (!isOperatorObject(value)) invalid(at, 'invalid_operand', '$not takes an object of operators, e.g. { "$not": { "$gt": 5 } }');
          else if (depth + 1 > CONDITION_LIMITS.maxDepth) invalid(at, 'invalid_condition', `conditions may nest at most ${CONDITION_LIMITS.maxDepth} levels`);
          else ops.push({ kind: 'not', inner: this.operators(value, at, depth + 1, traverse) });
          break;
        default:
          invalid(at, 'unknown_operator', `unknown operator "${op}" (supported: ${[...FIELD_OPERATORS].join(' ')})`);
      }
    }
    return ops;
  }

  /** `$elemMatch` takes operators that apply to each element, or a query over object elements. */
  elementMatch(value: unknown, path: Path, depth: number): Test {
    if (!isPlainObject(value) || Object.keys(value).length === 0) {
      return this.fail(path, 'invalid_operand', '$elemMatch takes a non-empty object');
    }
    if (depth > CONDITION_LIMITS.maxDepth) return this.fail(path, 'invalid_condition', `conditions may nest at most ${CONDITION_LIMITS.maxDepth} levels`);
    if (Object.keys(value).every((key) => FIELD_OPERATORS.has(key))) return createFieldTest([], this.operators(value, path, depth, false), -1);
    return this.query(value, path, depth, undefined);
  }

  regex(pattern: unknown, options: unknown, path: Path, optionsPath: Path): Test | undefined {
    if (typeof pattern !== 'string') {
      this.fail(path, 'invalid_operand', '$regex takes a string pattern');
      return undefined;
    }
    if (pattern.length > CONDITION_LIMITS.maxRegexLength) {
      this.fail(path, 'unsafe_regex', `$regex patterns may be at most ${CONDITION_LIMITS.maxRegexLength} characters`);
      return undefined;
    }
    if (options !== undefined && (typeof options !== 'string' || !/^[imsu]*$/.test(options))) {
      this.fail(optionsPath, 'invalid_operand', '$options takes any of the flags "i", "m", "s", "u"');
      return undefined;
    }
    if (hasNestedQuantifier(pattern)) {
      this.fail(path, 'unsafe_regex', 'a quantified group contains a quantifier (e.g. "(a+)+"), which can take exponential time');
      return undefined;
    }
    let regex: RegExp;
    try {
      regex = new RegExp(pattern, options ?? '');
    } catch (error) {
      this.fail(path, 'invalid_regex', `not a valid regular expression: ${(error as Error).message}`);
      return undefined;
    }
    const max = CONDITION_LIMITS.maxRegexSubjectLength;
    return (candidate) => typeof candidate === 'string' && candidate.length <= max && regex.test(candidate);
  }
}

/**
 * Compiles a condition once, so evaluating it does no parsing. Unknown operators, wrong operand types and
 * invalid or unsafe regular expressions are reported as issues with their path.
 *
 * @example
 * const result = compileCondition({ 'context.page.path': { $regex: '^/checkout' }, 'features.orders_90d': { $gte: 1 } });
 * if (result.ok) result.test({ context: { page: { path: '/checkout/pay' } }, features: { orders_90d: 2 } }); // true
 */
export function compileCondition(condition: unknown, options: { readonly table?: PathTable } = {}): CompileConditionResult {
  const compiler = new Compiler(options.table);
  const paths: string[] = [];
  const root = compiler.query(condition, [], 0, paths);
  if (compiler.issues.length > 0) return { ok: false, issues: compiler.issues };
  const test = (document: unknown, resolved?: readonly unknown[]): boolean => {
    try {
      return root(document, resolved);
    } catch {
      return false; // a getter that throws, or a cyclic value in a deep comparison: no match
    }
  };
  return { ok: true, test, paths: [...new Set(paths)] };
}

function equalsTest(expected: unknown): Test {
  if (expected === null || expected === undefined) return (value) => value === null || value === undefined;
  if (typeof expected !== 'object') return (value) => value === expected;
  return (value) => deepEqual(value, expected);
}

function memberTest(values: readonly unknown[]): Test {
  const primitives = new Set<unknown>();
  const objects: unknown[] = [];
  for (const value of values) {
    if (value !== null && typeof value === 'object') objects.push(value);
    else primitives.add(value);
  }
  if (primitives.has(null)) primitives.add(undefined); // as in MongoDB, $in [null] matches a missing field
  if (objects.length === 0 && primitives.size <= 8) {
    const list = [...primitives]; // a short scan beats hashing the string
    return (value) => list.includes(value);
  }
  if (objects.length === 0) return (value) => primitives.has(value);
  return (value) => primitives.has(value) || objects.some((object) => deepEqual(value, object));
}

/** Numbers compare with numbers and strings with strings; anything else never matches. */
function compareTest(op: '$gt' | '$gte' | '$lt' | '$lte', bound: number | string): Test {
  const type = typeof bound;
  switch (op) {
    case '$gt':
      return (value) => typeof value === type && (value as number) > (bound as number);
    case '$gte':
      return (value) => typeof value === type && (value as number) >= (bound as number);
    case '$lt':
      return (value) => typeof value === type && (value as number) < (bound as number);
    case '$lte':
      return (value) => typeof value === type && (value as number) <= (bound as number);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/**
 * True when a quantified group contains a quantifier (`(a+)+`, `(\d*x)*`, `(a|b+){2,}`): star height above
 * one, the usual shape of catastrophic backtracking. Escapes and character classes are skipped.
 */
function hasNestedQuantifier(pattern: string): boolean {
  const stack: boolean[] = []; // per open group: does it contain a quantifier?
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') inClass = true;
    else if (char === '(') stack.push(false);
    else if (char === ')') {
      const quantified = stack.pop() ?? false;
      const next = pattern.slice(i + 1);
      const repeated = /^(?:[*+]|\{\d*,\d*\}|\{\d{2,}\}|\{[2-9]\})/.test(next);
      if (quantified && repeated) return true;
      if ((quantified || repeated) && stack.length > 0) stack[stack.length - 1] = true;
    } else if ((char === '*' || char === '+' || char === '{') && stack.length > 0) {
      stack[stack.length - 1] = true;
    }
  }
  return false;
}

/** `['$or', 1, 'context.page.path', '$regex']` → `$or[1].context.page.path.$regex`: field keys keep their dots. */
function formatConditionPath(path: Path): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isOperatorObject(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.some((key) => key.startsWith('$'));
}

function isDefined(value: unknown): boolean {
  return value !== undefined;
}

function never(): boolean {
  return false;
}

function not(test: Test): Test {
  return (value, resolved) => !test(value, resolved);
}

function allOf(tests: readonly Test[]): Test {
  if (tests.length === 1) return tests[0] as Test;
  if (tests.length === 2) {
    const [a, b] = tests as [Test, Test];
    return (value, resolved) => a(value, resolved) && b(value, resolved);
  }
  return (value, resolved) => {
    // Indexed loops: the evaluation paths allocate nothing (an iterator here escapes into the calls).
    for (let i = 0; i < tests.length; i++) if (!(tests[i] as Test)(value, resolved)) return false;
    return true;
  };
}

function anyOf(tests: readonly Test[]): Test {
  if (tests.length === 1) return tests[0] as Test;
  return (value, resolved) => {
    for (let i = 0; i < tests.length; i++) if ((tests[i] as Test)(value, resolved)) return true;
    return false;
  };
}

/**
 * `matches(condition, doc)` for experiment targeting: each distinct condition object is compiled once and
 * kept (configs are few and long-lived); one that does not compile matches nobody.
 *
 * @example
 * const matches = createConditionMatcher();
 * assignExperiments(experiments, units, { matches, doc: { context } });
 */
export function createConditionMatcher(): (condition: unknown, doc: unknown) => boolean {
  const tests = new Map<unknown, (doc: unknown) => boolean>();
  return (condition, doc) => {
    let test = tests.get(condition);
    if (test === undefined) {
      const compiled = compileCondition(condition);
      test = compiled.ok ? (value: unknown) => compiled.test(value) : () => false;
      tests.set(condition, test);
    }
    return test(doc);
  };
}
