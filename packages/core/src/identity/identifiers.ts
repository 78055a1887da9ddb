/** The identifier types Tailor knows; anything else is `custom:<name>`. */
export const IDENTIFIER_TYPES = ['anonymousId', 'userId', 'email', 'phone', 'loyaltyId', 'posCustomerId', 'deviceId'] as const;
export type BuiltInIdentifierType = (typeof IDENTIFIER_TYPES)[number];
/** A typed identifier: one of {@link IDENTIFIER_TYPES} or `custom:<name>` (e.g. `custom:crmId`). */
export type IdentifierType = BuiltInIdentifierType | `custom:${string}`;

/**
 * An identifier as callers write it: `"email:Ann@x.com"` or `{ type: 'email', value: 'Ann@x.com' }`.
 * Values are raw; the graph normalizes (and, if configured, hashes) them.
 */
export type IdentifierInput = string | { readonly type: IdentifierType; readonly value: string };

/** Why a value is not used as an identifier. */
export type IdentifierRejectionReason = 'empty' | 'too_long' | 'invalid_type' | 'invalid_email' | 'invalid_phone' | 'blocked';

export interface IdentifierRejection {
  readonly rejected: IdentifierRejectionReason;
  /** For people, not programs: which rule said no (e.g. the blocked pattern). Never contains the value. */
  readonly detail?: string;
}

/** An exact value (compared case-insensitively) or a pattern tested on the lower-cased normalized value. */
export type BlockedPattern = string | RegExp;

/**
 * Placeholder values that would join everyone who sends them. Tested on the normalized, lower-cased value
 * (for emails also on the address as written, for phones also on the national number).
 */
export const DEFAULT_BLOCKED_VALUES: readonly BlockedPattern[] = Object.freeze([
  /^(.)\1{3,}$/u, // 0000, 1111, xxxx
  /^(0123|1234|12345|123456|1234567|12345678|123456789|1234567890|0123456789)$/,
  /^(anonymous|anon|unknown|null|nil|none|undefined|nan|n\/a|na|guest|test|-)$/,
  /^\[object \w+\]$/, // String(someObject) sent by mistake
  /^\+\d{0,3}(\d)\1{6,}$/, // E.164 with a country code and then one digit repeated: +1 000 000 0000
  'test@test.com',
  /^(no-?reply|do-?not-?reply|donotreply)@/,
]);

/** How one mail provider routes local parts: `a.nn+shop@gmail.com` and `ann@gmail.com` are one mailbox. */
export interface EmailProviderRule {
  /** Dots in the local part are ignored by the provider (Gmail). */
  readonly dropDots?: boolean;
  /** Everything from `+` in the local part is a sub-address (Gmail, Outlook, most others). */
  readonly dropPlusTag?: boolean;
  /** Write the domain as this one (googlemail.com → gmail.com). */
  readonly canonicalDomain?: string;
}

/** Provider rules by lower-case domain; the `'*'` entry applies to every other domain. */
export type EmailProviderRules = Readonly<Record<string, EmailProviderRule>>;

const GMAIL: EmailProviderRule = { dropDots: true, dropPlusTag: true, canonicalDomain: 'gmail.com' };
const PLUS_ONLY: EmailProviderRule = { dropPlusTag: true };

export const DEFAULT_EMAIL_PROVIDERS: EmailProviderRules = Object.freeze({
  'gmail.com': GMAIL,
  'googlemail.com': GMAIL,
  'outlook.com': PLUS_ONLY,
  'hotmail.com': PLUS_ONLY,
  'live.com': PLUS_ONLY,
  'msn.com': PLUS_ONLY,
  '*': PLUS_ONLY,
});

export interface NormalizeOptions {
  /** Country calling code for phone numbers written without `+` or `00`, e.g. `'1'`, `'44'`. Without it such numbers are rejected. */
  readonly defaultCountryCode?: string;
  /** Replaces {@link DEFAULT_EMAIL_PROVIDERS} (spread the defaults to extend them). */
  readonly emailProviders?: EmailProviderRules;
  /** Replaces {@link DEFAULT_BLOCKED_VALUES}. */
  readonly blocked?: readonly BlockedPattern[];
  /** Applied last, to the normalized value (e.g. a SHA-256 hex digest the host provides). Must be synchronous and deterministic. */
  readonly hash?: (text: string) => string;
  /** Longer values are rejected. Default 1024 (the envelope's limit). */
  readonly maxLength?: number;
}

