import { canonicalFirstName, normalizeDateOfBirth, normalizeEmail, normalizeName, normalizePhone, normalizePostcode, phoneTail, soundex } from './compare';
import type { RecordFields } from './probabilistic-comparisons';

/**
 * A blocking rule: records with the same key are candidate pairs. Only candidates are ever compared, so
 * the rules decide recall (a true pair sharing no key is never seen) and cost.
 */
export interface BlockingRule {
  readonly name: string;
  /** Fields the key reads. EM does not estimate comparisons over these fields from this rule's pairs. */
  readonly fields: readonly string[];
  /** The block key of one record, or undefined when the record has no value for it. */
  key(fields: RecordFields): string | undefined;
  /**
   * Whether EM learns m from this rule's pairs (default true). Set false when the non-matching pairs a rule
   * finds are unlike random pairs on the other fields: a shared home phone finds family members, who
   * share a surname and address too, and EM with u from random pairs would take them for matches.
   */
  readonly train?: boolean;
}

/** Same normalized email (Gmail dots and `+tags` ignored). */
export function emailBlock(field = 'email'): BlockingRule {
  return { name: `same ${field}`, fields: [field], key: (fields) => normalizeEmail(fields[field])?.address };
}

/** Same last `tailDigits` digits of the phone number. */
export function phoneBlock(field = 'phone', tailDigits = 9, options: { readonly train?: boolean } = {}): BlockingRule {
  return {
    name: `same ${field} last ${tailDigits}`,
    fields: [field],
    ...options,
    key(fields) {
      const digits = normalizePhone(fields[field]);
      return digits === undefined ? undefined : phoneTail(digits, tailDigits);
    },
  };
}

export interface NameFieldsOptions {
  readonly firstName?: string;
  readonly lastName?: string;
}

/** First-name initial + Soundex of the last name + postcode: tolerant of name typos, local by postcode. */
export function namePostcodeBlock(options: NameFieldsOptions & { readonly postcode?: string } = {}): BlockingRule {
  const first = options.firstName ?? 'firstName';
  const last = options.lastName ?? 'lastName';
  const postcodeField = options.postcode ?? 'postcode';
  return {
    name: `${first} initial + ${last} soundex + ${postcodeField}`,
    fields: [first, last, postcodeField],
    key(fields) {
      const initial = normalizeName(fields[first])?.[0];
      const surname = soundex(fields[last] ?? '');
      const postcode = normalizePostcode(fields[postcodeField]);
      return initial === undefined || surname === '' || postcode === undefined ? undefined : `${initial}|${surname}|${postcode}`;
    },
  };
}

/**
 * Same first name (nicknames read as their formal name: Bob as Robert) + Soundex of the last name. Finds
 * the records that share nothing but a name; term-frequency adjustment then decides whether the name is
 * rare enough to mean anything.
 */
export function fullNameBlock(options: NameFieldsOptions = {}): BlockingRule {
  const first = options.firstName ?? 'firstName';
  const last = options.lastName ?? 'lastName';
  return {
    name: `same ${first} + ${last} soundex`,
    fields: [first, last],
    key(fields) {
      const given = normalizeName(fields[first]);
      const surname = soundex(fields[last] ?? '');
      return given === undefined || surname === '' ? undefined : `${canonicalFirstName(given)}|${surname}`;
    },
  };
}

/** Soundex of the first name + the exact normalized last name: catches typos in the first name. */
export function firstNameSoundexBlock(options: NameFieldsOptions = {}): BlockingRule {
  const first = options.firstName ?? 'firstName';
  const last = options.lastName ?? 'lastName';
  return {
    name: `${first} soundex + same ${last}`,
    fields: [first, last],
    key(fields) {
      const given = soundex(fields[first] ?? '');
      const surname = normalizeName(fields[last]);
      return given === '' || surname === undefined ? undefined : `${given}|${surname}`;
    },
  };
}

/** Same local part of the normalized email at any provider (`jane.doe@gmail.com`, `jane.doe@icloud.com`). */
export function emailLocalPartBlock(field = 'email'): BlockingRule {
  return { name: `same ${field} local part`, fields: [field], key: (fields) => normalizeEmail(fields[field])?.local };
}

