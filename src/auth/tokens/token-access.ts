// Short-lived access tokens: JWTs (RFC 7519) signed with the key ring's asymmetric key, verified per RFC 8725
// (one allowed algorithm, no `none`, key chosen by kid from our own ring only, iss/aud/exp/nbf checked).
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTPayload, type JWTHeaderParameters } from 'jose';
import { InvalidTokenError } from '../errors.js';
import type { KeyRing } from './token-keys.js';

export interface AccessClaims extends JWTPayload {
  sub: string;
  /** Auth collection the subject belongs to (e.g. `users`, `_superusers`). */
  col?: string;
  /** Space-separated scopes (RFC 8693 style). */
  scope?: string;
  /** Session or refresh-token family id, so a logout can be checked against it. */
  sid?: string;
  /** Issue time in milliseconds: the per-account "valid after" mark is compared with it (`iat` is whole seconds). */
  ims?: number;
}

/** When a token was issued, in ms (tokens without `ims` count from the start of their `iat` second). */
export const issuedMs = (c: AccessClaims): number => (typeof c.ims === 'number' ? c.ims : (c.iat ?? 0) * 1000);

export interface AccessTokenOptions {
  keys: KeyRing;
  issuer: string;
  audience: string;
  /** Lifetime in seconds (default 900). */
  ttlSeconds?: number;
  /** Allowed clock skew in seconds (default 30). */
  clockToleranceSeconds?: number;
  now?: () => number;
}

export interface AccessTokens {
  issue(claims: { sub: string; col?: string; scope?: string; sid?: string; extra?: Record<string, unknown> }): Promise<{ token: string; expiresAt: number }>;
  /** Verified claims, or InvalidTokenError for any defect. */
  verify(token: string): Promise<AccessClaims>;
}

const RESERVED = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sub', 'ims']);

export function createAccessTokens(opts: AccessTokenOptions): AccessTokens {
  const ttl = opts.ttlSeconds ?? 900;
  const tolerance = opts.clockToleranceSeconds ?? 30;
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const alg = opts.keys.alg;
  // Verified tokens, by their exact text, until they expire: a signature is checked once per token,
  // not once per request (EdDSA/ES256 verification dominates an authenticated request otherwise).
  const verified = new Map<string, AccessClaims>();
  const VERIFIED_MAX = 10_000;

  return {
    async issue({ sub, col, scope, sid, extra }) {
      if (typeof sub !== 'string' || sub === '') throw new TypeError('access token needs a subject');
      const { kid, key } = await opts.keys.signingKey();
      const ms = opts.now ? now() * 1000 : Date.now();
      const iat = Math.floor(ms / 1000);
      const payload: Record<string, unknown> = { ims: ms };
      for (const [k, v] of Object.entries(extra ?? {})) if (!RESERVED.has(k)) payload[k] = v;
      if (col !== undefined) payload.col = col;
      if (scope !== undefined) payload.scope = scope;
      if (sid !== undefined) payload.sid = sid;
      const token = await new SignJWT(payload)
        .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
        .setSubject(sub)
        .setIssuer(opts.issuer)
        .setAudience(opts.audience)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + ttl)
        .setJti(randomBytes(12).toString('base64url'))
        .sign(key);
      return { token, expiresAt: iat + ttl };
    },
    async verify(token) {
      if (typeof token !== 'string' || token.length > 8192) throw new InvalidTokenError();
      const hit = verified.get(token);
      if (hit) {
        if (typeof hit.exp === 'number' && now() <= hit.exp + tolerance) return hit;
        verified.delete(token);
      }
      try {
        const { payload } = await jwtVerify(
          token,
          async (header: JWTHeaderParameters) => {
            if (header.alg !== alg || typeof header.kid !== 'string') throw new Error('alg/kid');
            const key = await opts.keys.verificationKey(header.kid);
            if (!key) throw new Error('unknown kid');
            return key;
          },
          {
            algorithms: [alg],
            issuer: opts.issuer,
            audience: opts.audience,
            typ: 'at+jwt',
            requiredClaims: ['sub', 'exp', 'iat'],
            clockTolerance: tolerance,
            currentDate: new Date(now() * 1000),
          },
        );
        if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
        verified.set(token, payload as AccessClaims);
        return payload as AccessClaims;
      } catch {
        // One answer for every defect: do not tell a forger which check caught them.
        throw new InvalidTokenError();
      }
    },
  };
}
