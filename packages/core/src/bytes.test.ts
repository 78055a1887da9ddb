import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectJson, jsonSizeUpperBound, utf8ByteLength } from './bytes';

describe('utf8ByteLength', () => {
  it('matches Buffer.byteLength for any string, lone surrogates included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => {
      expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }), { numRuns: 2_000 });
  });

  it('counts 1, 2, 3 and 4 byte characters', () => {
    expect(utf8ByteLength('a')).toBe(1);
    expect(utf8ByteLength('é')).toBe(2);
    expect(utf8ByteLength('€')).toBe(3);
    expect(utf8ByteLength('🛒')).toBe(4);
    expect(utf8ByteLength('\ud83d')).toBe(3);
  });
});

describe('jsonSizeUpperBound', () => {
  it('is never below the real UTF-8 size of the JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const real = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
        expect(jsonSizeUpperBound(value, Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(real);
      }),
      { numRuns: 2_000 },
    );
  });

  it('stops early once past the limit and survives deep nesting', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonSizeUpperBound(deep, Number.POSITIVE_INFINITY)).toBeGreaterThan(100_000);
    expect(jsonSizeUpperBound({ a: 'x'.repeat(1_000_000) }, 100)).toBeGreaterThan(100);
  });
});

describe('inspectJson', () => {
  it('reports nesting depth and stops past the depth limit', () => {
    expect(inspectJson({ a: 1 }, Number.POSITIVE_INFINITY).depth).toBe(1);
    expect(inspectJson({ a: [{ b: 1 }] }, Number.POSITIVE_INFINITY).depth).toBe(3);
    expect(inspectJson('x', Number.POSITIVE_INFINITY).depth).toBe(0);
    let deep: unknown = 1;
    for (let i = 0; i < 1_000; i++) deep = { a: deep };
    expect(inspectJson(deep, Number.POSITIVE_INFINITY, 32).depth).toBe(33);
  });
});