/** Same date of birth + Soundex of the last name. */
export function dobSurnameBlock(options: { readonly dob?: string; readonly lastName?: string } = {}): BlockingRule {
  const dobField = options.dob ?? 'dob';
  const last = options.lastName ?? 'lastName';
  return {
    name: `same ${dobField} + ${last} soundex`,
    fields: [dobField, last],
    key(fields) {
      const dob = normalizeDateOfBirth(fields[dobField]);
      const surname = soundex(fields[last] ?? '');
      return dob === undefined || surname === '' ? undefined : `${dob}|${surname}`;
    },
  };
}

/** Same trimmed value of one field (loyalty number, device id). */
export function exactBlock(field: string, options: { readonly train?: boolean } = {}): BlockingRule {
  return { name: `same ${field}`, fields: [field], key: (fields) => fields[field]?.trim() || undefined, ...options };
}

/** A block that grew past the size cap: its key is ignored from then on, and reported. */
export interface OversizedBlock {
  readonly rule: string;
  readonly key: string;
  /** Records that carried the key (a lower bound once records are removed). */
  readonly size: number;
}

/**
 * Persistent blocking index: per rule, an incremental map from block key to the internal indexes of the
 * records that carry it. A block that reaches `maxBlockSize` is dropped and remembered as oversized, so
 * a generic value (a store's email, a cashier's default loyalty number) never produces a quadratic
 * number of pairs, and the candidates of one record are at most `rules × maxBlockSize` whatever the
 * population.
 */
export class BlockingIndex {
  readonly rules: readonly BlockingRule[];
  readonly maxBlockSize: number;
  readonly #blocks: Map<string, number[]>[];
  readonly #oversized: Map<string, number>[];

  constructor(rules: readonly BlockingRule[], maxBlockSize: number) {
    this.rules = rules;
    this.maxBlockSize = maxBlockSize;
    this.#blocks = rules.map(() => new Map());
    this.#oversized = rules.map(() => new Map());
  }

  /** The key of each rule for one record (undefined where the rule has none). */
  keysOf(fields: RecordFields): (string | undefined)[] {
    return this.rules.map((rule) => rule.key(fields));
  }

  add(index: number, keys: readonly (string | undefined)[]): void {
    for (let r = 0; r < keys.length; r++) {
      const key = keys[r];
      if (key === undefined) continue;
      const oversized = this.#oversized[r] as Map<string, number>;
      const seen = oversized.get(key);
      if (seen !== undefined) {
        oversized.set(key, seen + 1);
        continue;
      }
      const blocks = this.#blocks[r] as Map<string, number[]>;
      const members = blocks.get(key);
      if (members === undefined) blocks.set(key, [index]);
      else if (members.length + 1 > this.maxBlockSize) {
        blocks.delete(key);
        oversized.set(key, members.length + 1);
      } else members.push(index);
    }
  }

  remove(index: number, keys: readonly (string | undefined)[]): void {
    for (let r = 0; r < keys.length; r++) {
      const key = keys[r];
      if (key === undefined) continue;
      const oversized = this.#oversized[r] as Map<string, number>;
      const seen = oversized.get(key);
      // An oversized key stays oversized: a value once generic is not trusted again.
      if (seen !== undefined) {
        oversized.set(key, Math.max(1, seen - 1));
        continue;
      }
      const blocks = this.#blocks[r] as Map<string, number[]>;
      const members = blocks.get(key);
      if (members === undefined) continue;
      const at = members.indexOf(index);
      if (at >= 0) members.splice(at, 1);
      if (members.length === 0) blocks.delete(key);
    }
  }

  /** Adds the indexes sharing a block with `keys` to `out`, and returns the oversized blocks it skipped. */
  collect(keys: readonly (string | undefined)[], out: Set<number>): OversizedBlock[] {
    const skipped: OversizedBlock[] = [];
    for (let r = 0; r < keys.length; r++) {
      const key = keys[r];
      if (key === undefined) continue;
      const size = (this.#oversized[r] as Map<string, number>).get(key);
      if (size !== undefined) {
        skipped.push({ rule: (this.rules[r] as BlockingRule).name, key, size });
        continue;
      }
      const members = (this.#blocks[r] as Map<string, number[]>).get(key);
      if (members !== undefined) for (const member of members) out.add(member);
    }
    return skipped;
  }

  /** The blocks of one rule (oversized ones excluded), for training. */
  blocksOf(rule: number): IterableIterator<number[]> {
    return (this.#blocks[rule] as Map<string, number[]>).values();
  }

  oversized(): OversizedBlock[] {
    return this.#oversized.flatMap((map, r) =>
      [...map].map(([key, size]) => ({ rule: (this.rules[r] as BlockingRule).name, key, size })),
    );
  }
}
