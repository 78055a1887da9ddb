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

/**
 * An upper bound on the UTF-8 size of `JSON.stringify(value)`, found without building the string.
 * Stops as soon as the bound passes `limit` (the result is then only known to be > limit).
 * Each UTF-16 unit of a string is counted as 6 bytes (the worst case, a `\u00XX` escape), so the bound
 * is loose; callers measure exactly only when the bound is over their limit. Iterative, so deeply
 * nested input cannot overflow the stack.
 */
export function jsonSizeUpperBound(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
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
        } else if (Array.isArray(item)) {
          total += 2 + item.length;
          for (let i = 0; i < item.length; i++) stack.push(item[i]);
        } else {
          total += 2;
          for (const key in item) {
            if (!Object.hasOwn(item, key)) continue;
            total += key.length * 6 + 4;
            stack.push((item as Record<string, unknown>)[key]);
          }
        }
        break;
      default:
        total += 4;
    }
    if (total > limit) return total;
  }
  return total;
}
