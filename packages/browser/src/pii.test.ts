import { createHash, webcrypto } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashIdentifiers, normalizeEmail, normalizePhone, redact, sha256Hex } from './pii';

// happy-dom may not expose crypto.subtle: the tests pass Node's WebCrypto explicitly.
const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const nodeSha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const brokenSubtle = { digest: () => Promise.reject(new Error('no')) } as unknown as SubtleCrypto;

afterEach(() => vi.unstubAllGlobals());

// The device normalizes exactly as the collector's identity graph (core's normalizeIdentifier), so a digest
// made here equals the graph's key for the same person.
describe('normalizeEmail', () => {
  it.each([
    ['ada@example.com', 'ada@example.com'],
    ['  Ada.Lovelace+shop@Example.CO.UK \n', 'ada.lovelace@example.co.uk'],
    ['first.last+deals@gmail.com', 'firstlast@gmail.com'],
    ['ada@example.com.', 'ada@example.com'],
    ['test@test.com', 'test@test.com'],
    ['', undefined],
    ['ada', undefined],
    ['ada@example', undefined],
    ['@example.com', undefined],
    ['ada@@example.com', undefined],
    ['ada lovelace@example.com', undefined],
    ['ada@example..com', undefined],
    ['ada@.example.com', undefined],
    [`${'a'.repeat(250)}@example.com`, undefined],
  ])('%j → %j', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+44 7911 123456', undefined, '+447911123456'],
    ['+1 (212) 555-1234', undefined, '+12125551234'],
    ['0044 7911.123.456', undefined, '+447911123456'],
    ['07911 123456', '44', '+447911123456'],
    ['07911 123456', '+44', '+447911123456'],
    ['(212) 555-1234', '1', '+12125551234'],
    ['1 212 555 1234', '1', '+12125551234'],
    ['447911123456', '44', '+447911123456'],
    ['+49 30 1234567', '44', '+49301234567'],
    ['447911123456', undefined, undefined], // national or not? without a country code it is not guessed
    ['07911 123456', undefined, undefined],
    ['07911 123456', 'uk', undefined],
    ['+44 7911 ext 12', undefined, undefined],
    ['+0 1234 5678', undefined, undefined],
    ['+1234567', undefined, undefined],
    ['+12345678', undefined, '+12345678'],
    ['+123456789012345', undefined, '+123456789012345'],
    ['+1234567890123456', undefined, undefined],
    ['+44+7911123456', undefined, undefined],
    ['', '44', undefined],
  ])('%j with %j → %j', (input, country, expected) => {
    expect(normalizePhone(input, country)).toBe(expected);
  });
});

