/**
 * String similarity and normalization for record linkage: Jaro, Jaro–Winkler, bounded Levenshtein,
 * Soundex, and the normalizers behind the name, email, phone, address and date-of-birth comparisons.
 * Everything here is a pure function of its arguments.
 */

/**
 * Jaro similarity in [0, 1]. Symmetric: the matching window and the greedy matching run on a canonical
 * order of the two strings (shorter first), because a textbook implementation that sizes the window from
 * its first argument gives different values when its arguments are swapped.
 *
 * @example
 * jaro('MARTHA', 'MARHTA'); // 0.944…
 */
export function jaro(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  if (a.length > b.length || (a.length === b.length && a > b)) [a, b] = [b, a];
  // Up to 31 characters (names, most emails) the matched flags fit in two integers: no allocation.
  return b.length <= 31 ? jaroShort(a, b) : jaroLong(a, b);
}

function jaroShort(a: string, b: string): number {
  const window = Math.max(0, (b.length >> 1) - 1);
  let aMatched = 0;
  let bMatched = 0;
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const from = Math.max(0, i - window);
    const to = Math.min(b.length - 1, i + window);
    const ch = a.charCodeAt(i);
    for (let j = from; j <= to; j++) {
      if ((bMatched & (1 << j)) === 0 && b.charCodeAt(j) === ch) {
        aMatched |= 1 << i;
        bMatched |= 1 << j;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let halfTranspositions = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if ((aMatched & (1 << i)) === 0) continue;
    while ((bMatched & (1 << k)) === 0) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) halfTranspositions++;
    k++;
  }
  const t = halfTranspositions / 2;
  return (matches / a.length + matches / b.length + (matches - t) / matches) / 3;
}

