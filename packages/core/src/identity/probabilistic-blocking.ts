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
   * This rule's cap on block size, below the index's: a broad rule (a surname and an initial) is worth
   * its candidates only while its blocks are small. Default: the index's `maxBlockSize`.
   */
  readonly maxBlockSize?: number;
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

/**
 * Same local part of the normalized email at any provider, dots ignored (`jane.doe@icloud.com`,
 * `janedoe@outlook.com`).
 */
export function emailLocalPartBlock(field = 'email'): BlockingRule {
  return { name: `same ${field} local part`, fields: [field], key: (fields) => normalizeEmail(fields[field])?.local.replace(/\./g, '') || undefined };
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

/**
 * Same first name (nicknames read as their formal name) + postcode: finds a shopper whose surname was
 * mistyped in a way that changes its Soundex (`Bennetyt`, `Fairere`).
 */
export function firstNamePostcodeBlock(options: { readonly firstName?: string; readonly postcode?: string } = {}): BlockingRule {
  const first = options.firstName ?? 'firstName';
  const postcodeField = options.postcode ?? 'postcode';
  return {
    name: `same ${first} + ${postcodeField}`,
    fields: [first, postcodeField],
    key(fields) {
      const given = normalizeName(fields[first]);
      const postcode = normalizePostcode(fields[postcodeField]);
      return given === undefined || postcode === undefined ? undefined : `${canonicalFirstName(given)}|${postcode}`;
    },
  };
}

/** Same normalized last name + first letter of the first name: finds a first-name typo that changes its Soundex (`Susaln`). */
export function surnameInitialBlock(options: NameFieldsOptions & { readonly maxBlockSize?: number } = {}): BlockingRule {
  const first = options.firstName ?? 'firstName';
  const last = options.lastName ?? 'lastName';
  return {
    name: `same ${last} + ${first} initial`,
    fields: [first, last],
    ...(options.maxBlockSize === undefined ? {} : { maxBlockSize: options.maxBlockSize }),
    key(fields) {
      const initial = normalizeName(fields[first])?.[0];
      const surname = normalizeName(fields[last]);
      return initial === undefined || surname === undefined ? undefined : `${initial}|${surname}`;
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
  /** Per rule, block key → its one member, or its members (a number saves an array for the many singletons). */
  readonly #blocks: Map<string, number | number[]>[];
  readonly #oversized: Map<string, number>[];
  readonly #caps: number[];

  constructor(rules: readonly BlockingRule[], maxBlockSize: number) {
    this.rules = rules;
    this.maxBlockSize = maxBlockSize;
    this.#caps = rules.map((rule) => Math.min(maxBlockSize, rule.maxBlockSize ?? maxBlockSize));
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
      const blocks = this.#blocks[r] as Map<string, number | number[]>;
      const members = blocks.get(key);
      if (members === undefined) {
        const oversized = this.#oversized[r] as Map<string, number>;
        const seen = oversized.get(key);
        if (seen !== undefined) oversized.set(key, seen + 1);
        else blocks.set(key, index);
      } else if (typeof members === 'number') {
        if ((this.#caps[r] as number) < 2) {
          blocks.delete(key);
          (this.#oversized[r] as Map<string, number>).set(key, 2);
        } else blocks.set(key, [members, index]);
      } else if (members.length + 1 > (this.#caps[r] as number)) {
        blocks.delete(key);
        (this.#oversized[r] as Map<string, number>).set(key, members.length + 1);
      } else members.push(index);
    }
  }

  remove(index: number, keys: readonly (string | undefined)[]): void {
    for (let r = 0; r < keys.length; r++) {
      const key = keys[r];
      if (key === undefined) continue;
      const blocks = this.#blocks[r] as Map<string, number | number[]>;
      const members = blocks.get(key);
      if (members === undefined) {
        // An oversized key stays oversized: a value once generic is not trusted again.
        const oversized = this.#oversized[r] as Map<string, number>;
        const seen = oversized.get(key);
        if (seen !== undefined) oversized.set(key, Math.max(1, seen - 1));
      } else if (typeof members === 'number') {
        if (members === index) blocks.delete(key);
      } else {
        const at = members.indexOf(index);
        if (at >= 0) members.splice(at, 1);
        if (members.length === 1) blocks.set(key, members[0] as number);
      }
    }
  }

  /** Adds the indexes sharing a block with `keys` to `out`, and returns the oversized blocks it skipped. */
  collect(keys: readonly (string | undefined)[], out: Set<number>): OversizedBlock[] {
    const skipped: OversizedBlock[] = [];
    for (let r = 0; r < keys.length; r++) {
      const key = keys[r];
      if (key === undefined) continue;
      const members = (this.#blocks[r] as Map<string, number | number[]>).get(key);
      if (members === undefined) {
        const size = (this.#oversized[r] as Map<string, number>).get(key);
        if (size !== undefined) skipped.push({ rule: (this.rules[r] as BlockingRule).name, key, size });
      } else if (typeof members === 'number') out.add(members);
      else for (const member of members) out.add(member);
    }
    return skipped;
  }

  /**
   * Like {@link collect}, for the hot path: appends to `out` the indexes not yet marked with `stamp` in
   * `marks` (which must cover every index), marking them, and returns how many oversized blocks it skipped.
   */
  collectInto(keys: readonly (string | undefined)[], out: number[], marks: Int32Array, stamp: number): number {
    let skipped = 0;
    for (let r = 0; r < keys.length; r++) {
      const key = keys[r];
      if (key === undefined) continue;
      const members = (this.#blocks[r] as Map<string, number | number[]>).get(key);
      if (members === undefined) {
        if ((this.#oversized[r] as Map<string, number>).has(key)) skipped++;
      } else if (typeof members === 'number') {
        if (marks[members] !== stamp) {
          marks[members] = stamp;
          out.push(members);
        }
      } else {
        for (let i = 0; i < members.length; i++) {
          const member = members[i] as number;
          if (marks[member] === stamp) continue;
          marks[member] = stamp;
          out.push(member);
        }
      }
    }
    return skipped;
  }

  /** The oversized blocks among `keys`. */
  oversizedAmong(keys: readonly (string | undefined)[]): OversizedBlock[] {
    const skipped: OversizedBlock[] = [];
    for (let r = 0; r < keys.length; r++) {
      const key = keys[r];
      const size = key === undefined ? undefined : (this.#oversized[r] as Map<string, number>).get(key);
      if (size !== undefined) skipped.push({ rule: (this.rules[r] as BlockingRule).name, key: key as string, size });
    }
    return skipped;
  }

  /** The blocks of one rule with two members or more (oversized ones excluded), for training. */
  *blocksOf(rule: number): IterableIterator<number[]> {
    for (const members of (this.#blocks[rule] as Map<string, number | number[]>).values()) if (typeof members !== 'number') yield members;
  }

  oversized(): OversizedBlock[] {
    return this.#oversized.flatMap((map, r) =>
      [...map].map(([key, size]) => ({ rule: (this.rules[r] as BlockingRule).name, key, size })),
    );
  }
}
