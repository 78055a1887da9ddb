import {
  isDayMonthSwap,
  isNicknameMatch,
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
  type NormalizedEmail,
} from './compare';

/** One record's raw values by field name (`firstName`, `email`, …); missing values are undefined. */
export type RecordFields = Readonly<Record<string, string | undefined>>;

/** A record to link: a stable id and its raw field values. */
export interface IdentityRecord {
  readonly id: string;
  readonly fields: RecordFields;
}

/**
 * One Fellegi–Sunter comparison: a ladder of levels from most to least similar. Each record's values are
 * prepared (normalized) once; `level` then picks the first level that holds for a pair.
 */
export interface Comparison<P = unknown> {
  readonly name: string;
  /** Fields read. EM skips this comparison on pairs found by a blocking rule over any of them. */
  readonly fields: readonly string[];
  /** Level labels, most similar first; the last is the catch-all. */
  readonly levels: readonly string[];
  /** Normalized values of one record, or undefined when missing (the comparison is then null: no evidence). */
  prepare(fields: RecordFields): P | undefined;
  /**
   * Index of the first level that holds, or −1 when the two values have nothing in common to compare
   * (null, like a missing value). Must be symmetric in its arguments.
   */
  level(a: P, b: P): number;
  /** Term-frequency adjustment: the levels it applies to and the value whose frequency counts. */
  readonly termFrequency?: TermFrequencyOptions<P>;
}

export interface TermFrequencyOptions<P> {
  /** Levels whose weight is adjusted (exact-match levels). */
  readonly levels: readonly number[];
  /** The value whose frequency counts ('' for none). */
  key(value: P): string;
  /**
   * For identifiers: a value that more people than this give is generic (a store's email on every
   * receipt, a cashier's default loyalty number, a kiosk's device id) and compares as missing, so it
   * neither links nor separates anyone. People are told apart by the matcher's `personKey`; without one,
   * records are counted instead.
   */
  readonly genericAbove?: number;
}

/**
 * Default `genericAbove` for identifiers: more distinct people than the largest household (a family of
 * four shares a landline) and well under a store's daily customers.
 */
export const GENERIC_IDENTIFIER_PEOPLE = 8;

function thresholdLabels(thresholds: readonly number[]): string[] {
  return thresholds.map((threshold) => `jaro-winkler ≥ ${threshold}`);
}

function firstLevelAbove(similarity: number, thresholds: readonly number[], offset: number): number {
  for (let i = 0; i < thresholds.length; i++) if (similarity >= (thresholds[i] as number)) return offset + i;
  return offset + thresholds.length;
}

export interface NameComparisonOptions {
  readonly field: string;
  /** Defaults to the field name. */
  readonly name?: string;
  /** Jaro–Winkler thresholds, descending. Default [0.92, 0.88, 0.7]. */
  readonly thresholds?: readonly number[];
  /** Adds a level for `bob`/`robert` after exact. Default true; use false for surnames. */
  readonly nicknames?: boolean;
  /** Term-frequency adjustment on the exact level. Default true. */
  readonly termFrequency?: boolean;
}

/**
 * Name ladder: exact (after {@link normalizeName}) / nickname / Jaro–Winkler ≥ each threshold / else.
 *
 * @example
 * nameComparison({ field: 'firstName' }).levels;
 * // ['exact', 'nickname', 'jaro-winkler ≥ 0.92', 'jaro-winkler ≥ 0.88', 'jaro-winkler ≥ 0.7', 'else']
 */
export function nameComparison(options: NameComparisonOptions): Comparison<string> {
  const thresholds = options.thresholds ?? [0.92, 0.88, 0.7];
  const nicknames = options.nicknames ?? true;
  const offset = nicknames ? 2 : 1;
  return {
    name: options.name ?? options.field,
    fields: [options.field],
    levels: ['exact', ...(nicknames ? ['nickname'] : []), ...thresholdLabels(thresholds), 'else'],
    prepare: (fields) => normalizeName(fields[options.field]),
    level(a, b) {
      if (a === b) return 0;
      if (nicknames && isNicknameMatch(a, b)) return 1;
      return firstLevelAbove(jaroWinkler(a, b), thresholds, offset);
    },
    ...(options.termFrequency === false ? {} : { termFrequency: { levels: [0], key: (value: string) => value } }),
  };
}

