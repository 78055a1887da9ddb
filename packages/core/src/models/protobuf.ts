/**
 * Just enough of the protobuf wire format to read (and minimally re-wrap) ONNX files, with no dependency.
 * Every read is bounds-checked; a malformed buffer raises {@link MalformedProtobuf}, which the ONNX reader
 * turns into a result, so no caller ever sees it.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** Raised by {@link ProtoReader} on bytes that are not valid protobuf; caught by `readOnnxModel`. */
export class MalformedProtobuf extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedProtobuf';
  }
}

const TWO_32 = 4294967296;

/** A cursor over one message's bytes (`start`..`end` of a shared buffer). */
export class ProtoReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  /** Offset of the next byte to read, in the whole buffer. */
  get position(): number {
    return this.#pos;
  }

  hasMore(): boolean {
    return this.#pos < this.#end;
  }

  /** Reads a field key: `field * 8 + wireType` (split it with {@link fieldOf} and {@link wireTypeOf}). */
  readKey(): number {
    const key = this.readVarint();
    if (key < 8) throw new MalformedProtobuf(`invalid field key ${key} at byte ${this.#pos}`);
    return key;
  }

  /** An unsigned varint; values past 2^53 (never used by ONNX for sizes or ids) lose precision. */
  readVarint(): number {
    return this.#varint(false);
  }

  /** A signed int64 varint (two's complement, as protobuf writes negative int64 values). */
  readInt64(): number {
    return this.#varint(true);
  }

  readFloat(): number {
    this.#need(4);
    const value = this.#view.getFloat32(this.#pos, true);
    this.#pos += 4;
    return value;
  }

  readDouble(): number {
    this.#need(8);
    const value = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return value;
  }

  /** The bounds of a length-delimited payload; the cursor moves past it. */
  readLength(): { start: number; end: number } {
    const length = this.readVarint();
    this.#need(length);
    const start = this.#pos;
    this.#pos += length;
    return { start, end: this.#pos };
  }

  /** A reader over an embedded message. */
  readMessage(): ProtoReader {
    const { start, end } = this.readLength();
    return new ProtoReader(this.#bytes, start, end);
  }

  readBytes(): Uint8Array {
    const { start, end } = this.readLength();
    return this.#bytes.subarray(start, end);
  }

  readString(): string {
    return decodeUtf8(this.readBytes());
  }

  /**
   * One or more values of a repeated scalar field: packed (one length-delimited run) or not (one value
   * per key, with `scalarWireType`), as protobuf readers must accept both.
   */
  readRepeated(wireType: number, scalarWireType: number, read: (reader: ProtoReader) => number, into: number[]): void {
    if (wireType === scalarWireType) {
      into.push(read(this));
      return;
    }
    if (wireType !== WIRE_LENGTH_DELIMITED) throw new MalformedProtobuf(`repeated field has wire type ${wireType} at byte ${this.#pos}`);
    const packed = this.readMessage();
    while (packed.hasMore()) into.push(read(packed));
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.readVarint();
        return;
      case WIRE_FIXED64:
        this.#need(8);
        this.#pos += 8;
        return;
      case WIRE_LENGTH_DELIMITED:
        this.readLength();
        return;
      case WIRE_FIXED32:
        this.#need(4);
        this.#pos += 4;
        return;
      default:
        // Groups (3, 4) are obsolete and ONNX never writes them; 6 and 7 are not wire types.
        throw new MalformedProtobuf(`unsupported wire type ${wireType} at byte ${this.#pos}`);
    }
  }

  #varint(signed: boolean): number {
    let low = 0;
    let high = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw new MalformedProtobuf(`truncated varint at byte ${this.#pos}`);
      const byte = this.#bytes[this.#pos++] as number;
      if (i < 4) low |= (byte & 0x7f) << (7 * i);
      else if (i === 4) {
        low |= (byte & 0x0f) << 28;
        high |= (byte & 0x7f) >> 4;
      } else high |= (byte & 0x7f) << (7 * i - 32);
      if ((byte & 0x80) === 0) return (signed ? high | 0 : high >>> 0) * TWO_32 + (low >>> 0);
    }
    throw new MalformedProtobuf(`varint longer than 10 bytes at byte ${this.#pos}`);
  }

  #need(count: number): void {
    const left = this.#end - this.#pos;
    if (count > left) throw new MalformedProtobuf(`a field needs ${count} bytes but its message has ${left} left at byte ${this.#pos}`);
  }
}

export const fieldOf = (key: number): number => Math.floor(key / 8);
export const wireTypeOf = (key: number): number => key % 8;

/** Checks the wire type of a singular field. */
export function expectWireType(key: number, expected: number, what: string): void {
  if (wireTypeOf(key) !== expected) throw new MalformedProtobuf(`${what} has wire type ${wireTypeOf(key)}, expected ${expected}`);
}

/**
 * UTF-8 to a string (core has no TextDecoder), following the WHATWG decoder so invalid or truncated
 * sequences become U+FFFD exactly where TextDecoder puts them.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  let out = '';
  let needed = 0;
  let seen = 0;
  let code = 0;
  let lower = 0x80;
  let upper = 0xbf;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (needed === 0) {
      if (byte <= 0x7f) out += String.fromCharCode(byte);
      else if (byte >= 0xc2 && byte <= 0xdf) [needed, code] = [1, byte & 0x1f];
      else if (byte >= 0xe0 && byte <= 0xef) {
        if (byte === 0xe0) lower = 0xa0;
        if (byte === 0xed) upper = 0x9f;
        [needed, code] = [2, byte & 0x0f];
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        if (byte === 0xf0) lower = 0x90;
        if (byte === 0xf4) upper = 0x8f;
        [needed, code] = [3, byte & 0x07];
      } else out += '\ufffd';
      continue;
    }
    if (byte < lower || byte > upper) {
      // The sequence ends early: one replacement for it, then this byte starts afresh.
      [needed, seen, code, lower, upper] = [0, 0, 0, 0x80, 0xbf];
      out += '\ufffd';
      i--;
      continue;
    }
    [lower, upper] = [0x80, 0xbf];
    code = (code << 6) | (byte & 0x3f);
    if (++seen === needed) {
      out += String.fromCodePoint(code);
      [needed, seen, code] = [0, 0, 0];
    }
  }
  return needed === 0 ? out : `${out}\ufffd`;
}

/** Bytes of an unsigned varint. */
export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** UTF-8 bytes of a string (core has no TextEncoder). */
export function encodeUtf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return Uint8Array.from(out);
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A length-delimited field: key, length, payload. */
export function encodeLengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return concatBytes([encodeVarint(field * 8 + WIRE_LENGTH_DELIMITED), encodeVarint(payload.length), payload]);
}

/** A varint field: key, value. */
export function encodeVarintField(field: number, value: number): Uint8Array {
  return concatBytes([encodeVarint(field * 8 + WIRE_VARINT), encodeVarint(value)]);
}
