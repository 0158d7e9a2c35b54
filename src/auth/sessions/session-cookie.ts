// Session cookie attributes (RFC 6265bis): `__Host-` prefix on HTTPS (Secure, Path=/, no Domain), HttpOnly,
// SameSite=Lax; plus a strict Cookie header parser.

export interface CookieOptions {
  /** Base name (default `strata_session`); becomes `__Host-<name>` on HTTPS. */
  name?: string;
  /** True when the site is served over HTTPS (production). */
  secure: boolean;
  sameSite?: 'Lax' | 'Strict';
  /** Persistent cookie lifetime in seconds; omitted = browser-session cookie. */
  maxAgeSeconds?: number;
}

export interface SessionCookie {
  readonly name: string;
  /** `Set-Cookie` value carrying the session id. */
  serialize(value: string): string;
  /** `Set-Cookie` value that deletes the cookie. */
  clear(): string;
  /** The session id from a `Cookie` request header, if present. */
  read(cookieHeader: string | undefined): string | undefined;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const VALUE_RE = /^[A-Za-z0-9_.-]{1,512}$/;

/** Parse a Cookie header into name → first value (later duplicates cannot shadow the first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof header !== 'string' || header.length > 16_384) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

export function createSessionCookie(opts: CookieOptions): SessionCookie {
  const base = opts.name ?? 'strata_session';
  if (!NAME_RE.test(base)) throw new RangeError(`invalid cookie name ${JSON.stringify(base)}`);
  const name = opts.secure ? `__Host-${base}` : base;
  const attrs = ['Path=/', 'HttpOnly', `SameSite=${opts.sameSite ?? 'Lax'}`];
  if (opts.secure) attrs.push('Secure');
  return {
    name,
    serialize(value) {
      if (!VALUE_RE.test(value)) throw new RangeError('invalid cookie value');
      const maxAge = opts.maxAgeSeconds !== undefined ? [`Max-Age=${Math.floor(opts.maxAgeSeconds)}`] : [];
      return [`${name}=${value}`, ...attrs, ...maxAge].join('; ');
    },
    clear() {
      return [`${name}=`, ...attrs, 'Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT'].join('; ');
    },
    read(header) {
      const v = parseCookies(header).get(name);
      return v !== undefined && VALUE_RE.test(v) ? v : undefined;
    },
  };
}
