// Short-lived signed file tokens (`?token=` on downloads, so `<img src>` works without headers):
// HMAC-SHA256 over the caller, the credential it was issued on and an expiry, compared in constant time.
// The credential (grant) lets a download check that it still stands: logout, logout-all, a password
// change or a revoked API key end the file tokens issued on it too (file-token-grant.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../../core/index.js';

/** The credential a file token was issued on: a session, an access token (issued at, family) or an API key. */
export type FileTokenGrant = { kind: 'session'; sid: string } | { kind: 'token'; issuedMs: number; sid?: string } | { kind: 'apiKey'; keyId: string };

export interface FileTokens {
  issue(p: Principal, grant?: FileTokenGrant): { token: string; expiresAt: string };
  /** The caller a token stands for (with its grant, when issued with one); undefined when it is forged, malformed or expired. */
  verify(token: string): (Principal & { grant?: FileTokenGrant }) | undefined;
}

function grantOf(g: unknown): FileTokenGrant | undefined {
  if (!g || typeof g !== 'object') return undefined;
  const x = g as Record<string, unknown>;
  if (x.kind === 'session' && typeof x.sid === 'string') return { kind: 'session', sid: x.sid };
  if (x.kind === 'token' && typeof x.issuedMs === 'number') return typeof x.sid === 'string' ? { kind: 'token', issuedMs: x.issuedMs, sid: x.sid } : { kind: 'token', issuedMs: x.issuedMs };
  if (x.kind === 'apiKey' && typeof x.keyId === 'string') return { kind: 'apiKey', keyId: x.keyId };
  return undefined;
}

/**
 * @example
 * const tokens = fileTokens(key, 120);
 * const { token } = tokens.issue(principal);
 */
export function fileTokens(key: Buffer, ttlSeconds: number, now: () => number = Date.now): FileTokens {
  const mac = (body: string) => createHmac('sha256', key).update(`strata-file-token:${body}`).digest();
  return {
    issue(p, grant) {
      const exp = Math.floor(now() / 1000) + ttlSeconds;
      const body = Buffer.from(JSON.stringify({ c: p.collection, i: p.id, s: p.superuser ? 1 : 0, o: p.scopes, e: exp, ...(grant ? { g: grant } : {}) })).toString('base64url');
      return { token: `${body}.${mac(body).toString('base64url')}`, expiresAt: new Date(exp * 1000).toISOString() };
    },
    verify(token) {
      if (typeof token !== 'string' || token.length > 4096) return undefined;
      const [body, sig, extra] = token.split('.');
      if (!body || !sig || extra !== undefined) return undefined;
      const want = mac(body);
      const got = Buffer.from(sig, 'base64url');
      if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
      let v: { c?: unknown; i?: unknown; s?: unknown; o?: unknown; e?: unknown; g?: unknown };
      try {
        v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof v;
      } catch {
        return undefined;
      }
      if (typeof v.e !== 'number' || v.e * 1000 <= now() || typeof v.c !== 'string' || typeof v.i !== 'string' || !Array.isArray(v.o)) return undefined;
      const p: Principal & { grant?: FileTokenGrant } = { collection: v.c, id: v.i, superuser: v.s === 1, scopes: v.o.filter((x): x is string => typeof x === 'string') };
      const grant = grantOf(v.g);
      if (grant) p.grant = grant;
      return p;
    },
  };
}
