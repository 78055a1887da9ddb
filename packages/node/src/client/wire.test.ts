import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../collector/decode';
import { extractItems } from '../collector/ingest';
import { createBatchBuilder, createWireEncoding, decodeBatch, sliceBatch, type WireEncoding } from './wire';

const SENT_AT = '2026-11-24T10:00:00.000Z';

function batchOf(encoding: WireEncoding, events: readonly unknown[]) {
  const builder = createBatchBuilder(encoding);
  for (const event of events) builder.add(encoding.encodeEvent(event));
  return builder.take();
}

/** What the collector reads out of a body: its real decoder and batch extraction. */
function collectorReads(body: Uint8Array, contentType: string) {
  const decoded = decodeBody(body, contentType, undefined, Number.MAX_SAFE_INTEGER);
  if (!decoded.ok) throw new Error(decoded.message);
  const items = extractItems(decoded.value, undefined);
  if (!items.ok) throw new Error(items.message);
  return { items: items.items, sentAt: items.sentAt };
}

describe.each(['msgpack', 'json'] as const)('%s batches', (kind) => {
  const encoding = createWireEncoding(kind);

  it('are read back by the collector as the events joined, with sentAt (property)', () => {
    const event = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        // msgpackr renames a `__proto__` key on decode (its guard against prototype pollution), so such
        // events do not round-trip by design; the collector's fuzz test covers them.
        fc.pre(!JSON.stringify(events).includes('"__proto__"'));
        // JSON has no -0; compare with what JSON would carry.
        const expected = JSON.parse(JSON.stringify(events)) as unknown[];
        const batch = batchOf(encoding, expected);
        expect(collectorReads(encoding.encodeBatch(batch, SENT_AT), encoding.contentType)).toEqual({ items: expected, sentAt: SENT_AT });
        // Halves (a 413) are batches of their own, and the events decode back (for refused/undelivered reports).
        const half = Math.ceil(expected.length / 2);
        expect(collectorReads(encoding.encodeBatch(sliceBatch(batch, half, expected.length), SENT_AT), encoding.contentType).items).toEqual(expected.slice(half));
        expect(decodeBatch(batch, encoding)).toEqual(expected);
        expect(decodeBatch(sliceBatch(batch, 0, half), encoding, [half - 1])).toEqual(expected.slice(half - 1, half));
      }),
    );
  });

  it.each([0, 1, 15, 16, 65_535, 65_536])('hold %i events (every array header size)', (count) => {
    const batch = batchOf(encoding, Array.from({ length: count }, (_, i) => ({ i })));
    const { items } = collectorReads(encoding.encodeBatch(batch, SENT_AT), encoding.contentType);
    expect(items).toHaveLength(count);
    expect(items.at(-1)).toEqual(count === 0 ? undefined : { i: count - 1 });
  });

  it('stay within the overhead they announce', () => {
    const builder = createBatchBuilder(encoding);
    for (const event of [{ a: 1 }, { b: 'two' }]) builder.add(encoding.encodeEvent(event));
    const announced = builder.bodyBytes;
    expect(encoding.encodeBatch(builder.take(), SENT_AT).length).toBeLessThanOrEqual(announced);
  });
});
