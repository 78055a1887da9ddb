/**
 * UTF-8 byte length of a string without TextEncoder (core has no platform globals).
 * Lone surrogates count as 3 bytes, as TextEncoder replaces them with U+FFFD.
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** What {@link inspectJson} found: an upper bound on the JSON size, and the nesting depth (both capped). */
export interface JsonShape {
  /** An upper bound on the UTF-8 size of `JSON.stringify(value)`; only known to be > sizeLimit when over it. */
  readonly bound: number;
  /** Nesting depth of objects and arrays (a flat object is 1); only known to be > depthLimit when over it. */
  readonly depth: number;
}

/**
 * Measures a decoded value without building its JSON: an upper bound on its UTF-8 size and its nesting
 * depth, stopping as soon as either passes its limit. Each UTF-16 unit of a string counts as 6 bytes (the
 * worst case, a `\u00XX` escape), so the bound is loose; callers measure exactly only when it is over their
 * limit. Iterative, so deeply nested input cannot overflow the stack.
 */
export function inspectJson(value: unknown, sizeLimit: number, depthLimit = Number.POSITIVE_INFINITY): JsonShape {
  let total = 0;
  let deepest = 0;
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const item = values.pop();
    const depth = depths.pop() as number;
    switch (typeof item) {
      case 'string':
        total += item.length * 6 + 2;
        break;
      case 'number':
      case 'bigint':
        total += 24;
        break;
      case 'boolean':
      case 'undefined':
        total += 5;
        break;
      case 'object':
        if (item === null) {
          total += 4;
          break;
        }
        if (depth + 1 > deepest) {
          deepest = depth + 1;
          if (deepest > depthLimit) return { bound: total, depth: deepest };
        }
        if (Array.isArray(item)) {
          total += 2 + item.length;
          for (let i = 0; i < item.length; i++) {
            values.push(item[i]);
            depths.push(depth + 1);
          }
        } else {
          total += 2;
          for (const key in item) {
            if (!Object.hasOwn(item, key)) continue;
            total += key.length * 6 + 4;
            values.push((item as Record<string, unknown>)[key]);
            depths.push(depth + 1);
          }
        }
        break;
      default:
        total += 4;
    }
    if (total > sizeLimit) return { bound: total, depth: deepest };
  }
  return { bound: total, depth: deepest };
}

/** An upper bound on the UTF-8 size of `JSON.stringify(value)`; see {@link inspectJson}. */
export function jsonSizeUpperBound(value: unknown, limit: number): number {
  return inspectJson(value, limit).bound;
}
