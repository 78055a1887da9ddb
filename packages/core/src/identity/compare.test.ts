import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalFirstName,
  isDayMonthSwap,
  isKnownFirstName,
  isNicknameMatch,
  isSingleTypo,
  jaro,
  jaroWinkler,
  levenshtein,
  nameForms,
  normalizeAddress,
  normalizeDateOfBirth,
  normalizeEmail,
  normalizeName,
  normalizePhone,
  normalizePostcode,
  phoneTail,
  soundex,
} from './compare';

describe('jaro and jaroWinkler', () => {
  it('give the published values', () => {
    expect(jaro('MARTHA', 'MARHTA')).toBeCloseTo(0.9444, 4);
    expect(jaroWinkler('MARTHA', 'MARHTA')).toBeCloseTo(0.9611, 4);
    expect(jaro('DWAYNE', 'DUANE')).toBeCloseTo(0.8222, 4);
    expect(jaroWinkler('DWAYNE', 'DUANE')).toBeCloseTo(0.84, 4);
    expect(jaro('DIXON', 'DICKSONX')).toBeCloseTo(0.7667, 4);
    expect(jaroWinkler('DIXON', 'DICKSONX')).toBeCloseTo(0.8133, 4);
  });

  it('handles identical, empty and disjoint strings', () => {
    expect(jaroWinkler('smith', 'smith')).toBe(1);
    expect(jaro('', '')).toBe(1);
    expect(jaro('abc', '')).toBe(0);
    expect(jaro('abc', 'xyz')).toBe(0);
  });

  it('adds no prefix bonus at or below the boost threshold', () => {
    const j = jaro('abcdef', 'abxxxx');
    expect(j).toBeLessThanOrEqual(0.7);
    expect(jaroWinkler('abcdef', 'abxxxx')).toBe(j);
  });

  /** Textbook Jaro with flag arrays and the window sized from the longer string, as the reference. */
  function referenceJaro(a: string, b: string): number {
    if (a === b) return 1;
    if (a.length === 0 || b.length === 0) return 0;
    if (a.length > b.length || (a.length === b.length && a > b)) [a, b] = [b, a];
    const window = Math.max(0, Math.floor(b.length / 2) - 1);
    const aFlags = Array.from(a, () => false);
    const bFlags = Array.from(b, () => false);
    let matches = 0;
    for (let i = 0; i < a.length; i++) {
      for (let j = Math.max(0, i - window); j <= Math.min(b.length - 1, i + window); j++) {
        if (!bFlags[j] && a[i] === b[j]) {
          aFlags[i] = bFlags[j] = true;
          matches++;
          break;
        }
      }
    }
    if (matches === 0) return 0;
    const aMatched = [...a].filter((_, i) => aFlags[i]);
    const bMatched = [...b].filter((_, j) => bFlags[j]);
    const transpositions = aMatched.filter((ch, i) => ch !== bMatched[i]).length / 2;
    return (matches / a.length + matches / b.length + (matches - transpositions) / matches) / 3;
  }

  it('equals the textbook algorithm on short and long strings (the two code paths)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', '.', '@'), minLength: 1, maxLength: 45 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(jaro(a, b)).toBeCloseTo(referenceJaro(a, b), 12);
      }),
      { numRuns: 2_000 },
    );
  });

  it('is symmetric and within [0, 1] for any strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const forward = jaroWinkler(a, b);
        expect(jaroWinkler(b, a)).toBe(forward);
        expect(forward).toBeGreaterThanOrEqual(0);
        expect(forward).toBeLessThanOrEqual(1);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('levenshtein', () => {
  it('counts edits', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('stops early past the bound and says max + 1', () => {
    expect(levenshtein('kitten', 'sitting', 1)).toBe(2);
    expect(levenshtein('kitten', 'sitting', 3)).toBe(3);
    expect(levenshtein('a', 'abcdefgh', 2)).toBe(3);
  });

  /** Plain dynamic programming, as the reference. */
  function reference(a: string, b: string): number {
    const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        const row = rows[i] as number[];
        const above = rows[i - 1] as number[];
        row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
    }
    return (rows[a.length] as number[])[b.length] as number;
  }

  it('equals the plain algorithm, capped at max + 1, and is symmetric', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 10 });
    fc.assert(
      fc.property(text, text, fc.integer({ min: 0, max: 6 }), (a, b, max) => {
        const exact = reference(a, b);
        expect(levenshtein(a, b)).toBe(exact);
        expect(levenshtein(a, b, max)).toBe(Math.min(exact, max + 1));
        expect(levenshtein(b, a, max)).toBe(levenshtein(a, b, max));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('soundex', () => {
  it('codes names as American Soundex', () => {
    expect(soundex('Robert')).toBe('R163');
    expect(soundex('Rupert')).toBe('R163');
    expect(soundex('Ashcraft')).toBe('A261');
    expect(soundex('Tymczak')).toBe('T522');
    expect(soundex('Pfister')).toBe('P236');
    expect(soundex('Lee')).toBe('L000');
    expect(soundex("O'Brien")).toBe('O165');
    expect(soundex('')).toBe('');
  });
});

describe('names', () => {
  it('normalize case, accents and punctuation', () => {
    expect(normalizeName('  José-María ')).toBe('jose maria');
    expect(normalizeName("O'Brien")).toBe('obrien');
    expect(normalizeName('MÜLLER')).toBe('muller');
    expect(normalizeName('Søren')).toBe('soren');
    expect(normalizeName('Straße')).toBe('strasse');
    expect(normalizeName(' - ')).toBeUndefined();
    expect(normalizeName(undefined)).toBeUndefined();
  });

  it('recognize nicknames in both directions and between two short forms', () => {
    expect(isNicknameMatch('bob', 'robert')).toBe(true);
    expect(isNicknameMatch('robert', 'bob')).toBe(true);
    expect(isNicknameMatch('bill', 'william')).toBe(true);
    expect(isNicknameMatch('liz', 'elizabeth')).toBe(true);
    expect(isNicknameMatch('bob', 'rob')).toBe(true);
    expect(isNicknameMatch('bob', 'william')).toBe(false);
    expect(isNicknameMatch('zed', 'zack')).toBe(false);
  });

  it('tell one typo from a relative’s name', () => {
    // A letter swapped, inserted, deleted or substituted inside a name of five letters or more.
    expect(isSingleTypo('richard', 'rihcard')).toBe(true);
    expect(isSingleTypo('richard', 'richatrd')).toBe(true);
    expect(isSingleTypo('joseph', 'josph')).toBe(true);
    expect(isSingleTypo('david', 'duavid')).toBe(true);
    // Other forms of a name differ at its end or its first letter; short names are too close to tell.
    expect(isSingleTypo('louis', 'louise')).toBe(false);
    expect(isSingleTypo('maria', 'marie')).toBe(false);
    expect(isSingleTypo('karen', 'karin')).toBe(false);
    expect(isSingleTypo('katherine', 'catherine')).toBe(false);
    expect(isSingleTypo('john', 'joan')).toBe(false);
    expect(isSingleTypo('patricia', 'patrick')).toBe(false);
    expect(isSingleTypo('emily', 'emily')).toBe(false);
  });

  it('is symmetric about typos', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'e', 'n', 'r', 's', 't'), minLength: 3, maxLength: 9 });
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(isSingleTypo(a, b)).toBe(isSingleTypo(b, a));
        if (isSingleTypo(a, b)) expect(levenshtein(a, b, 2)).toBeLessThanOrEqual(2);
      }),
      { numRuns: 2_000 },
    );
  });

  it('know the first names of the nickname table', () => {
    expect(isKnownFirstName('frederick')).toBe(true);
    expect(isKnownFirstName('freddie')).toBe(true);
    expect(isKnownFirstName('kingsby')).toBe(false);
  });

  it('give a canonical formal name for block keys and the other forms of a name', () => {
    expect(canonicalFirstName('bob')).toBe('robert');
    expect(canonicalFirstName('chris')).toBe('chris'); // Christopher or Christine: ambiguous, kept
    expect(canonicalFirstName('zoe')).toBe('zoe');
    expect(nameForms('kat')).toEqual(expect.arrayContaining(['katherine', 'kate', 'katie']));
  });
});

