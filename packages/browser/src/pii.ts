/**
 * Trims and lowercases an email; `undefined` when it is not plausibly one (no `local@domain.tld`, spaces,
 * empty labels, over 254 characters). No provider-specific rewriting (Gmail dots stay).
 *
 * @example
 * normalizeEmail('  Ada@Example.COM '); // 'ada@example.com'
 */
export function normalizeEmail(value: string): string | undefined {
  const email = String(value).trim().toLowerCase();
  return email.length <= 254 && /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(email) ? email : undefined;
}

/**
 * Normalizes a phone number to E.164-like `+<digits>`; `undefined` unless that has 8 to 15 digits.
 *
 * Spaces, dashes, dots and parentheses are dropped; anything else but digits and a leading `+` makes the
 * number invalid. `+` or `00` starts an international number. Otherwise, with `defaultCountryCode` (`'44'`
 * or `'+44'`): a leading `0` is the national trunk prefix and is replaced by the country code, and a number
 * that does not already start with the country code gets it prepended (`'(212) 555-1234'`, `'1'` →
 * `'+12125551234'`). Without it a leading `0` is invalid and other digits are taken as already international.
 * A trunk `0` that belongs to the number (Italy: +39 06…) must be given in international form.
 *
 * @example
 * normalizePhone('07911 123456', '44'); // '+447911123456'
 * normalizePhone('0049 30 1234567'); // '+49301234567'
 */
export function normalizePhone(value: string, defaultCountryCode?: string): string | undefined {
  let phone = String(value).replace(/[\s\-.()]/g, '');
  const code = (defaultCountryCode ?? '').replace(/^\+/, '');
  if (phone.startsWith('00')) phone = `+${phone.slice(2)}`;
  else if (!phone.startsWith('+') && /^[1-9]\d{0,2}$/.test(code)) {
    phone = `+${phone.startsWith('0') ? code + phone.slice(1) : phone.startsWith(code) ? phone : code + phone}`;
  } else if (!phone.startsWith('+')) phone = `+${phone}`;
  // Country codes never start with 0.
  return /^\+[1-9]\d{7,14}$/.test(phone) ? phone : undefined;
}

/**
 * The lowercase hex SHA-256 of the UTF-8 text, by WebCrypto (`crypto.subtle` at call time unless given).
 * Resolves `undefined` when WebCrypto is missing (insecure `http:` pages have no `crypto.subtle`) or fails;
 * never rejects.
 *
 * @example
 * await sha256Hex('abc'); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export async function sha256Hex(text: string, subtle?: SubtleCrypto): Promise<string | undefined> {
  try {
    const digest = await (subtle ?? globalThis.crypto.subtle).digest('SHA-256', new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
  } catch {
    return undefined;
  }
}

/**
 * A copy of `traits` where top-level `email` and/or `phone` are replaced by the SHA-256 hex of their
 * normalized form (same keys). When hashing was asked, a value is never sent in clear: one that does not
 * normalize, or that cannot be hashed because WebCrypto is missing, is dropped. A value that already is a
 * SHA-256 hex (64 lowercase hex digits) is kept as it is.
 * `subtle` replaces `crypto.subtle` (tests, or a WebCrypto of your own).
 *
 * @example
 * await hashIdentifiers({ email: 'Ada@Example.com', plan: 'gold' }, { email: true });
 * // { email: '<sha256 of ada@example.com>', plan: 'gold' }
 */
export async function hashIdentifiers(
  traits: Record<string, unknown>,
  options: { email?: boolean; phone?: boolean; defaultCountryCode?: string; subtle?: SubtleCrypto },
): Promise<Record<string, unknown>> {
  const copy = { ...traits };
  for (const key of ['email', 'phone'] as const) {
    if (!options[key] || !Object.hasOwn(copy, key)) continue;
    const value = copy[key];
    let hash: string | undefined;
    if (typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)) hash = value;
    else if (typeof value === 'string' || typeof value === 'number') {
      const normalized =
        key === 'email' ? normalizeEmail(`${value}`) : normalizePhone(`${value}`, options.defaultCountryCode);
      if (normalized) hash = await sha256Hex(normalized, options.subtle);
    }
    if (hash) copy[key] = hash;
    else delete copy[key];
  }
  return copy;
}

const MAX_DEPTH = 32;

/**
 * A deep copy of `value` without the keys that match `denylist` (a string matches the exact key, a
 * RegExp tests it), at any depth, inside arrays too. The input is not changed.
 *
 * The copy is the JSON view that would be sent: a value with `toJSON` (a Date) is copied as its result.
 * Objects nested deeper than 32 levels are dropped rather than copied unchecked, so hostile input cannot
 * overflow the stack; an object reached twice is copied once (a cycle stays a cycle). Keys such as
 * `__proto__` become plain own properties, never a prototype.
 *
 * @example
 * redact({ user: { email: 'a@b.co', name: 'Ada' } }, ['email']); // { user: { name: 'Ada' } }
 */
export function redact(
  value: Record<string, unknown>,
  denylist: readonly (string | RegExp)[],
): Record<string, unknown> {
  const copies = new Map<object, unknown>();
  // `search` ignores a RegExp's `lastIndex`, so a /g pattern cannot alternate between hit and miss.
  const denied = (key: string) => denylist.some((d) => (typeof d === 'string' ? d === key : key.search(d) >= 0));
  const copy = (input: unknown, depth: number): unknown => {
    if (input === null || typeof input !== 'object') return input;
    if (depth > MAX_DEPTH) return undefined;
    if (copies.has(input)) return copies.get(input);
    const { toJSON } = input as { toJSON?: unknown };
    // One level deeper, so a toJSON that returns a fresh object with a toJSON of its own stops too.
    if (typeof toJSON === 'function') return copy(toJSON.call(input), depth + 1);
    if (Array.isArray(input)) {
      const out: unknown[] = [];
      copies.set(input, out);
      for (const item of input) out.push(copy(item, depth + 1));
      return out;
    }
    const out: Record<string, unknown> = {};
    copies.set(input, out);
    for (const key of Object.keys(input)) {
      const item = denied(key) ? undefined : copy((input as Record<string, unknown>)[key], depth + 1);
      if (item !== undefined) {
        Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      }
    }
    return out;
  };
  return (copy(value, 0) ?? {}) as Record<string, unknown>;
}
