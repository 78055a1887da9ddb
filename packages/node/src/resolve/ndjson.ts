/**
 * Newline-delimited JSON, streamed: one object per line (LF or CRLF), blank lines skipped, a leading BOM
 * dropped. A line that is not a JSON object, or is longer than the limit, is returned as a rejection with
 * its line number; no input throws.
 */

export type NdjsonRowResult =
  | { readonly ok: true; readonly line: number; readonly object: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly line: number; readonly reason: string };

export interface NdjsonParser {
  push(text: string): NdjsonRowResult[];
  end(): NdjsonRowResult[];
}

/**
 * @example
 * const parser = createNdjsonParser();
 * parser.push('{"id":"1","email":"ann@x.com"}\n{"id":'); // [{ ok: true, line: 1, object: … }]
 * parser.push('"2"}\n'); // [{ ok: true, line: 2, object: … }]
 */
export function createNdjsonParser(options: { readonly maxLineLength?: number } = {}): NdjsonParser {
  const maxLineLength = options.maxLineLength ?? 1 << 20;
  let partial = '';
  let line = 1;
  let skipping = false;
  let started = false;

  const parseLine = (text: string, at: number, out: NdjsonRowResult[]) => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      out.push({ ok: false, line: at, reason: `not valid JSON (${(error as Error).message})` });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      out.push({ ok: false, line: at, reason: `a JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, not an object` });
      return;
    }
    out.push({ ok: true, line: at, object: value as Record<string, unknown> });
  };

  const tooLong = (at: number): NdjsonRowResult => ({ ok: false, line: at, reason: `line longer than ${maxLineLength} characters; skipped` });

  return {
    push(text) {
      const out: NdjsonRowResult[] = [];
      if (!started && text.length > 0) {
        started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      let start = 0;
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
        if (skipping) {
          out.push(tooLong(line));
          skipping = false;
        } else {
          const whole = partial + text.slice(start, newline);
          if (whole.length > maxLineLength) out.push(tooLong(line));
          else parseLine(whole.endsWith('\r') ? whole.slice(0, -1) : whole, line, out);
        }
        partial = '';
        start = newline + 1;
        line++;
      }
      if (!skipping) {
        partial += text.slice(start);
        if (partial.length > maxLineLength) {
          skipping = true;
          partial = '';
        }
      }
      return out;
    },
    end() {
      const out: NdjsonRowResult[] = [];
      if (skipping) out.push(tooLong(line));
      else parseLine(partial.endsWith('\r') ? partial.slice(0, -1) : partial, line, out);
      partial = '';
      skipping = false;
      return out;
    },
  };
}