describe('email', () => {
  it('applies each provider’s rules', () => {
    expect(normalizeEmail(' J.Smith+shop@GoogleMail.com ')).toEqual({ address: 'jsmith@gmail.com', local: 'jsmith', domain: 'gmail.com' });
    expect(normalizeEmail('jane.doe+deals@outlook.com')?.address).toBe('jane.doe@outlook.com');
    expect(normalizeEmail('jane.doe+deals@yahoo.co.uk')?.address).toBe('jane.doe+deals@yahoo.co.uk');
    expect(normalizeEmail('not-an-email')).toBeUndefined();
    expect(normalizeEmail('@example.com')).toBeUndefined();
    expect(normalizeEmail('+tag@gmail.com')).toEqual({ address: '+tag@gmail.com', local: '+tag', domain: 'gmail.com' });
  });
});

describe('phone', () => {
  it('keeps digits and compares the last nine', () => {
    expect(normalizePhone('+44 (0)7700 900-123')).toBe('4407700900123');
    expect(normalizePhone('0044 7700 900123')).toBe('447700900123');
    expect(normalizePhone('12-34')).toBeUndefined();
    const forms = ['+44 7700 900123', '07700 900123', '0044 7700900123', '+44 (0)7700 900 123'];
    expect(new Set(forms.map((form) => phoneTail(normalizePhone(form) as string)))).toEqual(new Set(['700900123']));
  });
});

describe('address and postcode', () => {
  it('abbreviate street words and drop punctuation', () => {
    expect(normalizeAddress('12, Oak Avenue')).toBe('12 oak ave');
    expect(normalizeAddress('12 OAK AVE.')).toBe('12 oak ave');
    expect(normalizeAddress('Flat 3, 12 High Street')).toBe('apt 3 12 high st');
    expect(normalizeAddress('No. 7 Church Road')).toBe('7 church rd');
    expect(normalizePostcode('sw1a 1aa')).toBe('SW1A1AA');
  });
});

describe('date of birth', () => {
  it('reads ISO, compact and day-first dates', () => {
    expect(normalizeDateOfBirth('1985-03-07')).toBe('19850307');
    expect(normalizeDateOfBirth('19850307')).toBe('19850307');
    expect(normalizeDateOfBirth('7/3/1985')).toBe('19850307');
    expect(normalizeDateOfBirth('07.03.1985')).toBe('19850307');
    expect(normalizeDateOfBirth('3/7/1985', { dayFirst: false })).toBe('19850307');
    expect(normalizeDateOfBirth('1985-13-07')).toBeUndefined();
    expect(normalizeDateOfBirth('yesterday')).toBeUndefined();
  });

  it('detects a day/month swap', () => {
    expect(isDayMonthSwap('19850307', '19850703')).toBe(true);
    expect(isDayMonthSwap('19850307', '19850307')).toBe(false);
    expect(isDayMonthSwap('19850307', '19860703')).toBe(false);
  });
});
