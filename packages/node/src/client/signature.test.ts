import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature';

const SECRET = 'sk_test_0123456789abcdefghijklmn';
const NOW = Date.UTC(2026, 10, 24, 10, 0, 0);
const body = Buffer.from('{"batch":[{"type":"track","event":"Order Completed"}]}');

describe('signBody / verifySignature', () => {
  it('signs "<t>." followed by the body bytes with HMAC-SHA256, as the collector recomputes it', () => {
    const header = signBody(SECRET, body, NOW);
    const expected = createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from(`${NOW}.`), body])).digest('hex');
    expect(header).toBe(`t=${NOW},v1=${expected}`);
    expect(verifySignature(SECRET, header, body, NOW)).toEqual({ ok: true });
  });

  it('signs a string as its UTF-8 bytes, the bytes fetch sends', () => {
    const text = '{"name":"Crème brûlée 🍮"}';
    expect(verifySignature(SECRET, signBody(SECRET, text, NOW), Buffer.from(text, 'utf8'), NOW)).toEqual({ ok: true });
  });

  it('accepts any body and time within the tolerance (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), fc.integer({ min: -300_000, max: 300_000 }), (bytes, skew) => {
        expect(verifySignature(SECRET, signBody(SECRET, bytes, NOW), bytes, NOW + skew)).toEqual({ ok: true });
      }),
    );
  });

  it('refuses a body changed after signing (any single byte flipped)', () => {
    const header = signBody(SECRET, body, NOW);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: body.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const tampered = Buffer.from(body);
        tampered[at] = (tampered[at] as number) ^ flip;
        const check = verifySignature(SECRET, header, tampered, NOW);
        expect(check).toEqual({ ok: false, reason: expect.stringContaining('does not match') });
      }),
    );
    expect(verifySignature(SECRET, header, Buffer.concat([body, Buffer.from(' ')]), NOW).ok).toBe(false);
  });

  it('refuses a signature made with another secret', () => {
    const check = verifySignature(SECRET, signBody('sk_other_0123456789abcdefghijk', body, NOW), body, NOW);
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('another secret') });
  });

  it('refuses a timestamp moved forward to dodge the tolerance (it is inside the MAC)', () => {
    const old = signBody(SECRET, body, NOW - 600_000);
    const moved = old.replace(/^t=\d+/, `t=${NOW}`);
    expect(verifySignature(SECRET, moved, body, NOW).ok).toBe(false);
  });

  it('refuses stale and future timestamps past the tolerance', () => {
    const stale = verifySignature(SECRET, signBody(SECRET, body, NOW - 300_001), body, NOW);
    expect(stale).toEqual({ ok: false, reason: expect.stringMatching(/300\.0 s old; requests must be signed within 300 s/) });
    expect(verifySignature(SECRET, signBody(SECRET, body, NOW - 300_000), body, NOW)).toEqual({ ok: true });
    expect(verifySignature(SECRET, signBody(SECRET, body, NOW + 300_001), body, NOW)).toEqual({ ok: false, reason: expect.stringContaining('future') });
    expect(verifySignature(SECRET, signBody(SECRET, body, NOW - 20_000), body, NOW, 10_000).ok).toBe(false);
  });

  it.each([
    ['missing', undefined, 'no x-tailor-signature'],
    ['empty', '', 'no x-tailor-signature'],
    ['no t', `v1=${'a'.repeat(64)}`, 't is missing'],
    ['t not a number', `t=soon,v1=${'a'.repeat(64)}`, 't is missing'],
    ['no v1', `t=${NOW}`, 'no 64-digit hex v1'],
    ['short v1', `t=${NOW},v1=abc`, 'no 64-digit hex v1'],
    ['non-hex v1', `t=${NOW},v1=${'z'.repeat(64)}`, 'no 64-digit hex v1'],
    ['garbage', 'Bearer sk_live', 't is missing'],
  ])('refuses a malformed header (%s) with a reason, without throwing', (_, header, reason) => {
    expect(verifySignature(SECRET, header, body, NOW)).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('accepts the header when one of several v1 values matches (secret rotation)', () => {
    const current = signBody(SECRET, body, NOW);
    const previous = signBody('sk_previous_0123456789abcdefgh', body, NOW).split('v1=')[1] as string;
    expect(verifySignature(SECRET, `${current},v1=${previous}`, body, NOW)).toEqual({ ok: true });
    expect(verifySignature(SECRET, `t=${NOW},v1=${previous}`, body, NOW).ok).toBe(false);
  });
});
