import {
  canonicalFirstName,
  isDayMonthSwap,
  isNicknameMatch,
  isSingleTypo,
  jaroWinkler,
  levenshtein,
  normalizeAddress,
  normalizeDateOfBirth,
  normalizeName,
  normalizePhone,
  normalizePostcode,
  phoneTail,
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
  /**
   * A cheap bound for an expensive `level`: the closest level the pair could be at (an index no greater
   * than `level(a, b)`, or −1 when it could be null). Lets the matcher skip a candidate that cannot reach
   * a link without computing `level`. Default: not bounded (`level` is called).
   */
  closestLevel?(a: P, b: P): number;
  /** Term-frequency adjustment: the levels it applies to and the value whose frequency counts. */
  readonly termFrequency?: TermFrequencyOptions<P>;
}

export interface TermFrequencyOptions<P> {
  /** Levels whose weight is adjusted (exact-match levels). */
  readonly levels: readonly number[];
  /**
   * Close levels adjusted by the more frequent value's frequency relative to the exact level's u: Jenny
   * and Jennifer, or Margaret and Margaraet, are as common a coincidence as the name is. Default none.
   */
  readonly relativeLevels?: readonly number[];
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
  /**
   * Adds three levels for first names after exact: `nickname` when both names are forms of one formal
   * name and of no other (`bob`/`robert`, `bob`/`rob`), `shared short form` when a short form could stand
   * for either (`chris`/`christine`: Christine or Christopher), and `one typo` (see {@link isSingleTypo}).
   * Default true; use false for surnames.
   */
  readonly nicknames?: boolean;
  /** Term-frequency adjustment on the exact level. Default true. */
  readonly termFrequency?: boolean;
}

/**
 * Name ladder: exact (after {@link normalizeName}) / nickname / shared short form / one typo /
 * Jaro–Winkler ≥ each threshold / else. Nickname and one typo are levels of their own because they
 * tell family members apart: nobody calls two children Robert and Bob, or Richard and Richrad, but
 * Christine and Christopher are both Chris, and Joseph and Josephine are close.
 *
 * @example
 * nameComparison({ field: 'firstName' }).levels;
 * // ['exact', 'nickname', 'shared short form', 'one typo', 'jaro-winkler ≥ 0.92', 'jaro-winkler ≥ 0.88', 'jaro-winkler ≥ 0.7', 'else']
 */
export function nameComparison(options: NameComparisonOptions): Comparison<string> {
  const thresholds = options.thresholds ?? [0.92, 0.88, 0.7];
  const nicknames = options.nicknames ?? true;
  const offset = nicknames ? 4 : 1;
  return {
    name: options.name ?? options.field,
    fields: [options.field],
    levels: ['exact', ...(nicknames ? ['nickname', 'shared short form', 'one typo'] : []), ...thresholdLabels(thresholds), 'else'],
    prepare: (fields) => normalizeName(fields[options.field]),
    level(a, b) {
      if (a === b) return 0;
      if (nicknames && isNicknameMatch(a, b)) return canonicalFirstName(a) === canonicalFirstName(b) ? 1 : 2;
      if (nicknames && isSingleTypo(a, b)) return 3;
      return firstLevelAbove(jaroWinkler(a, b), thresholds, offset);
    },
    // A nickname is as common as its formal name: Tim Green is no rarer than Timothy Green.
    ...(options.termFrequency === false
      ? {}
      : { termFrequency: { levels: [0], relativeLevels: nicknames ? [1, 2, 3] : [], key: nicknames ? canonicalFirstName : (value: string) => value } }),
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
