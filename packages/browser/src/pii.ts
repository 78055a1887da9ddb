import { normalizeIdentifier } from '@tailor/core';

/**
 * Normalizes an email exactly as the collector's identity graph keys it (trimmed, lowercased, provider rules:
 * Gmail drops dots and `+tags`, most providers drop `+tags`), so a digest made on the device equals the
 * graph's key for the same person. `undefined` when it is not an email. Placeholders are not refused here:
 * the collector decides what is blocked.
 *
 * @example
 * normalizeEmail('  Ada.L+shop@Gmail.COM '); // 'adal@gmail.com'
 */
export function normalizeEmail(value: string): string | undefined {
  const email = normalizeIdentifier('email', String(value), { blocked: [] });
  return typeof email === 'string' && email.length <= 254 ? email : undefined;
}

/**
 * Normalizes a phone number to E.164 `+<digits>` exactly as the collector's identity graph does;
 * `undefined` unless that has 8 to 15 digits.
 *
 * `+` or `00` starts an international number. Anything else is national and needs `defaultCountryCode`
 * (`'44'` or `'+44'`): trunk zeros are dropped and the code prepended. Without a country code a national
 * number is refused rather than guessed, since a wrong guess would hash to somebody else's key.
 *
 * @example
 * normalizePhone('07911 123456', '44'); // '+447911123456'
 * normalizePhone('0049 30 1234567'); // '+49301234567'
 */
export function normalizePhone(value: string, defaultCountryCode?: string): string | undefined {
  const phone = normalizeIdentifier('phone', String(value), { blocked: [], ...(defaultCountryCode === undefined ? {} : { defaultCountryCode }) });
  return typeof phone === 'string' ? phone : undefined;
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
