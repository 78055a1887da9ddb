import { createIdentifierNormalizer, type IdentityRecord, type Matcher } from '@tailor/core';
import { MATCHER_FIELDS, type FieldMap, type IdentifierField } from './mapping';

/** A scored pair below this is evidence of two different people: no shared identifier joins them. */
export const CANNOT_LINK = 0.001;
/** Earlier holders of one value that a new holder is checked against; past this, a value is generic or one person's many receipts. */
const MAX_HOLDERS = 64;

export interface JoinFilter {
  /**
   * Whether `value` may join record `record` (an index) to the other records holding it. `probabilityOf`
   * holds the match probability of the record against each of its blocking candidates.
   */
  accepts(field: IdentifierField, value: string, record: number, probabilityOf: ReadonlyMap<number, number>): boolean;
  /** Distinct values found shared by many people, by type. */
  readonly shared: Readonly<Partial<Record<IdentifierField, number>>>;
  /** Occurrences of shared values kept out of joins. */
  sharedOccurrences(): number;
  /** Values the normalizer refused, by `<type> <reason>`. */
  readonly refused: Readonly<Record<string, number>>;
  /** Joins refused for a cannot-link pair, by type. */
  readonly vetoed: Readonly<Partial<Record<IdentifierField, number>>>;
}

/**
 * True for a placeholder identifier value (`0000`, `test@test.com`, `noreply@…`: the normalizer's blocked
 * list). The matcher does not know them, so they are taken out of the records it sees: a placeholder is
 * no evidence that two records are one person.
 */
export function createPlaceholderCheck(countryCode: string | undefined): (field: IdentifierField, value: string) => boolean {
  // Any calling code will do: it only lets a national phone number reach the blocked-value check.
  const normalize = createIdentifierNormalizer({ defaultCountryCode: countryCode ?? '1' });
  return (field, value) => {
    const result = normalize(field, value);
    return typeof result !== 'string' && result.rejected === 'blocked';
  };
}

const add = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Decides which identifier values may join records, before the identity graph's own guards (per-type
 * limits, cluster size, demotion) see them:
 * 1. the normalizer: blocked placeholders (`0000`, `test@test.com`, `noreply@…`), malformed emails and
 *    phones (a national phone without `countryCode` cannot be written in E.164);
 * 2. the matcher's term frequencies: a value that more people give than the matcher's `genericAbove`
 *    (a store's email on every receipt, a cashier's default loyalty number) compares as missing there,
 *    and must not join either. The graph's demotion only counts the identifiers that join, so it cannot
 *    see a store email on receipts that carry nothing else; the matcher tells people apart by first name;
 * 3. a cannot-link check: a value does not join a record to an earlier holder that the matcher scores
 *    below {@link CANNOT_LINK} (different names and birth dates on one email).
 */
export function createJoinFilter(matcher: Matcher, map: FieldMap, countryCode: string | undefined): JoinFilter {
  const normalize = createIdentifierNormalizer(countryCode === undefined ? {} : { defaultCountryCode: countryCode });
  const verdicts = new Map<string, boolean>();
  const holdersOf = new Map<string, number[]>();
  const shared: Partial<Record<IdentifierField, number>> = {};
  const refused: Record<string, number> = {};
  const vetoed: Partial<Record<IdentifierField, number>> = {};
  let sharedOccurrences = 0;

  const isShared = (field: IdentifierField, value: string): boolean => {
    if (!MATCHER_FIELDS.has(field) || !map.has(field)) return false;
    // Explained against itself, a value's comparison is null with `genericValue` exactly when it is generic.
    const probe = (id: string): IdentityRecord => ({ id, fields: { [field]: value } });
    return matcher.explain(probe('\u0000a'), probe('\u0000b')).comparisons.some((part) => part.genericValue);
  };

  return {
    shared,
    refused,
    vetoed,
    sharedOccurrences: () => sharedOccurrences,
    accepts(field, value, record, probabilityOf) {
      const normalized = normalize(field, value);
      if (typeof normalized !== 'string') {
        add(refused, `${field} ${normalized.rejected}`);
        return false;
      }
      const key = `${field}:${normalized}`;
      let generic = verdicts.get(key);
      if (generic === undefined) {
        generic = isShared(field, value);
        verdicts.set(key, generic);
        if (generic) shared[field] = (shared[field] ?? 0) + 1;
      }
      if (generic) {
        sharedOccurrences++;
        return false;
      }
      let holders = holdersOf.get(key);
      // A holder outside the record's blocks was not scored: no evidence either way.
      if (holders?.some((other) => (probabilityOf.get(other) ?? 1) < CANNOT_LINK)) {
        vetoed[field] = (vetoed[field] ?? 0) + 1;
        return false;
      }
      if (holders === undefined) holdersOf.set(key, (holders = []));
      if (holders.length < MAX_HOLDERS) holders.push(record);
      return true;
    },
  };
}
