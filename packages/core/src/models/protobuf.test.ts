import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedProtobuf, ProtoReader, WIRE_FIXED32, WIRE_LENGTH_DELIMITED, decodeUtf8, encodeUtf8, encodeVarint } from './protobuf';

describe('protobuf reader', () => {
  it('reads back every unsigned varint it encodes, up to 2^53', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (value) => {
        const reader = new ProtoReader(encodeVarint(value));
        expect(reader.readVarint()).toBe(value);
        expect(reader.hasMore()).toBe(false);
      }),
    );
  });

  it('reads negative int64 values in two’s complement, as protobuf writes them (10 bytes)', () => {
    const minusOne = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(new ProtoReader(minusOne).readInt64()).toBe(-1);
    const minus300 = Uint8Array.of(0xd4, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(new ProtoReader(minus300).readInt64()).toBe(-300);
    expect(new ProtoReader(Uint8Array.of(0xac, 0x02)).readInt64()).toBe(300);
  });

  it('reads packed and unpacked repeated floats alike', () => {
    const packed = Uint8Array.of(8, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0); // length 8: 1.0, -2.0
    const values: number[] = [];
    new ProtoReader(packed).readRepeated(WIRE_LENGTH_DELIMITED, WIRE_FIXED32, (r) => r.readFloat(), values);
    new ProtoReader(Uint8Array.of(0, 0, 0x40, 0x40)).readRepeated(WIRE_FIXED32, WIRE_FIXED32, (r) => r.readFloat(), values);
    expect(values).toEqual([1, -2, 3]);
  });

  it('rejects truncated and overlong input with a message naming the problem', () => {
    expect(() => new ProtoReader(Uint8Array.of(0x80)).readVarint()).toThrow(new MalformedProtobuf('truncated varint at byte 1'));
    expect(() => new ProtoReader(new Uint8Array(11).fill(0xff)).readVarint()).toThrow(/longer than 10 bytes/);
    expect(() => new ProtoReader(Uint8Array.of(5, 1, 2)).readBytes()).toThrow(/needs 5 bytes but its message has 2 left/);
    expect(() => new ProtoReader(Uint8Array.of(1, 2)).readFloat()).toThrow(/needs 4 bytes/);
  });

  it('decodes UTF-8 exactly as TextDecoder does, replacement characters included', () => {
    const decoder = new TextDecoder();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeUtf8(bytes)).toBe(decoder.decode(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(encodeUtf8(text)).toEqual(new TextEncoder().encode(text));
        expect(decodeUtf8(encodeUtf8(text))).toBe(text);
      }),
    );
  });
});
