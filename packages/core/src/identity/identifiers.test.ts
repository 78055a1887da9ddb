import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMAIL_PROVIDERS, createIdentifierNormalizer, identifierKey, isIdentifierRejection, normalizeIdentifier, parseIdentifier } from './identifiers';

describe('normalizeIdentifier: email', () => {
  it.each([
    [' Ann.Lee+promo@GMail.com ', 'annlee@gmail.com'],
    ['a.n.n.lee@googlemail.com', 'annlee@gmail.com'],
    ['bob+shop@hotmail.com', 'bob@hotmail.com'],
    ['b.ob+x@outlook.com', 'b.ob@outlook.com'],
    ['Carol+news@Example.ORG', 'carol@example.org'],
    ['dave@example.org.', 'dave@example.org'],
  ])('%j → %j', (raw, normalized) => {
    expect(normalizeIdentifier('email', raw)).toBe(normalized);
  });

  it.each(['no-at-sign', '@example.org', 'ann@localhost', 'ann smith@example.org', '+tag@gmail.com'])('rejects %j', (raw) => {
    expect(normalizeIdentifier('email', raw)).toMatchObject({ rejected: 'invalid_email' });
  });

  it('takes a provider table: a domain that keeps plus tags', () => {
    const normalize = createIdentifierNormalizer({ emailProviders: { ...DEFAULT_EMAIL_PROVIDERS, 'tags.example': {} } });
    expect(normalize('email', 'ann+1@tags.example')).toBe('ann+1@tags.example');
    expect(normalize('email', 'ann+1@other.example')).toBe('ann@other.example');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const once = normalizeIdentifier('email', email);
        if (typeof once === 'string') expect(normalizeIdentifier('email', once)).toBe(once);
      }),
    );
  });
});

describe('normalizeIdentifier: phone', () => {
  it.each([
    ['+44 20 7946 0018', undefined, '+442079460018'],
    ['0044 20 7946 0018', undefined, '+442079460018'],
    ['020 7946 0018', '44', '+442079460018'],
    ['(415) 555-0100', '1', '+14155550100'],
    ['1 415 555 0100', '1', '+14155550100'],
    ['06 12 34 56 78', '+33', '+33612345678'],
  ])('%j (country %s) → %j', (raw, country, e164) => {
    expect(normalizeIdentifier('phone', raw, country === undefined ? {} : { defaultCountryCode: country })).toBe(e164);
  });

  it('rejects national numbers without a default country, letters, and wrong lengths', () => {
    expect(normalizeIdentifier('phone', '020 7946 0018')).toMatchObject({ rejected: 'invalid_phone' });
    expect(normalizeIdentifier('phone', '+1 800 FLOWERS')).toMatchObject({ rejected: 'invalid_phone' });
    expect(normalizeIdentifier('phone', '+123')).toMatchObject({ rejected: 'invalid_phone' });
    expect(normalizeIdentifier('phone', '+1234567890123456')).toMatchObject({ rejected: 'invalid_phone' });
  });

  it('always yields + and 8–15 digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?[\d ()-]{0,20}$/), (raw) => {
        const result = normalizeIdentifier('phone', raw, { defaultCountryCode: '49' });
        if (typeof result === 'string') expect(result).toMatch(/^\+[1-9]\d{7,14}$/);
      }),
    );
  });
});