describe('sha256Hex', () => {
  it('hashes a known string', async () => {
    expect(await sha256Hex('abc', subtle)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the UTF-8 bytes', async () => {
    for (const text of ['', 'é', 'ada@example.com', '日本語 🛒']) {
      expect(await sha256Hex(text, subtle)).toBe(nodeSha256(text));
    }
  });

  it('uses globalThis.crypto.subtle at call time', async () => {
    vi.stubGlobal('crypto', { subtle });
    expect(await sha256Hex('abc')).toBe(nodeSha256('abc'));
  });

  it('resolves undefined without WebCrypto or when it fails', async () => {
    vi.stubGlobal('crypto', undefined);
    expect(await sha256Hex('abc')).toBeUndefined();
    vi.stubGlobal('crypto', {});
    expect(await sha256Hex('abc')).toBeUndefined();
    expect(await sha256Hex('abc', brokenSubtle)).toBeUndefined();
  });
});

describe('hashIdentifiers', () => {
  it('replaces email and phone by the hash of their normalized form, keeping other traits', async () => {
    const traits = { email: ' Ada@Example.com ', phone: '07911 123456', name: 'Ada', nested: { email: 'x@y.z' } };
    const hashed = await hashIdentifiers(traits, { email: true, phone: true, defaultCountryCode: '44', subtle });
    expect(hashed).toEqual({
      email: nodeSha256('ada@example.com'),
      phone: nodeSha256('+447911123456'),
      name: 'Ada',
      nested: { email: 'x@y.z' },
    });
    expect(traits.email).toBe(' Ada@Example.com ');
  });

  it('hashes only what was asked', async () => {
    const hashed = await hashIdentifiers({ email: 'ada@example.com', phone: '+447911123456' }, { phone: true, subtle });
    expect(hashed).toEqual({ email: 'ada@example.com', phone: nodeSha256('+447911123456') });
  });

  it('accepts a phone given as a number and keeps a value that already is a SHA-256 hex', async () => {
    const prehashed = nodeSha256('ada@example.com');
    const traits = { email: prehashed, phone: 447911123456 };
    const hashed = await hashIdentifiers(traits, { email: true, phone: true, defaultCountryCode: '44', subtle });
    expect(hashed).toEqual({ email: prehashed, phone: nodeSha256('+447911123456') });
  });

  it('drops a value that does not normalize instead of sending it in clear', async () => {
    const hashed = await hashIdentifiers(
      { email: 'not an email', phone: '12', other: 1 },
      { email: true, phone: true, subtle },
    );
    expect(hashed).toEqual({ other: 1 });
    expect(await hashIdentifiers({ email: { address: 'a@b.co' } }, { email: true, subtle })).toEqual({});
  });

  it('drops the values when WebCrypto is missing', async () => {
    vi.stubGlobal('crypto', undefined);
    const traits = { email: 'ada@example.com', phone: '+447911123456', plan: 'gold' };
    expect(await hashIdentifiers(traits, { email: true, phone: true })).toEqual({ plan: 'gold' });
    expect(await hashIdentifiers(traits, { email: true, subtle: brokenSubtle })).toEqual({
      phone: '+447911123456',
      plan: 'gold',
    });
  });

  it('leaves traits without those keys as they are', async () => {
    expect(await hashIdentifiers({ plan: 'gold' }, { email: true, phone: true, subtle })).toEqual({ plan: 'gold' });
  });
});

describe('redact', () => {
  it('removes denied keys at any depth, inside arrays too, without changing the input', () => {
    const input = {
      email: 'a@b.co',
      order: { id: 'o1', products: [{ sku: 's1', email: 'x' }, [{ email: 'y', qty: 2 }], 'plain', null] },
      keep: [1, 2],
    };
    const before = structuredClone(input);
    expect(redact(input, ['email'])).toEqual({
      order: { id: 'o1', products: [{ sku: 's1' }, [{ qty: 2 }], 'plain', null] },
      keep: [1, 2],
    });
    expect(input).toEqual(before);
  });

  it('matches RegExp keys, /g patterns included, and strings exactly', () => {
    // `Phone` right after `phone`: a /g pattern's lastIndex must not make the second one slip through.
    const input = { Email: 1, email_hash: 2, phone: 3, Phone: 8, phoneme: 4, a: { PHONE: 5, b: { phone_2: 6 } } };
    expect(redact(input, [/^e-?mail/i, /^phone$/gi, 'phone_2'])).toEqual({ phoneme: 4, a: { b: {} } });
  });

  it('copies __proto__ keys as plain properties and never pollutes a prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"polluted": 1}, "x": 1}}');
    const out = redact(input, ['x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.keys(out.a as object)).toEqual(['__proto__']);
    expect(redact(input, ['__proto__'])).toEqual({ a: { x: 1 } });
  });

  it('does not overflow on deep input: objects deeper than 32 levels are dropped', () => {
    const root: Record<string, unknown> = {};
    let node = root;
    for (let i = 0; i < 1000; i++) node = node.child = { level: i + 1 };
    const out = redact(root, []);
    let depth = 0;
    let cursor = out;
    while (cursor.child !== undefined) {
      cursor = cursor.child as Record<string, unknown>;
      depth++;
    }
    expect(depth).toBe(32);
    expect(cursor).toEqual({ level: 32 });
  });

  it('copies shared objects once and keeps cycles bounded', () => {
    const shared = { email: 'x', id: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const out = redact(cyclic, ['email']);
    expect(out.shared).toEqual({ id: 1 });
    expect(out.again).toBe(out.shared);
    expect(out.self).toBe(out);
  });

  it('copies the JSON view of values with toJSON', () => {
    const when = new Date('2026-01-02T03:04:05.000Z');
    expect(redact({ when, custom: { toJSON: () => ({ email: 'x', ok: true }) } }, ['email'])).toEqual({
      when: '2026-01-02T03:04:05.000Z',
      custom: { ok: true },
    });
  });
});
