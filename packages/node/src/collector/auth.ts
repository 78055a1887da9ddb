import type { Source } from './config';

export interface Credentials {
  readonly source: Source;
  /** True when a secret key was presented: a backend, trusted to set context.ip itself. */
  readonly secret: boolean;
}

/** Maps every key to its source; built once at start. */
export interface KeyRing {
  lookup(key: string): Credentials | undefined;
  /** The first write key of a source, for the settings endpoint. */
  readonly sources: readonly Source[];
}

export function createKeyRing(sources: readonly Source[]): KeyRing {
  const keys = new Map<string, Credentials>();
  for (const source of sources) {
    for (const key of source.writeKeys) keys.set(key, { source, secret: false });
    for (const key of source.secretKeys) keys.set(key, { source, secret: true });
  }
  return { lookup: (key) => keys.get(key), sources };
}

/**
 * The key a request presents, in Segment's ways and ours: HTTP Basic with the key as user and an empty
 * password, `Authorization: Bearer KEY`, or an `X-Write-Key` header. (A `writeKey` in the body is read
 * after decoding.) Returns undefined when the request presents none.
 */
export function keyFromHeaders(authorization: string | undefined, writeKeyHeader: string | undefined): string | undefined {
  if (writeKeyHeader) return writeKeyHeader.trim();
  if (!authorization) return undefined;
  const space = authorization.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}
