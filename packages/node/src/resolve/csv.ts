/**
 * A streaming RFC 4180 CSV parser: text goes in chunk by chunk (a chunk may end anywhere, even inside a
 * quoted field or between CR and LF), complete rows come out. Quoted fields may hold delimiters, `""`
 * (an escaped quote) and line breaks; rows end at LF, CRLF or a lone CR; a leading BOM is dropped; empty
 * lines are skipped; a quote inside an unquoted field is kept as text. A malformed row is returned as a rejection with its line and the reason, and parsing
 * goes on with the next row: no input throws.
 */

/** A row, or why the row starting at `line` could not be read. `line` is 1-based (the header is line 1). */
export type CsvRowResult = { readonly ok: true; readonly line: number; readonly fields: string[] } | { readonly ok: false; readonly line: number; readonly reason: string };

export interface CsvParserOptions {
  /** Default `,`. One character. */
  readonly delimiter?: string;
  /**
   * A row longer than this many characters is rejected and skipped up to the next line break, so an
   * unterminated quote cannot buffer the rest of a large file. Default 1 MiB.
   */
  readonly maxRowLength?: number;
}

export interface CsvParser {
  /** Parses one more chunk; returns the rows it completed. */
  push(text: string): CsvRowResult[];
  /** Ends the input; returns the last row if the text did not end with a line break. */
  end(): CsvRowResult[];
}

const QUOTE = 34; // "
const LF = 10;
const CR = 13;

const enum State {
  /** At the start of a field. */
  FieldStart,
  /** Inside a field that did not start with a quote. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Just after a quote inside a quoted field: an escaped quote, or the field's end. */
  QuoteInQuoted,
  /** Discarding the rest of an over-long row, up to the next line break. */
  Skipping,
}

/**
 * @example
 * const parser = createCsvParser();
 * parser.push('id,name\r\n1,"Lee, Ann"\r\n2,"say ""hi"""\n'); // rows 1–3
 * parser.end();
 */
export function createCsvParser(options: CsvParserOptions = {}): CsvParser {
  const delimiter = (options.delimiter ?? ',').charCodeAt(0);
  const maxRowLength = options.maxRowLength ?? 1 << 20;
  let state = State.FieldStart;
  let fields: string[] = [];
  let field = '';
  let rowLength = 0;
  let rowError: string | undefined;
  let line = 1;
  let rowLine = 1;
  /** The last character was a CR that ended a row: an LF right after it belongs to the same break. */
  let afterCr = false;
  let started = false;
  let quotedFields = false;
  /** The last character was a CR inside quotes (a CRLF there is one line). */
  let quotedCr = false;

  const finishRow = (out: CsvRowResult[]) => {
    fields.push(field);
    const blank = fields.length === 1 && field === '' && !quotedFields;
    if (rowError !== undefined) out.push({ ok: false, line: rowLine, reason: rowError });
    else if (!blank) out.push({ ok: true, line: rowLine, fields });
    fields = [];
    field = '';
    rowLength = 0;
    rowError = undefined;
    quotedFields = false;
    state = State.FieldStart;
  };

  /** A line break outside quotes: LF, CRLF or a lone CR. */
  const lineBreak = (code: number, out: CsvRowResult[]) => {
    line++;
    afterCr = code === CR;
    if (state === State.Skipping) {
      out.push({ ok: false, line: rowLine, reason: rowError ?? 'row too long' });
      fields = [];
      field = '';
      rowLength = 0;
      rowError = undefined;
      quotedFields = false;
      state = State.FieldStart;
    } else finishRow(out);
    rowLine = line;
  };

  const push = (text: string): CsvRowResult[] => {
    const out: CsvRowResult[] = [];
    let i = 0;
    if (!started && text.length > 0) {
      started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    // Characters of the current field are taken as one slice from `run` when the state changes.
    let run = i;
    for (; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (afterCr) {
        afterCr = false;
        if (code === LF) {
          run = i + 1;
          continue;
        }
      }
      switch (state) {
        case State.FieldStart:
          if (code === QUOTE) {
            state = State.Quoted;
            quotedFields = true;
            run = i + 1;
          } else if (code === delimiter) {
            fields.push('');
            run = i + 1;
          } else if (code === LF || code === CR) {
            lineBreak(code, out);
            run = i + 1;
          } else {
            state = State.Unquoted;
            run = i;
          }
          break;
        case State.Unquoted:
          if (code === delimiter) {
            fields.push(field + text.slice(run, i));
            field = '';
            state = State.FieldStart;
            run = i + 1;
          } else if (code === LF || code === CR) {
            field += text.slice(run, i);
            lineBreak(code, out);
            run = i + 1;
          }
          // A quote inside an unquoted field (`5'10"`) is taken literally, as most CSV writers mean it.
          break;
        case State.Quoted:
          if (code === QUOTE) {
            field += text.slice(run, i);
            state = State.QuoteInQuoted;
            run = i + 1;
          } else if (code === CR || (code === LF && !quotedCr)) {
            line++;
          }
          quotedCr = code === CR;
          break;
        case State.QuoteInQuoted:
          if (code === QUOTE) {
            field += '"';
            state = State.Quoted;
            run = i + 1;
          } else if (code === delimiter) {
            fields.push(field);
            field = '';
            state = State.FieldStart;
            run = i + 1;
          } else if (code === LF || code === CR) {
            lineBreak(code, out);
            run = i + 1;
          } else {
            rowError ??= `text after the closing quote of field ${fields.length + 1}; a quote inside a quoted field is written ""`;
            state = State.Unquoted;
            run = i;
          }
          break;
        case State.Skipping:
          if (code === LF || code === CR) lineBreak(code, out);
          run = i + 1;
          break;
      }
      if (state !== State.Skipping && ++rowLength > maxRowLength) {
        rowError = `row longer than ${maxRowLength} characters (an unterminated quote?); skipped up to the next line break`;
        state = State.Skipping;
        fields = [];
        field = '';
      }
    }
    if (state === State.Unquoted || state === State.Quoted) field += text.slice(run);
    return out;
  };

  return {
    push,
    end() {
      const out: CsvRowResult[] = [];
      if (state === State.Quoted) {
        out.push({ ok: false, line: rowLine, reason: 'a quoted field is never closed: the file ends inside quotes' });
      } else if (state === State.Skipping) {
        out.push({ ok: false, line: rowLine, reason: rowError ?? 'row too long' });
      } else if (state !== State.FieldStart || fields.length > 0 || field !== '') {
        finishRow(out);
      }
      fields = [];
      field = '';
      state = State.FieldStart;
      return out;
    },
  };
}
