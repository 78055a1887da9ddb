import type { OutgoingEvent } from '@tailor/core';
import { Packr } from 'msgpackr';

/**
 * Events to send together, already encoded: their bytes back to back in `payload`, event i at
 * `payload[offsets[i] .. offsets[i + 1])`. A queued event is only its bytes: one buffer per batch and no
 * event objects, so a long queue (an outage) costs its encoded size and little GC work. The rare paths that
 * need the events themselves (refused, given up) decode them again.
 */
export interface EncodedBatch {
  readonly count: number;
  readonly payload: Uint8Array;
  /** `count + 1` offsets; the last one is the end of the payload. */
  readonly offsets: readonly number[];
}

/**
 * How batches go over the wire. Each event is encoded once, when it is taken, so its exact size is known for
 * batching and a batch body is the encoded events joined, with no second pass over the events.
 */
export interface WireEncoding {
  readonly path: string;
  readonly contentType: string;
  /**
   * Throws for values the format cannot hold (cycles; BigInt in JSON). The result may be a view into a
   * scratch buffer that the next call reuses: copy it (a {@link BatchBuilder} does) before encoding again.
   */
  encodeEvent(event: unknown): Uint8Array;
  decodeEvent(bytes: Uint8Array): OutgoingEvent;
  /** Bytes a body adds around its events: the worst case, for the `maxBatchBytes` check. */
  readonly overheadBytes: number;
  /** Bytes each event adds besides its own encoding (the JSON comma). */
  readonly separatorBytes: number;
  encodeBatch(batch: EncodedBatch, sentAt: string): Uint8Array;
}

export interface BatchBuilder {
  /** Copies an encoded event in. */
  add(bytes: Uint8Array): void;
  readonly count: number;
  /** Body bytes so far, overhead and separators included. */
  readonly bodyBytes: number;
  /** Hands over the batch and starts a new, empty one. */
  take(): EncodedBatch;
}

const INITIAL_BATCH_BYTES = 16_384;

export function createBatchBuilder(encoding: WireEncoding): BatchBuilder {
  let offsets: number[] = [0];
  let payload = Buffer.allocUnsafe(INITIAL_BATCH_BYTES);
  let end = 0;
  return {
    add(bytes) {
      if (end + bytes.length > payload.length) {
        const grown = Buffer.allocUnsafe(Math.max(payload.length * 2, end + bytes.length));
        payload.copy(grown, 0, 0, end);
        payload = grown;
      }
      payload.set(bytes, end);
      end += bytes.length;
      offsets.push(end);
    },
    get count() {
      return offsets.length - 1;
    },
    get bodyBytes() {
      return encoding.overheadBytes + end + (offsets.length - 1) * encoding.separatorBytes;
    },
    take() {
      const batch = { count: offsets.length - 1, payload: payload.subarray(0, end), offsets };
      // The next batch most likely has the size of this one: start there, and skip the doublings.
      payload = Buffer.allocUnsafe(Math.min(Math.max(INITIAL_BATCH_BYTES, end), 1 << 20));
      offsets = [0];
      end = 0;
      return batch;
    },
  };
}

/** Events `from` (inclusive) to `to` (exclusive) of a batch, sharing its payload. */
export function sliceBatch(batch: EncodedBatch, from: number, to: number): EncodedBatch {
  const base = batch.offsets[from] as number;
  return {
    count: to - from,
    payload: batch.payload.subarray(base, batch.offsets[to]),
    offsets: batch.offsets.slice(from, to + 1).map((offset) => offset - base),
  };
}

/** The events of a batch (those at `indexes`, or all), decoded again. */
export function decodeBatch(batch: EncodedBatch, encoding: WireEncoding, indexes?: Iterable<number>): OutgoingEvent[] {
  const out: OutgoingEvent[] = [];
  for (const i of indexes ?? Array.from({ length: batch.count }, (_, n) => n)) {
    if (i < 0 || i >= batch.count) continue;
    out.push(encoding.decodeEvent(batch.payload.subarray(batch.offsets[i], batch.offsets[i + 1])));
  }
  return out;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function createWireEncoding(kind: 'msgpack' | 'json'): WireEncoding {
  return kind === 'msgpack' ? msgpackEncoding() : jsonEncoding();
}

function jsonEncoding(): WireEncoding {
  const open = utf8('{"batch":[');
  const comma = utf8(',');
  return {
    path: '/v1/batch',
    contentType: 'application/json',
    encodeEvent: (event) => utf8(JSON.stringify(event)),
    decodeEvent: (bytes) => JSON.parse(asBuffer(bytes).toString('utf8')) as OutgoingEvent,
    overheadBytes: open.length + utf8('],"sentAt":"2026-11-24T10:00:00.000Z"}').length + 8,
    separatorBytes: 1,
    encodeBatch(batch, sentAt) {
      const parts: Uint8Array[] = [open];
      for (let i = 0; i < batch.count; i++) {
        if (i > 0) parts.push(comma);
        parts.push(batch.payload.subarray(batch.offsets[i], batch.offsets[i + 1]));
      }
      parts.push(utf8(`],"sentAt":${JSON.stringify(sentAt)}}`));
      return Buffer.concat(parts);
    },
  };
}

function msgpackEncoding(): WireEncoding {
  // Records (msgpackr's structure extension) would make an event's bytes depend on what was packed before;
  // plain msgpack keeps each event self-contained, so encoded events can be joined into any batch.
  const packr = new Packr({ useRecords: false });
  const batchKey = Buffer.from(packr.pack('batch'));
  const sentAtKey = Buffer.from(packr.pack('sentAt'));
  // Every event is packed at the start of one scratch buffer (its bytes are copied into a batch right away):
  // left to itself msgpackr would allocate a fresh 8 KB buffer every few events, and GC would pay for it.
  const scratch = Buffer.allocUnsafe(64 * 1024);
  return {
    path: '/v1/events',
    contentType: 'application/msgpack',
    encodeEvent(event) {
      packr.useBuffer(scratch);
      return packr.pack(event);
    },
    decodeEvent: (bytes) => packr.unpack(bytes) as OutgoingEvent,
    overheadBytes: 1 + batchKey.length + 5 + sentAtKey.length + 40,
    separatorBytes: 0,
    encodeBatch(batch, sentAt) {
      // Not packr.pack(sentAt): that would write into the scratch buffer, where the caller's last event may still be.
      return Buffer.concat([Uint8Array.of(0x82), batchKey, arrayHeader(batch.count), batch.payload, sentAtKey, shortString(sentAt)]);
    },
  };
}

/** A msgpack str of under 256 bytes (fixstr or str 8), for `sentAt`. */
function shortString(text: string): Uint8Array {
  const bytes = utf8(text);
  return Buffer.concat([bytes.length < 32 ? Uint8Array.of(0xa0 | bytes.length) : Uint8Array.of(0xd9, bytes.length), bytes]);
}

/** A msgpack array header for `length` items (fixarray, array 16 or array 32). */
function arrayHeader(length: number): Uint8Array {
  if (length < 16) return Uint8Array.of(0x90 | length);
  if (length < 0x10000) return Uint8Array.of(0xdc, length >> 8, length & 0xff);
  const header = Buffer.alloc(5);
  header[0] = 0xdd;
  header.writeUInt32BE(length, 1);
  return header;
}