export interface EmailComparisonOptions {
  /** Default 'email'. */
  readonly field?: string;
  readonly name?: string;
  /** Jaro–Winkler threshold on the whole normalized address. Default 0.88. */
  readonly threshold?: number;
  /** See {@link TermFrequencyOptions.genericAbove}. Default {@link GENERIC_IDENTIFIER_PEOPLE}. */
  readonly genericAbove?: number;
  /**
   * Term-frequency adjustment of the exact level(s), so a value that several people give (a store's
   * email just under `genericAbove`, a family's landline) counts less. Default true.
   */
  readonly termFrequency?: boolean;
  /**
   * Name fields of the same record (e.g. `['firstName', 'lastName']`). A local part that only spells the
   * record's name and at most three more characters (`susan.roberts`, `sroberts`, `emily86`) is then no
   * evidence on the fuzzy levels: namesakes have such addresses too, and the name comparisons already
   * counted the name.
   */
  readonly nameFields?: readonly string[];
}

interface PreparedEmail extends NormalizedEmail {
  /** The local part without dots, which some providers ignore and others keep. */
  readonly dotless: string;
  /** The local part without the record's names and separators (the whole local part when no name is in it). */
  readonly rest: string;
  /** The local part is the record's name and at most three more characters. */
  readonly nameOnly: boolean;
}

/**
 * The local part with the given names and separators removed: `scotte61` for Elizabeth Scott → `e61`.
 * Undefined when no name occurs in it.
 */
export function localPartBeyondNames(local: string, names: readonly string[]): string | undefined {
  let rest = local.replace(/[._+-]/g, '');
  const tokens = names.flatMap((name) => [name.replace(/ /g, ''), ...name.split(' ')]).filter((token) => token.length > 1);
  tokens.sort((a, b) => b.length - a.length);
  let removed = false;
  for (const token of tokens) {
    const at = rest.indexOf(token);
    if (at < 0) continue;
    rest = rest.slice(0, at) + rest.slice(at + token.length);
    removed = true;
  }
  return removed ? rest : undefined;
}

/**
 * Email ladder: exact (after {@link normalizeEmail}: Gmail dots, `+tags`) / same local part at another
 * provider / Jaro–Winkler ≥ 0.88 / else. Term-frequency adjusted on exact, and an address that more
 * than `genericAbove` people give (a store's email on every receipt) compares as missing.
 */
export function emailComparison(options: EmailComparisonOptions = {}): Comparison<PreparedEmail> {
  const field = options.field ?? 'email';
  const threshold = options.threshold ?? 0.88;
  const nameFields = options.nameFields ?? [];
  return {
    name: options.name ?? field,
    fields: [field],
    levels: ['exact', 'same local part', `jaro-winkler ≥ ${threshold}`, 'else'],
    prepare(fields) {
      const email = normalizeEmail(fields[field]);
      if (email === undefined) return undefined;
      // The record's names and their other forms: Jimmy's address may well say james.
      const names = nameFields.flatMap((name) => {
        const value = normalizeName(fields[name])?.replace(/[^a-z ]/g, '');
        return value === undefined ? [] : [value, ...nameForms(value)];
      });
      const rest = names.length > 0 ? localPartBeyondNames(email.local, names) : undefined;
      // A name with a short suffix (`emily86`, `smithj`) is common among namesakes too.
      return { ...email, dotless: email.local.replace(/\./g, ''), rest: rest ?? email.local, nameOnly: rest !== undefined && rest.length <= 3 };
    },
    level(a, b) {
      if (a.address === b.address) return 0;
      const level = a.dotless === b.dotless ? 1 : jaroWinkler(a.address, b.address) >= threshold ? 2 : 3;
      if (level === 3) return 3;
      // Similar only through the name: no evidence beyond the name comparisons.
      if (a.nameOnly || b.nameOnly) return -1;
      // Similar names with different extras (`scotte61`, `scotte51`) are different addresses.
      return level === 2 && a.rest !== b.rest && jaroWinkler(a.rest, b.rest) < threshold ? 3 : level;
    },
    termFrequency: {
      levels: options.termFrequency === false ? [] : [0],
      key: (value) => value.address,
      genericAbove: options.genericAbove ?? GENERIC_IDENTIFIER_PEOPLE,
    },
  };
}

interface PreparedPhone {
  readonly digits: string;
  readonly tail: string;
}

export interface PhoneComparisonOptions {
  /** Default 'phone'. */
  readonly field?: string;
  readonly name?: string;
  /** How many trailing digits identify a line regardless of country code and trunk prefix. Default 9. */
  readonly tailDigits?: number;
  /** See {@link TermFrequencyOptions.genericAbove}. Default {@link GENERIC_IDENTIFIER_PEOPLE}. */
  readonly genericAbove?: number;
  /**
   * Term-frequency adjustment of the exact level(s), so a value that several people give (a store's
   * email just under `genericAbove`, a family's landline) counts less. Default true.
   */
  readonly termFrequency?: boolean;
}