function jaroLong(a: string, b: string): number {
  const window = Math.max(0, (b.length >> 1) - 1);
  const aMatched = new Uint8Array(a.length);
  const bMatched = new Uint8Array(b.length);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const from = Math.max(0, i - window);
    const to = Math.min(b.length - 1, i + window);
    const ch = a.charCodeAt(i);
    for (let j = from; j <= to; j++) {
      if (bMatched[j] === 0 && b.charCodeAt(j) === ch) {
        aMatched[i] = 1;
        bMatched[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let halfTranspositions = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if (aMatched[i] === 0) continue;
    while (bMatched[k] === 0) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) halfTranspositions++;
    k++;
  }
  const t = halfTranspositions / 2;
  return (matches / a.length + matches / b.length + (matches - t) / matches) / 3;
}

export interface JaroWinklerOptions {
  /** Weight of the common prefix; Winkler's 0.1. At most 0.25 keeps the result ≤ 1. */
  readonly prefixScale?: number;
  /** The prefix bonus applies only above this Jaro similarity (Winkler's 0.7). */
  readonly boostThreshold?: number;
}

/**
 * Jaro–Winkler similarity in [0, 1]: Jaro plus a bonus for a common prefix of up to 4 characters.
 *
 * @example
 * jaroWinkler('MARTHA', 'MARHTA'); // 0.961…
 * jaroWinkler('DWAYNE', 'DUANE'); // 0.84
 */
export function jaroWinkler(a: string, b: string, options: JaroWinklerOptions = {}): number {
  const j = jaro(a, b);
  if (j <= (options.boostThreshold ?? 0.7)) return j;
  const limit = Math.min(4, a.length, b.length);
  let prefix = 0;
  while (prefix < limit && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return j + prefix * (options.prefixScale ?? 0.1) * (1 - j);
}

/**
 * Levenshtein edit distance. With `max`, gives up as soon as the distance must exceed it and returns
 * `max + 1`, so "is it within 2 edits?" costs O(max × length) rather than O(length²).
 *
 * @example
 * levenshtein('kitten', 'sitting'); // 3
 * levenshtein('kitten', 'sitting', 1); // 2 (meaning "more than 1")
 */
export function levenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  // Common prefix and suffix cost nothing.
  let start = 0;
  while (start < a.length && start < b.length && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  // One edit leaves at most one character on each side once the common ends are stripped.
  if (max <= 1) {
    const longer = Math.max(endA - start, endB - start);
    return longer <= 1 ? longer : max + 1;
  }
  let s = a.slice(start, endA);
  let t = b.slice(start, endB);
  if (s.length > t.length) [s, t] = [t, s];
  if (t.length - s.length > max) return max + 1;
  if (s.length === 0) return t.length > max ? max + 1 : t.length;
  const row = new Int32Array(s.length + 1);
  for (let i = 0; i <= s.length; i++) row[i] = i;
  for (let j = 1; j <= t.length; j++) {
    let diagonal = row[0] as number;
    row[0] = j;
    let rowMin = j;
    const ch = t.charCodeAt(j - 1);
    for (let i = 1; i <= s.length; i++) {
      const above = row[i] as number;
      const cost = s.charCodeAt(i - 1) === ch ? 0 : 1;
      const value = Math.min(above + 1, (row[i - 1] as number) + 1, diagonal + cost);
      row[i] = value;
      diagonal = above;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
  }
  const distance = row[s.length] as number;
  return distance > max ? max + 1 : distance;
}

/**
 * True when two names of five letters or more differ by one typo: a letter substituted, inserted or
 * deleted, or two neighbours swapped, away from the first letter, and not a vowel among the last two
 * letters, where a name's other forms differ (Louis and Louise, Maria and Marie, Karen and Karin). Such a
 * pair is one person's name mistyped rather than two relatives' names.
 *
 * @example
 * isSingleTypo('richard', 'richatrd'); // true
 * isSingleTypo('louis', 'louise'); // false
 */
export function isSingleTypo(a: string, b: string): boolean {
  if (a === b || Math.min(a.length, b.length) < 5 || Math.abs(a.length - b.length) > 1) return false;
  let start = 0;
  while (start < a.length && start < b.length && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  // The differing middle: one letter against one or none, or a swapped pair.
  const left = a.slice(start, endA);
  const right = b.slice(start, endB);
  const single = left.length + right.length <= 2 && Math.max(left.length, right.length) === 1;
  const swapped = left.length === 2 && right.length === 2 && left[0] === right[1] && left[1] === right[0];
  if (!(single || swapped) || start === 0) return false;
  return a.length - endA >= 2 || !/[aeiouy]/.test(left + right);
}

const SOUNDEX_CODES = 'abcdefghijklmnopqrstuvwxyz'.split('').reduce<Record<string, string>>((codes, ch, i) => {
  codes[ch] = '01230120022455012623010202'[i] as string;
  return codes;
}, {});

/**
 * American Soundex of a name (`'R163'` for Robert and Rupert), or '' when it has no letter.
 * Used in blocking keys, where a phonetic code tolerates the typos that exact keys would miss.
 */
export function soundex(value: string): string {
  const letters = (normalizeName(value) ?? '').replace(/[^a-z]/g, '');
  if (letters.length === 0) return '';
  let code = (letters[0] as string).toUpperCase();
  let previous = SOUNDEX_CODES[letters[0] as string];
  for (let i = 1; i < letters.length && code.length < 4; i++) {
    const ch = letters[i] as string;
    const digit = SOUNDEX_CODES[ch] as string;
    if (digit !== '0' && digit !== previous) code += digit;
    // h and w do not separate two letters with the same code; vowels do.
    if (ch !== 'h' && ch !== 'w') previous = digit;
  }
  return code.padEnd(4, '0');
}

/** Letters that Unicode decomposition does not reduce to ASCII. */
const FOLDED: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/** Lower case, accents stripped, ASCII only; '' when nothing is left. */
export function foldText(value: string): string {
  // Plain ASCII (most names and emails) needs no Unicode decomposition.
  if (/^[\x00-\x7f]*$/.test(value)) return value.toLowerCase();
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (ch) => FOLDED[ch] ?? ch);
}

/**
 * A name for comparison: lower case, accents stripped, apostrophes and dots dropped (`O'Brien` →
 * `obrien`), other punctuation as spaces. Undefined when empty.
 *
 * @example
 * normalizeName('  José-María '); // 'jose maria'
 */
export function normalizeName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const name = foldText(value).replace(/['’`.]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
  return name.length > 0 ? name : undefined;
}

/** Formal first names and their common short forms (both directions are recognized). */
export const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  robert: ['bob', 'bobby', 'rob', 'robbie', 'bert'],
  william: ['bill', 'billy', 'will', 'willy'],
  elizabeth: ['liz', 'lizzie', 'beth', 'betty', 'eliza', 'libby'],
  james: ['jim', 'jimmy', 'jamie'],
  john: ['jack', 'johnny', 'jon'],
  jonathan: ['jon', 'jonny', 'nathan'],
  michael: ['mike', 'mikey', 'mick'],
  richard: ['rick', 'ricky', 'dick', 'rich'],
  thomas: ['tom', 'tommy'],
  christopher: ['chris', 'kit'],
  christine: ['chris', 'chrissy', 'tina'],
  christina: ['chris', 'tina'],
  daniel: ['dan', 'danny'],
  matthew: ['matt'],
  anthony: ['tony'],
  joseph: ['joe', 'joey'],
  josephine: ['jo', 'josie'],
  charles: ['charlie', 'chuck', 'chas'],
  edward: ['ed', 'eddie', 'ted', 'ned'],
  margaret: ['maggie', 'meg', 'peggy', 'marge'],
  katherine: ['kate', 'katie', 'kathy', 'kat'],
  catherine: ['cathy', 'kate', 'cat'],
  jennifer: ['jen', 'jenny'],
  patricia: ['pat', 'patty', 'trish'],
  patrick: ['pat', 'paddy'],
  susan: ['sue', 'susie'],
  deborah: ['deb', 'debbie'],
  rebecca: ['becky', 'becca'],
  alexander: ['alex', 'sandy', 'xander'],
  alexandra: ['alex', 'sandra', 'lexi'],
  samuel: ['sam', 'sammy'],
  samantha: ['sam', 'sammy'],
  benjamin: ['ben', 'benny'],
  nicholas: ['nick', 'nicky'],
  andrew: ['andy', 'drew'],
  stephen: ['steve', 'stevie'],
  steven: ['steve', 'stevie'],
  timothy: ['tim', 'timmy'],
  david: ['dave', 'davey'],
  kenneth: ['ken', 'kenny'],
  ronald: ['ron', 'ronnie'],
  donald: ['don', 'donny'],
  gregory: ['greg'],
  jessica: ['jess', 'jessie'],
  victoria: ['vicky', 'tori'],
  abigail: ['abby', 'gail'],
  peter: ['pete'],
  frederick: ['fred', 'freddie'],
  henry: ['harry', 'hank'],
  lawrence: ['larry'],
  gerald: ['gerry', 'jerry'],
  jacqueline: ['jackie'],
  eleanor: ['ellie', 'nora'],
  isabella: ['bella', 'izzy'],
  olivia: ['liv', 'livvy'],
  sophia: ['sophie'],
  emily: ['em', 'emmy'],
  amanda: ['mandy'],
  barbara: ['barb', 'babs'],
  dorothy: ['dot', 'dottie'],
  theodore: ['theo', 'ted', 'teddy'],
  zachary: ['zach', 'zack'],
  joshua: ['josh'],
  francisco: ['paco', 'pancho'],
  jose: ['pepe'],
};

/** Name → the formal names it can stand for (a formal name stands for itself). Built once, never mutated. */
const NICKNAME_GROUPS: ReadonlyMap<string, readonly string[]> = /* @__PURE__ */ (() => {
  const groups = new Map<string, string[]>();
  const add = (name: string, formal: string) => {
    const list = groups.get(name);
    if (list === undefined) groups.set(name, [formal]);
    else if (!list.includes(formal)) list.push(formal);
  };
  for (const [formal, short] of Object.entries(NICKNAMES)) {
    add(formal, formal);
    for (const nickname of short) add(nickname, formal);
  }
  return groups;
})();

/**
 * True when two normalized first names are the same person's formal name and short form, or two short
 * forms of one formal name (`bob`/`robert`, `bob`/`rob`).
 */
export function isNicknameMatch(a: string, b: string): boolean {
  if (a === b) return true;
  const left = NICKNAME_GROUPS.get(a);
  const right = NICKNAME_GROUPS.get(b);
  if (left === undefined || right === undefined) return false;
  return left.some((formal) => right.includes(formal));
}

/** Whether the normalized name is one of the formal names or short forms in {@link NICKNAMES}. */
export function isKnownFirstName(name: string): boolean {
  return NICKNAME_GROUPS.has(name);
}

/** The formal name a first name is a short form of (`bob` → `robert`), or the name itself; for block keys. */
export function canonicalFirstName(name: string): string {
  const formal = NICKNAME_GROUPS.get(name);
  return formal !== undefined && formal.length === 1 ? (formal[0] as string) : name;
}

/** Every formal name and short form that `name` can be another form of (`kat` → katherine, kate, …), itself excluded. */
export function nameForms(name: string): string[] {
  const forms = new Set<string>();
  for (const formal of NICKNAME_GROUPS.get(name) ?? []) {
    forms.add(formal);
    for (const short of NICKNAMES[formal] ?? []) forms.add(short);
  }
  forms.delete(name);
  return [...forms];
}

/** A normalized email address split into its parts. */
export interface NormalizedEmail {
  /** `local@domain` after the provider's rules. */
  readonly address: string;
  readonly local: string;
  readonly domain: string;
}

const DOMAIN_ALIASES: Readonly<Record<string, string>> = { 'googlemail.com': 'gmail.com' };
/** Providers that ignore dots in the local part. */
const DOTLESS_DOMAINS = new Set(['gmail.com']);
/** Providers that deliver `name+tag@` to `name@`. */
const PLUS_DOMAINS = new Set([
  'gmail.com', 'outlook.com', 'hotmail.com', 'hotmail.co.uk', 'live.com', 'msn.com', 'icloud.com', 'me.com',
  'mac.com', 'fastmail.com', 'proton.me', 'protonmail.com', 'pm.me', 'yandex.com',
]);

/**
 * An email for comparison: trimmed, lower case, `googlemail.com` → `gmail.com`, dots dropped where the
 * provider ignores them (Gmail) and `+tag` dropped where the provider delivers it to the same box.
 * Undefined when it is not `local@domain`.
 *
 * @example
 * normalizeEmail(' J.Smith+shop@GoogleMail.com ')?.address; // 'jsmith@gmail.com'
 */
export function normalizeEmail(value: string | undefined): NormalizedEmail | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return undefined;
  const rawDomain = text.slice(at + 1);
  const domain = DOMAIN_ALIASES[rawDomain] ?? rawDomain;
  let local = text.slice(0, at);
  if (PLUS_DOMAINS.has(domain)) {
    const plus = local.indexOf('+');
    if (plus > 0) local = local.slice(0, plus);
  }
  if (DOTLESS_DOMAINS.has(domain)) local = local.replace(/\./g, '');
  if (local.length === 0) return undefined;
  return { address: `${local}@${domain}`, local, domain };
}

/**
 * The digits of a phone number, with a leading international `00` read as `+`. Undefined when fewer than
 * `minDigits` digits are left.
 *
 * @example
 * normalizePhone('+44 (0)7700 900-123'); // '4407700900123'
 */
export function normalizePhone(value: string | undefined, minDigits = 6): string | undefined {
  if (value === undefined) return undefined;
  let digits = value.replace(/\D+/g, '');
  if (digits.startsWith('00')) digits = digits.slice(2);
  return digits.length >= minDigits ? digits : undefined;
}

/**
 * The last `count` digits of a phone number: the subscriber part that survives national prefixes, country
 * codes and a `(0)` trunk digit, so `+44 7700 900123` and `07700 900123` agree.
 */
export function phoneTail(digits: string, count = 9): string {
  return digits.length <= count ? digits : digits.slice(digits.length - count);
}

/** Street words and their usual abbreviations; both forms normalize to the abbreviation. */
export const ADDRESS_ABBREVIATIONS: Readonly<Record<string, string>> = {
  street: 'st', str: 'st', road: 'rd', avenue: 'ave', av: 'ave', avenu: 'ave', lane: 'ln', drive: 'dr',
  court: 'ct', place: 'pl', crescent: 'cres', close: 'cl', boulevard: 'blvd', terrace: 'ter', square: 'sq',
  gardens: 'gdns', grove: 'gr', highway: 'hwy', parkway: 'pkwy', mount: 'mt', north: 'n', south: 's',
  east: 'e', west: 'w', apartment: 'apt', flat: 'apt', unit: 'apt', suite: 'ste', building: 'bldg',
  first: '1st', second: '2nd', third: '3rd',
};

/**
 * A street address for comparison: folded to ASCII lower case, punctuation removed, `#12`/`no. 12`
 * reduced to the number, and street words abbreviated (`Street` → `st`, `Avenue` → `ave`).
 *
 * @example
 * normalizeAddress('12, Oak Avenue'); // '12 oak ave'
 */
export function normalizeAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const tokens = foldText(value)
    .replace(/['’`.]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((token) => token.length > 0 && token !== 'no' && token !== 'number')
    .map((token) => ADDRESS_ABBREVIATIONS[token] ?? token);
  return tokens.length > 0 ? tokens.join(' ') : undefined;
}

/** A postcode for comparison: upper-case letters and digits only (`sw1a 1aa` → `SW1A1AA`). */
export function normalizePostcode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const code = foldText(value).replace(/[^a-z0-9]/g, '').toUpperCase();
  return code.length > 0 ? code : undefined;
}

/**
 * A date of birth as `YYYYMMDD`, from `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or a day-first
 * `DD/MM/YYYY` (`DD.MM.YYYY`, `DD-MM-YYYY`; month-first with `dayFirst: false`). Undefined when it is not a
 * plausible calendar date.
 *
 * @example
 * normalizeDateOfBirth('7/3/1985'); // '19850307'
 */
export function normalizeDateOfBirth(value: string | undefined, options: { dayFirst?: boolean } = {}): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let year: number;
  let month: number;
  let day: number;
  let match = /^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})(?:[T ].*)?$/.exec(text);
  if (match !== null && (text.length >= 10 || /^\d{8}$/.test(text) || /[-/.]/.test(text))) {
    year = Number(match[1]);
    month = Number(match[2]);
    day = Number(match[3]);
  } else {
    match = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(text);
    if (match === null) return undefined;
    const first = Number(match[1]);
    const second = Number(match[2]);
    year = Number(match[3]);
    [day, month] = options.dayFirst === false ? [second, first] : [first, second];
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1000) return undefined;
  return `${String(year).padStart(4, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}

/** True when two `YYYYMMDD` dates are the same date with day and month exchanged (3 July vs 7 March). */
export function isDayMonthSwap(a: string, b: string): boolean {
  return a !== b && a.slice(0, 4) === b.slice(0, 4) && a.slice(4, 6) === b.slice(6, 8) && a.slice(6, 8) === b.slice(4, 6);
}
