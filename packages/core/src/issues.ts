/**
 * One problem with one event, as data. A collector's 4xx body carries these as they are, so a person
 * can find the event (`index`, `messageId`), the field (`path`) and what to change (`message`).
 */
export interface EventIssue {
  /** Position of the event in its batch (0 for a single event). */
  readonly index: number;
  readonly messageId?: string;
  /** The track event's name, where there is one. */
  readonly event?: string;
  /** Dot path into the event, with `[n]` for array items: `properties.products[0].price`. */
  readonly path: string;
  /** A stable code: zod's issue code, or one of Tailor's (`too_large`, `unplanned_event`). */
  readonly code: string;
  readonly message: string;
  /** `error` rejects the event; `warning` stores it and reports the problem (tracking plan mode `warn`). */
  readonly severity: 'error' | 'warning';
}

/** The structural part of a zod issue that Tailor reads; keeps zod's types out of public signatures. */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `['properties', 'products', 0, 'price']` → `properties.products[0].price`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Names the field in the message, so the text stands on its own in a log line. */
export function describeIssue(path: string, message: string): string {
  return path === '' ? message : `${path}: ${message}`;
}