/** Phone ladder: same digits / same last 9 digits / last 9 one edit apart / else. */
export function phoneComparison(options: PhoneComparisonOptions = {}): Comparison<PreparedPhone> {
  const field = options.field ?? 'phone';
  const tailDigits = options.tailDigits ?? 9;
  return {
    name: options.name ?? field,
    fields: [field],
    levels: ['exact', `last ${tailDigits} digits`, 'one digit off', 'else'],
    prepare(fields) {
      const digits = normalizePhone(fields[field]);
      return digits === undefined ? undefined : { digits, tail: phoneTail(digits, tailDigits) };
    },
    level(a, b) {
      if (a.digits === b.digits) return 0;
      if (a.tail === b.tail) return 1;
      return levenshtein(a.tail, b.tail, 1) <= 1 ? 2 : 3;
    },
    termFrequency: {
      levels: options.termFrequency === false ? [] : [0, 1],
      key: (value) => value.tail,
      genericAbove: options.genericAbove ?? GENERIC_IDENTIFIER_PEOPLE,
    },
  };
}

interface PreparedAddress {
  readonly street: string | undefined;
  readonly postcode: string | undefined;
}

export interface AddressComparisonOptions {
  /** Street line. Default 'address'. */
  readonly field?: string;
  /** Default 'postcode'; the comparison still works on the street alone when it is absent. */
  readonly postcodeField?: string;
  readonly name?: string;
  /** Jaro–Winkler threshold on the normalized street for the fuzzy level. Default 0.9. */
  readonly threshold?: number;
}

function postcodesAgree(a: PreparedAddress, b: PreparedAddress): boolean {
  return a.postcode === undefined || b.postcode === undefined || a.postcode === b.postcode;
}

/**
 * Address ladder: same normalized street and no conflicting postcode / street Jaro–Winkler ≥ 0.9 and no
 * conflicting postcode / same postcode / else. Null only when a side has neither street nor postcode.
 */
export function addressComparison(options: AddressComparisonOptions = {}): Comparison<PreparedAddress> {
  const field = options.field ?? 'address';
  const postcodeField = options.postcodeField ?? 'postcode';
  const threshold = options.threshold ?? 0.9;
  return {
    name: options.name ?? field,
    fields: [field, postcodeField],
    levels: ['exact', `street jaro-winkler ≥ ${threshold}`, 'same postcode', 'else'],
    prepare(fields) {
      const street = normalizeAddress(fields[field]);
      const postcode = normalizePostcode(fields[postcodeField]);
      return street === undefined && postcode === undefined ? undefined : { street, postcode };
    },
    level(a, b) {
      if (a.street !== undefined && b.street !== undefined) {
        if (a.street === b.street && postcodesAgree(a, b)) return 0;
        if (postcodesAgree(a, b) && jaroWinkler(a.street, b.street) >= threshold) return 1;
      }
      return a.postcode !== undefined && a.postcode === b.postcode ? 2 : 3;
    },
    termFrequency: { levels: [0], key: (value) => `${value.street ?? ''}|${value.postcode ?? ''}` },
  };
}

interface PreparedContact {
  readonly phone: PreparedPhone | undefined;
  readonly street: string | undefined;
  readonly postcode: string | undefined;
}

export interface ContactComparisonOptions {
  /** Default 'phone'. */
  readonly phoneField?: string;
  /** Default 'address'. */
  readonly addressField?: string;
  /** Default 'postcode'. */
  readonly postcodeField?: string;
  /** Default 'contact'. */
  readonly name?: string;
  readonly tailDigits?: number;
  /** Street Jaro–Winkler threshold counted as the same address. Default 0.9. */
  readonly threshold?: number;
  /**
   * A phone number that more people than this give is generic (a store's number) and the whole
   * comparison is then null. Default {@link GENERIC_IDENTIFIER_PEOPLE}.
   */
  readonly genericAbove?: number;
  /**
   * Term-frequency adjustment of the exact level(s), so a value that several people give (a store's
   * email just under `genericAbove`, a family's landline) counts less. Default true.
   */
  readonly termFrequency?: boolean;
}

/**
 * Phone and address as one comparison, because they are not independent given a non-match: members of
 * one household share both. Scored separately, a family pair would count the shared home twice and
 * outweigh different first names and birth dates; scored jointly, u of "same phone and address" is
 * measured on random pairs and already includes households.
 *
 * Ladder: same phone and address / same phone / same address / phone one digit off / same postcode /
 * else. Null when the two records have no phone, street or postcode in common to compare.
 * Term-frequency adjusted on the phone for the two phone levels; a phone number that more than
 * `genericAbove` people give (a store's) makes the comparison null.
 */
