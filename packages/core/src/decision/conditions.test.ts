import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPathTable } from './condition-paths';
import { CONDITION_LIMITS, compileCondition, type CompiledCondition } from './conditions';

// Operator semantics are in spec/decision/conditions.v1.json; these tests cover what JSON cases cannot.

function compiled(condition: unknown, table?: ReturnType<typeof createPathTable>): CompiledCondition {
  const result = compileCondition(condition, table ? { table } : {});
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result;
}

describe('compileCondition', () => {
  it('lists every path read from the root, once, including those inside logic', () => {
    const condition = compiled({
      'context.channel': 'web',
      $or: [{ 'features.aov': { $gt: 5 } }, { $not: { 'profile.traits.tier': 'gold' } }],
      'profile.traits.orders': { $elemMatch: { sku: 'A', qty: { $gt: 1 } } },
      $and: [{ 'context.channel': { $ne: 'pos' } }],
    });
    expect(condition.paths).toEqual(['context.channel', 'features.aov', 'profile.traits.tier', 'profile.traits.orders']);
  });

  it('never throws while testing: a throwing getter or a cyclic value does not match', () => {
    const throwing = { get context() { throw new Error('boom'); } };
    expect(compiled({ 'context.channel': 'web' }).test(throwing)).toBe(false);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const deep: Record<string, unknown> = { a: 1 };
    deep.self = deep;
    expect(compiled({ value: deep }).test({ value: cyclic })).toBe(false);
    for (const document of [undefined, null, 42, 'text', [], [[1]]]) expect(compiled({ 'a.b': { $exists: false } }).test(document)).toBe(true);
  });

  it('accepts patterns with one level of quantifiers and refuses nested ones', () => {
    const safe = ['^/(home|category)/', '(ab)+', '(a|b)*c', '[(a+)+]', '\\(a+\\)+', '^\\d{3,5}$', '(?:x)?y+', '(a)(b+)'];
    const unsafe = ['(a*)*', '(?:a+){2,}', '((ab)+)+', '(a|b+)+', '(\\w+\\s?)*$', '(x+y){10}'];
    for (const pattern of safe) expect(compileCondition({ q: { $regex: pattern } }).ok, pattern).toBe(true);
    for (const pattern of unsafe) {
      const result = compileCondition({ q: { $regex: pattern } });
      expect(result.ok ? [] : result.issues.map((issue) => issue.code), pattern).toEqual(['unsafe_regex']);
    }
  });

  it('refuses conditions nested deeper than the limit', () => {
    let condition: Record<string, unknown> = { a: 1 };
    for (let i = 0; i <= CONDITION_LIMITS.maxDepth; i++) condition = { $and: [condition] };
    const result = compileCondition(condition);
    expect(result.ok ? [] : result.issues.map((issue) => issue.code)).toEqual(['invalid_condition']);
  });

  it('reports every issue of a condition, not only the first', () => {
    const result = compileCondition({ a: { $foo: 1 }, b: { $in: 3 }, $or: [] });
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['a.$foo', 'b.$in', '$or']);
  });
});

describe('createPathTable', () => {
  it('interns only paths under its roots, once each', () => {
    const table = createPathTable(['context', 'features']);
    compiled({ 'context.page.path': { $regex: '^/' }, 'offer.value': { $gt: 1 } }, table);
    compiled({ 'context.page.path': '/x', 'features.aov': 2 }, table);
    expect(table.paths).toEqual(['context.page.path', 'features.aov']);
  });

  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(0, 1, 2, 'a', 'b', true, null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'c', '0'), tie('value'), { maxKeys: 3 }),
    ),
  })).value;
  const path = fc.array(fc.constantFrom('a', 'b', 'c', '0', '1'), { minLength: 1, maxLength: 3 }).map((parts) => `context.${parts.join('.')}`);
  const operand = fc.oneof(
    fc.constantFrom(0, 1, 'a', true, null),
    fc.record({ $gt: fc.constantFrom(0, 1, 'a') }),
    fc.record({ $in: fc.array(fc.constantFrom(0, 1, 'a', null), { maxLength: 3 }) }),
    fc.record({ $exists: fc.boolean() }),
    fc.record({ $ne: fc.constantFrom(0, 'a', null) }),
    fc.record({ $size: fc.constantFrom(0, 1, 2) }),
    fc.record({ $not: fc.record({ $lt: fc.constantFrom(1, 'b') }) }),
    fc.record({ $elemMatch: fc.record({ $gte: fc.constantFrom(0, 1) }) }),
  );

  it('gives the same answers from resolved paths as from reading the document', () => {
    fc.assert(
      fc.property(fc.dictionary(path, operand, { minKeys: 1, maxKeys: 3 }), json, (condition, context) => {
        const table = createPathTable(['context']);
        const withTable = compiled(condition, table);
        const without = compiled(condition);
        const document = { context };
        expect(withTable.test(document, table.resolve(document))).toBe(without.test(document));
      }),
    );
  });
});
