// CSRF defence (OWASP CSRF Prevention Cheat Sheet): Fetch Metadata (Sec-Fetch-Site) and Origin/Referer
// verification for cookie-authenticated unsafe requests, plus HMAC-signed tokens bound to the session for forms.
import { createHmac, randomBytes } from 'node:crypto';
import { CsrfError } from '../errors.js';
import { safeEqual } from '../tokens/token-hash.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export interface OriginCheckInput {
  method: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  /** This server's own origin for the request, e.g. `https://app.example.com`. */
  selfOrigin: string;
}

export interface OriginCheckOptions {
  /** Other origins allowed to make cookie-authenticated unsafe requests (exact `scheme://host[:port]`). */
  trustedOrigins?: string[];
  /** Accept requests with neither Sec-Fetch-Site, Origin nor Referer (old clients). Default false. */
  allowMissing?: boolean;
}

const header = (h: OriginCheckInput['headers'], name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.origin === 'null' ? undefined : u.origin;
  } catch {
    return undefined;
  }
}

/**
 * Throws CsrfError when an unsafe request comes from another site. Call it only for cookie-authenticated
 * requests: bearer tokens and API keys are not sent automatically by browsers.
 */
export function assertSameOrigin(input: OriginCheckInput, opts: OriginCheckOptions = {}): void {
  if (SAFE_METHODS.has(input.method.toUpperCase())) return;
  const self = originOf(input.selfOrigin);
  const trusted = new Set([self, ...(opts.trustedOrigins ?? []).map(originOf)].filter(Boolean));
  const origin = header(input.headers, 'origin');
  const site = header(input.headers, 'sec-fetch-site');

  if (origin !== undefined) {
    // Origin is the strongest signal; "null" (sandboxed frames, privacy redirects) is never trusted.
    if (origin !== 'null' && trusted.has(originOf(origin))) return;
    throw new CsrfError('The request Origin is not allowed.');
  }
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return;
    throw new CsrfError('Cross-site request refused.');
  }
  const referer = header(input.headers, 'referer');
  if (referer !== undefined) {
    if (trusted.has(originOf(referer))) return;
    throw new CsrfError('The request Referer is not allowed.');
  }
  if (!opts.allowMissing) throw new CsrfError('The request carries no Origin; cross-site request refused.');
}

export interface CsrfTokens {
  /** A fresh token for a form or a JS client, bound to the session id. */
  issue(sessionId: string): string;
  /** Constant-time check that `token` was issued for this session. */
  verify(sessionId: string, token: string | undefined): boolean;
  /** verify() or throw CsrfError. */
  assert(sessionId: string, token: string | undefined): void;
}

/**
 * Signed, session-bound tokens (the "signed double-submit" pattern): `<nonce>.<hmac(secret, sessionId.nonce)>`.
 * Stateless, so they survive across instances that share the secret.
 */
export function createCsrfTokens(opts: { secret: Buffer }): CsrfTokens {
  if (opts.secret.length < 32) throw new RangeError('CSRF secret must be at least 32 bytes');
  const mac = (sessionId: string, nonce: string) =>
    createHmac('sha256', opts.secret).update(`${sessionId.length}:${sessionId}:${nonce}`).digest('base64url');
  const verify = (sessionId: string, token: string | undefined) => {
    if (typeof token !== 'string' || token.length > 200 || !sessionId) return false;
    const dot = token.indexOf('.');
    if (dot <= 0) return false;
    return safeEqual(token.slice(dot + 1), mac(sessionId, token.slice(0, dot)));
  };
  return {
    issue(sessionId) {
      const nonce = randomBytes(16).toString('base64url');
      return `${nonce}.${mac(sessionId, nonce)}`;
    },
    verify,
    assert(sessionId, token) {
      if (!verify(sessionId, token)) throw new CsrfError('Missing or invalid CSRF token.');
    },
  };
}