/** A normalizer with its options compiled once; what the graph calls per identifier. */
export type IdentifierNormalizer = (type: IdentifierType, value: string) => string | IdentifierRejection;

const MAX_LENGTH = 1024;
const PHONE_CHARACTERS = /^\+?[\d\s().\-/]+$/;
const CUSTOM_TYPE = /^custom:[A-Za-z0-9_.-]+$/;
const BUILT_IN = new Set<string>(IDENTIFIER_TYPES);

/** True for a built-in type or a well-formed `custom:<name>` (letters, digits, `_ . -`). */
export function isIdentifierType(type: string): type is IdentifierType {
  return BUILT_IN.has(type) || CUSTOM_TYPE.test(type);
}

/** True when {@link normalizeIdentifier} said no. */
export function isIdentifierRejection(result: string | IdentifierRejection): result is IdentifierRejection {
  return typeof result !== 'string';
}

/**
 * Splits `"type:value"` at the type's end (`custom:` types have one colon of their own).
 * @example parseIdentifier('custom:crm:42') // { type: 'custom:crm', value: '42' }
 */
export function parseIdentifier(input: IdentifierInput): { type: IdentifierType; value: string } | undefined {
  if (typeof input !== 'string') return isIdentifierType(input.type) ? { type: input.type, value: input.value } : undefined;
  const first = input.indexOf(':');
  if (first < 0) return undefined;
  const end = input.startsWith('custom:') ? input.indexOf(':', first + 1) : first;
  if (end < 0) return undefined;
  const type = input.slice(0, end);
  return isIdentifierType(type) ? { type, value: input.slice(end + 1) } : undefined;
}

/** The graph's node key for a normalized value: `"email:ann@gmail.com"`. */
export function identifierKey(type: IdentifierType, normalizedValue: string): string {
  return `${type}:${normalizedValue}`;
}

function compileBlocked(patterns: readonly BlockedPattern[]): (candidates: readonly string[]) => string | undefined {
  const exact = new Set(patterns.filter((p): p is string => typeof p === 'string').map((p) => p.toLowerCase()));
  const regexps = patterns.filter((p): p is RegExp => typeof p !== 'string');
  return (candidates) => {
    for (const candidate of candidates) {
      const lower = candidate.toLowerCase();
      if (exact.has(lower)) return 'blocked value';
      for (const regexp of regexps) {
        regexp.lastIndex = 0;
        if (regexp.test(lower)) return `blocked pattern ${String(regexp)}`;
      }
    }
    return undefined;
  };
}

const EMAIL_DOMAIN = /^[^\s@.]+(\.[^\s@.]+)+$/;

function normalizeEmail(value: string, providers: ReadonlyMap<string, EmailProviderRule>): string | IdentifierRejection {
  const email = value.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  let local = email.slice(0, at);
  let domain = email.slice(at + 1).replace(/\.$/, '');
  // One @, a local part, and a domain of two or more non-empty labels (a trailing dot, the DNS root, is dropped).
  if (at <= 0 || local.includes('@') || !EMAIL_DOMAIN.test(domain) || /\s/.test(email)) return { rejected: 'invalid_email' };
  const rule = providers.get(domain) ?? providers.get('*');
  if (rule?.dropPlusTag) {
    const plus = local.indexOf('+');
    if (plus >= 0) local = local.slice(0, plus);
  }
  if (rule?.dropDots) local = local.replaceAll('.', '');
  if (rule?.canonicalDomain) domain = rule.canonicalDomain;
  if (local.length === 0) return { rejected: 'invalid_email' };
  return `${local}@${domain}`;
}

/**
 * E.164: `+` and 8–15 digits. `+…` and `00…` are international; anything else is national: trunk zeros are
 * dropped and the default country code prepended (for code 1, an 11-digit number starting with 1 already has it).
 * Returns the number and its national part (for the blocked-value check), or a rejection.
 */
