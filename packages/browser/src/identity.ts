/**
 * Who this browser is: an anonymous id in a first-party cookie (so a server reading the request can stitch
 * to it), mirrored in localStorage in case cookies are cleared or blocked; the user id once identified;
 * and the session, renewed after 30 minutes without activity. Nothing is written while `persist` is false
 * (consent not given): the ids then live in memory only.
 */
export interface Session {
  readonly id: string;
  readonly startedAt: number;
  readonly lastActivity: number;
}

export interface IdentityOptions {
  /** Cookie that carries the anonymous id. Default `tlr_aid`. */
  readonly cookieName?: string;
  /** e.g. `.shop.example` to share the id across subdomains. Default: the current host only. */
  readonly cookieDomain?: string;
  /** Inactivity after which a new session starts. Default 30 minutes. */
  readonly sessionTimeoutMs?: number;
}

export interface Identity {
  anonymousId(): string;
  userId(): string | undefined;
  setUserId(userId: string): void;
  /** Marks activity now and returns the current session, starting a new one after the timeout. */
  touch(now: number): Session;
  /** Logout: new anonymous id, no user id, new session. */
  reset(): void;
  /** Turns persistence on (writes what memory holds) or off (stops writing; clears what was stored). */
  setPersist(persist: boolean): void;
}

const KEY_ANON = 'tailor.anonymousId';
const KEY_USER = 'tailor.userId';
const KEY_SESSION = 'tailor.session';
const YEAR_S = 31_536_000;

function storage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // a sandboxed frame throws on access
  }
}

function read(key: string): string | undefined {
  try {
    return storage()?.getItem(key) || undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: string | undefined): void {
  try {
    if (value === undefined) storage()?.removeItem(key);
    else storage()?.setItem(key, value);
  } catch {
    // quota or blocked storage: the value lives in memory for this page
  }
}

function readCookie(name: string): string | undefined {
  if (typeof document === 'undefined') return undefined;
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('=')) || undefined; // a cleared cookie is `name=`
  }
  return undefined;
}

function writeCookie(name: string, value: string | undefined, domain: string | undefined): void {
  if (typeof document === 'undefined') return;
  const secure = typeof location !== 'undefined' && location.protocol === 'https:' ? '; Secure' : '';
  const scope = `; Path=/; SameSite=Lax${domain ? `; Domain=${domain}` : ''}${secure}`;
  document.cookie = value === undefined ? `${name}=; Max-Age=0${scope}` : `${name}=${encodeURIComponent(value)}; Max-Age=${YEAR_S}${scope}`;
}

export function createIdentity(options: IdentityOptions, uuid: () => string, persistInitially: boolean): Identity {
  const cookie = options.cookieName ?? 'tlr_aid';
  const timeout = options.sessionTimeoutMs ?? 1_800_000;
  let persist = persistInitially;
  let anonymous = readCookie(cookie) ?? read(KEY_ANON) ?? uuid();
  let user = read(KEY_USER);
  let session: Session | undefined;
  let savedActivity = 0;
  try {
    const stored = read(KEY_SESSION);
    session = stored === undefined ? undefined : (JSON.parse(stored) as Session);
  } catch {
    session = undefined;
  }

  const save = () => {
    if (!persist) return;
    writeCookie(cookie, anonymous, options.cookieDomain);
    write(KEY_ANON, anonymous);
    write(KEY_USER, user);
    write(KEY_SESSION, session === undefined ? undefined : JSON.stringify(session));
  };
  save();

  return {
    anonymousId: () => anonymous,
    userId: () => user,
    setUserId(userId) {
      user = userId;
      save();
    },
    touch(now) {
      const previous = session;
      if (session === undefined || now - session.lastActivity > timeout || typeof session.id !== 'string') {
        session = { id: uuid(), startedAt: now, lastActivity: now };
      } else session = { ...session, lastActivity: now };
      // localStorage writes are synchronous: on a hot path, write a new session at once and activity at most every 10 s.
      if (persist && (previous?.id !== session.id || now - savedActivity > 10_000)) {
        savedActivity = now;
        write(KEY_SESSION, JSON.stringify(session));
      }
      return session;
    },
    reset() {
      anonymous = uuid();
      user = undefined;
      session = undefined;
      save();
    },
    setPersist(next) {
      persist = next;
      if (next) save();
      else {
        writeCookie(cookie, undefined, options.cookieDomain);
        for (const key of [KEY_ANON, KEY_USER, KEY_SESSION]) write(key, undefined);
      }
    },
  };
}
