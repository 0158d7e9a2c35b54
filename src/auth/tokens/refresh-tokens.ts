// Rotating refresh tokens with reuse detection (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): each exchange
// returns a new token in the same family; presenting an already-exchanged token revokes the whole family.
import { InvalidTokenError } from '../errors.js';
import type { RefreshTokenStore } from './refresh-store.js';
import { randomToken, sha256Hex } from './token-hash.js';

export interface RefreshTokenOptions {
  store: RefreshTokenStore;
  /** Lifetime of one refresh token in seconds (default 30 days). */
  ttlSeconds?: number;
  /** Called when a reuse is detected (for the audit log). Never receives the token. */
  onReuse?: (info: { familyId: string; userId: string }) => void;
  now?: () => number;
}

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  userId: string;
  expiresAt: number;
}

export interface RefreshTokens {
  /** Start a new family (on login). */
  issue(userId: string): Promise<IssuedRefreshToken>;
  /** Exchange a token for its successor. InvalidTokenError when unknown, expired, revoked or reused. */
  rotate(token: string): Promise<IssuedRefreshToken>;
  /** Log out: revoke the token's family. Unknown tokens are ignored. */
  revoke(token: string): Promise<void>;
  /** Log out everywhere. */
  revokeUser(userId: string): Promise<void>;
}

export function createRefreshTokens(opts: RefreshTokenOptions): RefreshTokens {
  const ttl = opts.ttlSeconds ?? 30 * 86_400;
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const { store } = opts;

  async function mint(userId: string, familyId: string): Promise<IssuedRefreshToken> {
    const token = randomToken(32);
    const t = now();
    await store.insert({ hash: sha256Hex(token), familyId, userId, createdAt: t, expiresAt: t + ttl, usedAt: null, revokedAt: null });
    return { token, familyId, userId, expiresAt: t + ttl };
  }

  return {
    issue: (userId) => mint(userId, randomToken(16)),
    async rotate(token) {
      if (typeof token !== 'string' || token.length < 20 || token.length > 200) throw new InvalidTokenError();
      const hash = sha256Hex(token);
      const rec = await store.get(hash);
      const t = now();
      if (!rec || rec.revokedAt !== null || rec.expiresAt <= t) throw new InvalidTokenError();
      if (rec.usedAt !== null || !(await store.markUsed(hash, t))) {
        await store.revokeFamily(rec.familyId, t);
        opts.onReuse?.({ familyId: rec.familyId, userId: rec.userId });
        throw new InvalidTokenError();
      }
      const next = await mint(rec.userId, rec.familyId);
      // A concurrent replay may have revoked the family before the new token was inserted: look again and
      // revoke once more, so the new token never outlives its family (the caller then holds a dead token).
      if ((await store.get(hash))?.revokedAt != null) await store.revokeFamily(rec.familyId, t);
      return next;
    },
    async revoke(token) {
      if (typeof token !== 'string') return;
      const rec = await store.get(sha256Hex(token));
      if (rec) await store.revokeFamily(rec.familyId, now());
    },
    revokeUser: (userId) => store.revokeUser(userId, now()),
  };
}
