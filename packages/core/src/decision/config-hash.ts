/**
 * A content hash of decision config: FNV-1a 64 over the UTF-8 bytes of its canonical JSON (keys sorted,
 * `undefined` left out), as 16 hex digits. Clients cache config by `version` + hash; the hash is not a
 * security check (model files carry a sha256 for that).
 *
 * @example hashDecisionConfig({ version: '3', offers: [] }) === hashDecisionConfig({ offers: [], version: '3' }) // true
 */
export function hashDecisionConfig(config: unknown): string {
  const hash = createFnv1a64();
  writeCanonical(config, hash.writeString);
  return hash.digest();
}

/** JSON with object keys sorted and `undefined` members left out: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  let out = '';
  writeCanonical(value, (text) => {
    out += text;
  });
  return out;
}

function writeCanonical(value: unknown, write: (text: string) => void): void {
  if (value === null || typeof value !== 'object') {
    write(value === undefined ? 'null' : JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    write('[');
    value.forEach((item, index) => {
      if (index > 0) write(',');
      writeCanonical(item, write);
    });
    write(']');
    return;
  }
  const keys = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
  write('{');
  keys.forEach((key, index) => {
    write(index > 0 ? `,${JSON.stringify(key)}:` : `${JSON.stringify(key)}:`);
    writeCanonical((value as Record<string, unknown>)[key], write);
  });
  write('}');
}

/** FNV-1a 64 in four 16-bit limbs, so it needs neither BigInt nor a platform crypto API. */
function createFnv1a64() {
  // offset basis 0xcbf29ce484222325, lowest limb first
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const byte = (b: number) => {
    h0 ^= b;
    // × prime 0x100000001b3 = 2^40 + 0x1b3
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (t1 >>> 16) + ((h0 << 8) & 0xffff);
    const t3 = h3 * 0x1b3 + (t2 >>> 16) + ((h0 >>> 8) | (h1 << 8));
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  const writeString = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (code < 0x80) byte(code);
      else if (code < 0x800) {
        byte(0xc0 | (code >> 6));
        byte(0x80 | (code & 0x3f));
      } else if (code < 0x10000) {
        byte(0xe0 | (code >> 12));
        byte(0x80 | ((code >> 6) & 0x3f));
        byte(0x80 | (code & 0x3f));
      } else {
        byte(0xf0 | (code >> 18));
        byte(0x80 | ((code >> 12) & 0x3f));
        byte(0x80 | ((code >> 6) & 0x3f));
        byte(0x80 | (code & 0x3f));
      }
    }
  };
  const hex = (limb: number) => limb.toString(16).padStart(4, '0');
  return { writeString, digest: () => hex(h3) + hex(h2) + hex(h1) + hex(h0) };
}
