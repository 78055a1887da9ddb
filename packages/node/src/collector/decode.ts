import { isUtf8 } from 'node:buffer';
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import { unpack } from 'msgpackr';

export type DecodeResult = { readonly ok: true; readonly value: unknown; readonly bytes: number } | { readonly ok: false; readonly status: 400 | 413 | 415; readonly message: string };

/**
 * Turns a request body into a value: decompresses (gzip, deflate, br) with a hard cap on the output so a
 * compression bomb costs at most `maxBytes`, then parses JSON or msgpack. Never throws.
 */
export function decodeBody(body: Uint8Array, contentType: string | undefined, contentEncoding: string | undefined, maxBytes: number): DecodeResult {
  let raw: Uint8Array = body;
  const encoding = contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    try {
      const options = { maxOutputLength: maxBytes + 1 };
      if (encoding === 'gzip' || encoding === 'x-gzip') raw = gunzipSync(body, options);
      else if (encoding === 'deflate') raw = inflateSync(body, options);
      else if (encoding === 'br') raw = brotliDecompressSync(body, options);
      else return { ok: false, status: 415, message: `Content-Encoding "${encoding}" is not supported; send gzip, deflate, br or none` };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || /too large|maxOutputLength/i.test(String((error as Error).message))) {
        return { ok: false, status: 413, message: `the decompressed body is over ${maxBytes} bytes, the limit per request` };
      }
      return { ok: false, status: 400, message: `the ${encoding} body could not be decompressed (${(error as Error).message}); send a complete ${encoding} stream` };
    }
  }
  if (raw.byteLength > maxBytes) return { ok: false, status: 413, message: `the body is ${raw.byteLength} bytes; the limit is ${maxBytes} bytes per request` };
  if (raw.byteLength === 0) return { ok: false, status: 400, message: 'the body is empty; send a JSON object' };

  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (type === 'application/msgpack' || type === 'application/x-msgpack' || type === 'application/vnd.msgpack') {
    try {
      return { ok: true, value: unpack(raw), bytes: raw.byteLength };
    } catch (error) {
      return { ok: false, status: 400, message: `the body is not valid msgpack (${(error as Error).message})` };
    }
  }
  // Segment clients send application/json, text/plain (sendBeacon) or nothing: all are read as JSON.
  if (!isUtf8(raw)) return { ok: false, status: 400, message: 'the body is not valid UTF-8; encode JSON bodies as UTF-8' };
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text), bytes: raw.byteLength };
  } catch (error) {
    return { ok: false, status: 400, message: `the body is not valid JSON (${(error as Error).message})` };
  }
}
