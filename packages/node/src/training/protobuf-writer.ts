/**
 * A minimal protobuf encoder, enough to write ONNX ModelProto files: varints (int64 included, negative
 * values as ten-byte two's complement, as protobuf writes them), fixed32 floats, length-delimited strings,
 * bytes and nested messages, and packed repeated numbers. No dependency: onnx-proto is a devDependency only.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;

/** Appends fields to a growing buffer; `finish()` returns the encoded message. */
export class ProtoWriter {
  #bytes = new Uint8Array(256);
  #length = 0;

  /** An unsigned or signed integer field (int32, int64, enum, bool). */
  varint(field: number, value: number): this {
    this.#key(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  /** A float field (fixed32, little-endian IEEE 754 single precision). */
  float(field: number, value: number): this {
    this.#key(field, WIRE_FIXED32);
    this.#float(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.#key(field, WIRE_LENGTH_DELIMITED);
    this.#varint(value.length);
    this.#append(value);
    return this;
  }

  /** An embedded message, written by `build` into a fresh writer. */
  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A repeated float field, packed (one length-delimited run of fixed32 values). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const run = new ProtoWriter();
    for (let i = 0; i < values.length; i++) run.#float(values[i] as number);
    return this.bytes(field, run.finish());
  }

  /** A repeated integer field, packed (one length-delimited run of varints). */
  packedVarints(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const run = new ProtoWriter();
    for (let i = 0; i < values.length; i++) run.#varint(values[i] as number);
    return this.bytes(field, run.finish());
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }

  #key(field: number, wireType: number): void {
    this.#varint(field * 8 + wireType);
  }

  #varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint: ${value} is not a safe integer`);
    if (value >= 0) {
      let rest = value;
      while (rest >= 0x80) {
        this.#byte((rest % 0x80) | 0x80);
        rest = Math.floor(rest / 0x80);
      }
      this.#byte(rest);
      return;
    }
    // Negative int64: the 64-bit two's complement, always ten bytes.
    let low = (value % TWO_32) >>> 0;
    let high = Math.floor(value / TWO_32) >>> 0;
    for (let i = 0; i < 9; i++) {
      this.#byte((low & 0x7f) | 0x80);
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.#byte(low & 0x01);
  }

  #float(value: number): void {
    this.#reserve(4);
    new DataView(this.#bytes.buffer).setFloat32(this.#length, value, true);
    this.#length += 4;
  }

  #byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  #append(value: Uint8Array): void {
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
  }

  #reserve(count: number): void {
    if (this.#length + count <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#length + count) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}
