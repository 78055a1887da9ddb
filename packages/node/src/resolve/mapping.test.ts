import { describe, expect, it } from 'vitest';
import { DEFAULT_DETERMINISTIC, checkColumns, parseDeterministic, parseFieldMap } from './mapping';

describe('parseFieldMap', () => {
  it('takes camelCase or snake_case field names, case-insensitively, over one or more flags', () => {
    const result = parseFieldMap(['first_name=given name,LastName=surname', 'email = Email ,loyalty_id=card']);
    expect(result.ok && [...result.value]).toEqual([
      ['firstName', 'given name'],
      ['lastName', 'surname'],
      ['email', 'Email'],
      ['loyaltyId', 'card'],
    ]);
  });

  it('says which field is unknown and lists the valid ones', () => {
    const result = parseFieldMap(['frist_name=given_name']);
    expect(result).toEqual({ ok: false, message: expect.stringContaining('--map names "frist_name", which is not a Tailor field; valid fields: firstName (first_name), lastName (last_name), email,') });
  });

  it('refuses an entry without "=", an empty column and a field given twice', () => {
    expect(parseFieldMap(['email']).ok).toBe(false);
    expect(parseFieldMap(['email=']).ok).toBe(false);
    expect(parseFieldMap(['email=a,email=b'])).toEqual({ ok: false, message: '--map gives email twice ("a" and "b"); map each field to one column' });
    expect(parseFieldMap([''])).toMatchObject({ ok: false });
  });
});

describe('parseDeterministic', () => {
  it('defaults to person-level identifiers, takes "none", and refuses non-identifiers', () => {
    expect(parseDeterministic(undefined)).toEqual({ ok: true, value: DEFAULT_DETERMINISTIC });
    expect(parseDeterministic('none')).toEqual({ ok: true, value: [] });
    expect(parseDeterministic('email,phone,email')).toEqual({ ok: true, value: ['email', 'phone'] });
    expect(parseDeterministic('first_name')).toMatchObject({ ok: false, message: expect.stringContaining('"first_name", which is not an identifier type') });
  });
});

describe('checkColumns', () => {
  const map = new Map([['firstName', 'given_name'] as const, ['email', 'mail'] as const]);

  it('names every missing column and lists the ones there are', () => {
    expect(checkColumns(['id', 'given_name', 'email'], map, 'id', 'the header of a.csv')).toBe(
      'the header of a.csv has no column "mail" (mapped from email); its columns are: "id", "given_name", "email"',
    );
    expect(checkColumns(['given_name', 'mail'], map, 'id', 'x')).toContain('no column "id" (the id column; choose another with --id-column)');
  });

  it('refuses a mapped column that appears twice', () => {
    expect(checkColumns(['id', 'given_name', 'mail', 'mail'], map, 'id', 'x')).toBe('x has two columns named "mail"; rename one so the mapping is unambiguous');
    expect(checkColumns(['id', 'given_name', 'mail', 'other', 'other'], map, 'id', 'x')).toBeUndefined();
  });
});
