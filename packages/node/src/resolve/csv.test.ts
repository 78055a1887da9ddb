import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCsvParser, type CsvRowResult } from './csv';

function parse(text: string | string[], options?: Parameters<typeof createCsvParser>[0]): CsvRowResult[] {
  const parser = createCsvParser(options);
  return [...(Array.isArray(text) ? text : [text]).flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

const rows = (text: string | string[]) => parse(text).map((row) => (row.ok ? row.fields : `line ${row.line}: ${row.reason}`));

describe('createCsvParser', () => {
  it('reads quoted delimiters, escaped quotes and line breaks inside quotes', () => {
    expect(rows('id,name,note\n1,"Lee, Ann","say ""hi"""\n2,Bo,"two\nlines"\n')).toEqual([
      ['id', 'name', 'note'],
      ['1', 'Lee, Ann', 'say "hi"'],
      ['2', 'Bo', 'two\nlines'],
    ]);
  });

  it('ends rows at LF, CRLF and a lone CR, drops a BOM, skips blank lines, keeps empty fields', () => {
    expect(rows('\uFEFFa,b\r\n1,\r\n\r\n,2\r3,"4"\n\n')).toEqual([['a', 'b'], ['1', ''], ['', '2'], ['3', '4']]);
  });

  it('keeps a quote inside an unquoted field as text', () => {
    expect(rows('h\n5\'10"\n')).toEqual([['h'], ['5\'10"']]);
  });

  it('numbers rows by the line they start on, counting line breaks inside quotes', () => {
    const lines = parse('a,b\n1,"x\r\ny\nz"\n2,w\r\n3,"\rq"\n4,v').map((row) => row.line);
    expect(lines).toEqual([1, 2, 5, 6, 8]);
  });

  it('rejects text after a closing quote and goes on with the next row', () => {
    expect(rows('a,b\n1,"x"y\n2,z\n')).toEqual([['a', 'b'], 'line 2: text after the closing quote of field 2; a quote inside a quoted field is written ""', ['2', 'z']]);
  });

  it('reports a quote that is never closed', () => {
    expect(rows('a,b\n1,"open\n2,z\n')).toEqual([['a', 'b'], 'line 2: a quoted field is never closed: the file ends inside quotes']);
  });

  it('skips an over-long row up to the next line break', () => {
    const result = parse('a\n' + 'x'.repeat(50) + '\nshort\n', { maxRowLength: 20 });
    expect(result.map((row) => (row.ok ? row.fields : row.line))).toEqual([['a'], 2, ['short']]);
  });

  it('gives the same rows however the text is cut into chunks (CR/LF and "" split included)', () => {
    const text = '\uFEFFid,name\r\n1,"a ""q"", b"\r\n2,"multi\r\nline"\r3,x"y\n4,"z"w\n\n5,\n';
    const whole = parse(text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set([0, ...cuts, text.length])].sort((x, y) => x - y);
        const chunks = points.slice(1).map((end, i) => text.slice(points[i], end));
        expect(parse(chunks)).toEqual(whole);
      }),
    );
  });
});