function normalizePhone(value: string, countryCode: string | undefined): { e164: string; national: string } | IdentifierRejection {
  const text = value.trim();
  if (!PHONE_CHARACTERS.test(text)) return { rejected: 'invalid_phone', detail: 'only digits, spaces, + ( ) . - / are allowed' };
  const digits = text.replace(/\D/g, '');
  let international: string;
  let national: string;
  if (text.startsWith('+') || digits.startsWith('00')) {
    international = text.startsWith('+') ? digits : digits.slice(2);
    national = countryCode !== undefined && international.startsWith(countryCode) ? international.slice(countryCode.length) : international;
  } else {
    if (countryCode === undefined) return { rejected: 'invalid_phone', detail: 'no country code and no defaultCountryCode' };
    national = digits.replace(/^0+/, '');
    // Written without + but already with the country code (`447911123456`, `14155550100`): no national
    // significant number is that long and starts with its own country code.
    if (digits === national && national.startsWith(countryCode) && national.length - countryCode.length >= 9) national = national.slice(countryCode.length);
    international = countryCode + national;
  }
  if (international.length < 8 || international.length > 15 || international.startsWith('0')) {
    return { rejected: 'invalid_phone', detail: 'E.164 numbers have 8–15 digits after +' };
  }
  return { e164: `+${international}`, national };
}

/**
 * Compiles {@link NormalizeOptions} once, for callers that normalize many values.
 * @example const normalize = createIdentifierNormalizer({ defaultCountryCode: '44' }); normalize('phone', '020 7946 0018') // '+442079460018'
 */
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function createIdentifierNormalizer(options: NormalizeOptions = {}): IdentifierNormalizer {
  const providers = new Map(Object.entries(options.emailProviders ?? DEFAULT_EMAIL_PROVIDERS));
  const isBlocked = compileBlocked(options.blocked ?? DEFAULT_BLOCKED_VALUES);
  const maxLength = options.maxLength ?? MAX_LENGTH;
  const code = options.defaultCountryCode?.replace(/^\+/, '');
  // Calling codes are 1–3 digits; anything else ('uk') is treated as no code rather than glued onto numbers.
  const countryCode = code !== undefined && /^[1-9]\d{0,2}$/.test(code) ? code : undefined;
  const { hash } = options;
  return (type, raw) => {
    if (!isIdentifierType(type)) return { rejected: 'invalid_type' };
    const value = raw.trim();
    if (value.length === 0) return { rejected: 'empty' };
    if (value.length > maxLength) return { rejected: 'too_long' };
    let normalized: string;
    let candidates: string[];
    // A device that hashed the value already (SHA-256 hex of the same normalized form) sends the digest: keep it.
    if ((type === 'email' || type === 'phone') && SHA256_HEX.test(value)) return value;
    if (type === 'email') {
      const email = normalizeEmail(value, providers);
      if (typeof email !== 'string') return email;
      normalized = email;
      // The address as written is checked too: `no.reply@gmail.com` normalizes to `noreply@gmail.com` anyway.
      candidates = [email, value];
    } else if (type === 'phone') {
      const phone = normalizePhone(value, countryCode);
      if ('rejected' in phone) return phone;
      normalized = phone.e164;
      candidates = [phone.e164, phone.national];
    } else {
      normalized = value;
      candidates = [value];
    }
    const blocked = isBlocked(candidates);
    if (blocked !== undefined) return { rejected: 'blocked', detail: blocked };
    return hash ? hash(normalized) : normalized;
  };
}

/**
 * Normalizes one identifier value: emails lower-cased and trimmed with per-provider rules (Gmail drops dots
 * and `+tag`, most others `+tag` only), phones to E.164, ids trimmed; then blocked placeholders are refused
 * and the value is hashed if `hash` is given. Returns the normalized value or `{ rejected }`.
 *
 * @example
 * normalizeIdentifier('email', ' A.nn+shop@GoogleMail.com ') // 'ann@gmail.com'
 * normalizeIdentifier('phone', '(415) 555-0100', { defaultCountryCode: '1' }) // '+14155550100'
 * normalizeIdentifier('userId', 'undefined') // { rejected: 'blocked', detail: … }
 */
export function normalizeIdentifier(type: IdentifierType, value: string, options?: NormalizeOptions): string | IdentifierRejection {
  return createIdentifierNormalizer(options)(type, value);
}
