import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNdjsonParser, type NdjsonRowResult } from './ndjson';

function parse(chunks: string[], maxLineLength?: number): NdjsonRowResult[] {
  const parser = createNdjsonParser(maxLineLength === undefined ? {} : { maxLineLength });
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

const summary = (results: NdjsonRowResult[]) => results.map((row) => (row.ok ? [row.line, row.object] : `line ${row.line}: ${row.reason.split(' (')[0]}`));

describe('createNdjsonParser', () => {
  it('reads one object per line (LF or CRLF), skips blank lines, drops a BOM, and rejects what is not an object', () => {
    const text = '\uFEFF{"id":1}\r\n\n{"id":"b","x":{"y":2}}\n[1]\nnull\n{"id":\n"text"\n{"id":"last"}';
    expect(summary(parse([text]))).toEqual([
      [1, { id: 1 }],
      [3, { id: 'b', x: { y: 2 } }],
      'line 4: a JSON array, not an object',
      'line 5: a JSON null, not an object',
      'line 6: not valid JSON',
      'line 7: a JSON string, not an object',
      [8, { id: 'last' }],
    ]);
  });

  it('skips an over-long line and keeps counting lines', () => {
    expect(summary(parse(['{"id":1}\n{"id":"', 'x'.repeat(40), '"}\n{"id":3}\n'], 20))).toEqual([[1, { id: 1 }], 'line 2: line longer than 20 characters; skipped', [3, { id: 3 }]]);
  });

  it('gives the same rows however the text is cut into chunks', () => {
    const text = '{"id":"é","n":"a\\nb"}\r\n\n{"id":2}\nnot json\n{"id":3}';
    const whole = parse([text]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 10 }), (cuts) => {
        const points = [...new Set([0, ...cuts, text.length])].sort((x, y) => x - y);
        expect(parse(points.slice(1).map((end, i) => text.slice(points[i], end)))).toEqual(whole);
      }),
    );
  });
});
