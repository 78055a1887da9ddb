import { isKnownFirstName, jaroWinkler, nameForms, normalizeEmail, normalizeName, type NormalizedEmail } from './compare';
import { GENERIC_IDENTIFIER_PEOPLE, type Comparison } from './probabilistic-comparisons';

/**
 * The email comparison: provider rules, and what an address says beyond the names in it (namesakes have
 * addresses alike: `susan.roberts@gmail.com`, `susanroberts@outlook.com`).
 */

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
  /** The local part without separators. */
  readonly bare: string;
  /** The record's names and their other forms (Jimmy's address may well say james), longest first. */
  readonly tokens: readonly string[];
}

/**
 * Whether what is left of a local part once names are taken out says nothing about the person: at most
 * three characters (`emily86` → `86`), or a known first name and at most three more (`frederick47`).
 */
function isNameLike(rest: string, removedName: boolean): boolean {
  if (removedName && rest.length <= 3) return true;
  const letters = /^([a-z]+)[^a-z]{0,3}$/.exec(rest)?.[1];
  return letters !== undefined && isKnownFirstName(letters);
}

/**
 * The local part with the given names and separators removed: `scotte61` for Elizabeth Scott → `e61`.
 * Undefined when no name occurs in it.
 */
export function localPartBeyondNames(local: string, names: readonly string[]): string | undefined {
  return stripTokens(local.replace(/[._+-]/g, ''), nameTokens(names));
}

/** The names and their words (`mary ann` → `maryann`, `mary`, `ann`), longest first. */
function nameTokens(names: readonly string[]): string[] {
  const tokens = names.flatMap((name) => [name.replace(/ /g, ''), ...name.split(' ')]).filter((token) => token.length > 1);
  return tokens.sort((a, b) => b.length - a.length);
}

/** `text` with each token (longest first) taken out once; undefined when none occurs in it. */
function stripTokens(text: string, tokens: readonly string[]): string | undefined {
  let rest = text;
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
 * An upper bound on the Jaro–Winkler similarity (prefix scale 0.1) of two strings that have `common`
 * characters in common as multisets: Jaro's matches are at most that many, its transpositions at least none.
 */
function jaroWinklerBound(common: number, lengthA: number, lengthB: number): number {
  if (common === 0) return 0;
  const jaro = (common / lengthA + common / lengthB + 1) / 3;
  return Math.min(1, jaro + 0.4 * (1 - jaro));
}

/** Two token lists, each longest first, as one. */
function mergeTokens(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...a, ...b].sort((x, y) => y.length - x.length);
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
  // Most pairs of addresses are far apart: a bound on their Jaro–Winkler settles them without computing it.
  const counts = new Int16Array(128);
  const mayReach = (a: string, b: string): boolean => {
    for (let i = 0; i < a.length; i++) {
      const c = a.charCodeAt(i) & 127;
      counts[c] = (counts[c] as number) + 1;
    }
    let common = 0;
    for (let i = 0; i < b.length; i++) {
      const c = b.charCodeAt(i) & 127;
      const left = counts[c] as number;
      if (left > 0) {
        counts[c] = left - 1;
        common++;
      }
    }
    for (let i = 0; i < a.length; i++) counts[a.charCodeAt(i) & 127] = 0;
    return jaroWinklerBound(common, a.length, b.length) >= threshold;
  };
  return {
    name: options.name ?? field,
    fields: [field],
    levels: ['exact', 'same local part', `jaro-winkler ≥ ${threshold}`, 'else'],
    prepare(fields) {
      const email = normalizeEmail(fields[field]);
      if (email === undefined) return undefined;
      const names = nameFields.flatMap((name) => {
        const value = normalizeName(fields[name])?.replace(/[^a-z ]/g, '');
        return value === undefined ? [] : [value, ...nameForms(value)];
      });
      return { ...email, dotless: email.local.replace(/\./g, ''), bare: email.local.replace(/[._+-]/g, ''), tokens: nameTokens(names) };
    },
    // Two different mailboxes are at most Jaro–Winkler-similar, or null when that is only their names.
    closestLevel: (a, b) => (a.address === b.address ? 0 : a.dotless === b.dotless ? -1 : 2),
    level(a, b) {
      if (a.address === b.address) return 0;
      const level = a.dotless === b.dotless ? 1 : mayReach(a.address, b.address) && jaroWinkler(a.address, b.address) >= threshold ? 2 : 3;
      if (level === 3) return 3;
      // Take out the names of both records: one may lack the first name the other's address spells.
      const tokens = mergeTokens(a.tokens, b.tokens);
      const restA = stripTokens(a.bare, tokens);
      const restB = stripTokens(b.bare, tokens);
      // Similar only through a name, with a short suffix (`emily86`, `smithj`): namesakes have such
      // addresses too, and the name comparisons already counted the name.
      if (isNameLike(restA ?? a.local, restA !== undefined) || isNameLike(restB ?? b.local, restB !== undefined)) return -1;
      // Similar names with different extras (`scotte61`, `scotte51`) are different addresses.
      const left = restA ?? a.local;
      const right = restB ?? b.local;
      return level === 2 && left !== right && jaroWinkler(left, right) < threshold ? 3 : level;
    },
    termFrequency: {
      levels: options.termFrequency === false ? [] : [0],
      key: (value) => value.address,
      genericAbove: options.genericAbove ?? GENERIC_IDENTIFIER_PEOPLE,
    },
  };
}
