import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header that carries a body's HMAC signature. */
export const SIGNATURE_HEADER = 'x-tailor-signature';

/** Five minutes: a signed request older than this is refused, so a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_MS = 300_000;

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

function digest(secret: string, timestamp: string, body: Uint8Array | string): Buffer {
  // The timestamp is inside the MAC, so moving it forward to dodge the tolerance breaks the signature.
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/**
 * The `x-tailor-signature` value for a request body: `t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.
 * Sign the exact bytes you send (a string is signed as its UTF-8 bytes, which is what fetch sends).
 *
 * @example
 * const body = Buffer.from(JSON.stringify({ batch }));
 * headers['x-tailor-signature'] = signBody(secretKey, body, Date.now());
 */
export function signBody(secret: string, body: Uint8Array | string, now: number): string {
  const t = String(Math.floor(now));
  return `t=${t},v1=${digest(secret, t, body).toString('hex')}`;
}

/**
 * Checks a signature made by {@link signBody} against the raw body as received: the MAC (compared in
 * constant time) and the timestamp, which must be within `toleranceMs` of `now` either way. Never throws.
 *
 * @example
 * const check = verifySignature(secretKey, request.header('x-tailor-signature'), request.body, Date.now());
 * if (!check.ok) return problem(401, 'bad_signature', check.reason);
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: Uint8Array,
  now: number,
  toleranceMs: number = SIGNATURE_TOLERANCE_MS,
): SignatureCheck {
  if (header === undefined || header.trim() === '') return { ok: false, reason: `the request has no ${SIGNATURE_HEADER} header; sign every request made with a secret key` };
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    const key = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    if (key === 't') timestamp = value;
    // Several v1 values are allowed so a sender can sign with an old and a new secret while keys rotate.
    else if (key === 'v1') signatures.push(value);
  }
  if (timestamp === undefined || !/^\d{1,16}$/.test(timestamp)) {
    return { ok: false, reason: `${SIGNATURE_HEADER} must look like "t=<unix ms>,v1=<hex>"; its t is missing or not a number` };
  }
  const wellFormed = signatures.filter((value) => /^[0-9a-f]{64}$/i.test(value));
  if (wellFormed.length === 0) return { ok: false, reason: `${SIGNATURE_HEADER} must look like "t=<unix ms>,v1=<hex>"; it has no 64-digit hex v1` };
  const age = now - Number(timestamp);
  if (age > toleranceMs) return { ok: false, reason: `the signature is ${(age / 1000).toFixed(1)} s old; requests must be signed within ${toleranceMs / 1000} s of sending` };
  if (-age > toleranceMs) return { ok: false, reason: `the signature is dated ${(-age / 1000).toFixed(1)} s in the future; check the sender's clock` };
  const expected = digest(secret, timestamp, body);
  let match = false;
  // Every candidate is compared, so the time taken does not tell which one (or whether any) matched.
  for (const candidate of wellFormed) if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) match = true;
  return match ? { ok: true } : { ok: false, reason: 'the signature does not match the body; the request was altered or signed with another secret' };
}
