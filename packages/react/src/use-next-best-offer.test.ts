import { describe, expect, it } from 'vitest';
import { stableKey } from './use-next-best-offer';

describe('stableKey', () => {
  it('ignores key order and undefined members, at every depth', () => {
    expect(stableKey({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(stableKey({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });

  it('tells different values apart', () => {
    const keys = [{ a: 1 }, { a: '1' }, { a: [1] }, { a: null }, {}, [], 'a', 1, null].map(stableKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