export function contactComparison(options: ContactComparisonOptions = {}): Comparison<PreparedContact> {
  const phoneField = options.phoneField ?? 'phone';
  const addressField = options.addressField ?? 'address';
  const postcodeField = options.postcodeField ?? 'postcode';
  const tailDigits = options.tailDigits ?? 9;
  const threshold = options.threshold ?? 0.9;
  return {
    name: options.name ?? 'contact',
    fields: [phoneField, addressField, postcodeField],
    levels: ['same phone and address', 'same phone', 'same address', 'phone one digit off', 'same postcode', 'else'],
    prepare(fields) {
      const digits = normalizePhone(fields[phoneField]);
      const street = normalizeAddress(fields[addressField]);
      const postcode = normalizePostcode(fields[postcodeField]);
      if (digits === undefined && street === undefined && postcode === undefined) return undefined;
      return { phone: digits === undefined ? undefined : { digits, tail: phoneTail(digits, tailDigits) }, street, postcode };
    },
    level(a, b) {
      const phones = a.phone !== undefined && b.phone !== undefined;
      const streets = a.street !== undefined && b.street !== undefined;
      const postcodes = a.postcode !== undefined && b.postcode !== undefined;
      if (!phones && !streets && !postcodes) return -1;
      const samePhone = phones && a.phone?.tail === b.phone?.tail;
      const sameAddress =
        streets && postcodesAgree(a, b) && (a.street === b.street || jaroWinkler(a.street as string, b.street as string) >= threshold);
      if (samePhone) return sameAddress ? 0 : 1;
      if (sameAddress) return 2;
      if (phones && levenshtein((a.phone as PreparedPhone).tail, (b.phone as PreparedPhone).tail, 1) <= 1) return 3;
      return postcodes && a.postcode === b.postcode ? 4 : 5;
    },
    termFrequency: {
      levels: options.termFrequency === false ? [] : [0, 1],
      key: (value) => value.phone?.tail ?? '',
      genericAbove: options.genericAbove ?? GENERIC_IDENTIFIER_PEOPLE,
    },
  };
}

export interface DateOfBirthComparisonOptions {
  /** Default 'dob'. */
  readonly field?: string;
  readonly name?: string;
  /** Read `01/02/1990` as 1 February (true, default) or 2 January. */
  readonly dayFirst?: boolean;
}

/** Date-of-birth ladder: exact / one digit off or day and month swapped / same year / else. */
export function dateOfBirthComparison(options: DateOfBirthComparisonOptions = {}): Comparison<string> {
  const field = options.field ?? 'dob';
  const dayFirst = options.dayFirst ?? true;
  return {
    name: options.name ?? field,
    fields: [field],
    levels: ['exact', 'one digit off or day/month swapped', 'same year', 'else'],
    prepare: (fields) => normalizeDateOfBirth(fields[field], { dayFirst }),
    level(a, b) {
      if (a === b) return 0;
      if (levenshtein(a, b, 1) <= 1 || isDayMonthSwap(a, b)) return 1;
      return a.slice(0, 4) === b.slice(0, 4) ? 2 : 3;
    },
  };
}

export interface ExactComparisonOptions {
  readonly field: string;
  readonly name?: string;
  /** Applied to the raw value before comparing. Default: trim. */
  readonly normalize?: (value: string) => string | undefined;
  /** Default true. */
  readonly termFrequency?: boolean;
  /** See {@link TermFrequencyOptions.genericAbove}; set it for identifiers. Default: never generic. */
  readonly genericAbove?: number;
}

/** Two levels, exact / else, for identifiers such as a loyalty number or device id. */
export function exactComparison(options: ExactComparisonOptions): Comparison<string> {
  const normalize = options.normalize ?? ((value: string) => value.trim() || undefined);
  return {
    name: options.name ?? options.field,
    fields: [options.field],
    levels: ['exact', 'else'],
    prepare(fields) {
      const value = fields[options.field];
      return value === undefined ? undefined : normalize(value);
    },
    level: (a, b) => (a === b ? 0 : 1),
    ...(options.termFrequency === false && options.genericAbove === undefined
      ? {}
      : {
          termFrequency: {
            levels: options.termFrequency === false ? [] : [0],
            key: (value: string) => value,
            ...(options.genericAbove === undefined ? {} : { genericAbove: options.genericAbove }),
          },
        }),
  };
}