describe('normalizeIdentifier: ids and blocked values', () => {
  it('trims ids and keeps their case', () => {
    expect(normalizeIdentifier('userId', '  U-42 ')).toBe('U-42');
    expect(normalizeIdentifier('custom:crmId', 'AbC')).toBe('AbC');
  });

  it.each([
    ['userId', ''],
    ['userId', '   '],
  ] as const)('rejects empty %s', (type, raw) => {
    expect(normalizeIdentifier(type, raw)).toEqual({ rejected: 'empty' });
  });

  it.each([
    ['userId', 'undefined'],
    ['userId', 'NULL'],
    ['anonymousId', 'anonymous'],
    ['userId', '[object Object]'],
    ['loyaltyId', '0000000'],
    ['loyaltyId', '123456'],
    ['email', 'Test@Test.com'],
    ['email', 'no-reply@shop.example'],
    ['email', 'no.reply@gmail.com'],
    ['phone', '+1 000 000 0000'],
    ['phone', '+44 0000 000000'],
  ] as const)('blocks %s %j', (type, raw) => {
    expect(normalizeIdentifier(type, raw)).toMatchObject({ rejected: 'blocked' });
  });

  it('takes its own blocked list, exact values case-insensitively', () => {
    const normalize = createIdentifierNormalizer({ blocked: ['WALK-IN'] });
    expect(normalize('posCustomerId', 'walk-in')).toMatchObject({ rejected: 'blocked' });
    expect(normalize('userId', 'undefined')).toBe('undefined');
  });

  it('rejects over-long values and unknown types', () => {
    expect(normalizeIdentifier('userId', 'x'.repeat(1025))).toEqual({ rejected: 'too_long' });
    expect(normalizeIdentifier('customerNumber' as never, '1')).toEqual({ rejected: 'invalid_type' });
  });

  it('hashes after normalizing and after the blocked check', () => {
    const hash = (text: string) => `h(${text})`;
    expect(normalizeIdentifier('email', 'A.nn@gmail.com', { hash })).toBe('h(ann@gmail.com)');
    expect(normalizeIdentifier('email', 'test@test.com', { hash })).toMatchObject({ rejected: 'blocked' });
  });

  it('says which rule blocked a value without repeating the value', () => {
    const result = normalizeIdentifier('email', 'noreply@secret.example');
    expect(isIdentifierRejection(result) && result.detail).not.toContain('secret');
  });
});

describe('identifier keys', () => {
  it('round-trips built-in and custom types', () => {
    expect(parseIdentifier('email:ann@x.com')).toEqual({ type: 'email', value: 'ann@x.com' });
    expect(parseIdentifier('custom:crm:42:a')).toEqual({ type: 'custom:crm', value: '42:a' });
    expect(parseIdentifier({ type: 'userId', value: 'u1' })).toEqual({ type: 'userId', value: 'u1' });
    expect(parseIdentifier(identifierKey('custom:shop', 'x:y'))).toEqual({ type: 'custom:shop', value: 'x:y' });
  });

  it('rejects unknown types and keys without a value separator', () => {
    expect(parseIdentifier('nickname:ann')).toBeUndefined();
    expect(parseIdentifier('userId')).toBeUndefined();
    expect(parseIdentifier('custom:crm')).toBeUndefined();
    expect(parseIdentifier('custom:bad name:1')).toBeUndefined();
  });
});

describe('normalizeIdentifier: device-hashed values and national phones', () => {
  it('keeps a SHA-256 hex email or phone as it is (hashed on the device with the same normalization)', () => {
    const digest = 'a'.repeat(64);
    expect(normalizeIdentifier('email', digest)).toBe(digest);
    expect(normalizeIdentifier('phone', digest, { hash: () => 'rehashed' })).toBe(digest);
    // Only email and phone: other types are ids, hashed (when asked) like any other value.
    expect(normalizeIdentifier('userId', '3f'.repeat(32), { hash: () => 'hashed' })).toBe('hashed');
  });

  it('reads a number written with its country code but no + as international, and ignores a bad country code', () => {
    expect(normalizeIdentifier('phone', '447911123456', { defaultCountryCode: '44' })).toBe('+447911123456');
    expect(normalizeIdentifier('phone', '14155550100', { defaultCountryCode: '1' })).toBe('+14155550100');
    expect(normalizeIdentifier('phone', '7911 123456', { defaultCountryCode: '44' })).toBe('+447911123456');
    expect(normalizeIdentifier('phone', '07911 123456', { defaultCountryCode: 'uk' })).toMatchObject({ rejected: 'invalid_phone' });
  });

  it('refuses emails with two @ or empty domain labels', () => {
    for (const email of ['ada@@example.com', 'ada@example..com', 'ada@.example.com', 'a@b@example.com']) {
      expect(normalizeIdentifier('email', email)).toMatchObject({ rejected: 'invalid_email' });
    }
  });
});
