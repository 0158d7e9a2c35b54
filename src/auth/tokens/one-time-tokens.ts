// Single-use, expiring, purpose-bound tokens for password reset and email verification (OWASP Forgot Password
// Cheat Sheet): 256-bit random, stored as SHA-256, consumed atomically; issuing a new one voids the previous ones.
import { InvalidTokenError } from '../errors.js';
import { randomToken, sha256Hex } from './token-hash.js';

export interface OneTimeTokenRecord {
  hash: string;
  /** What the token is for, e.g. `password-reset`, `email-verify`. A token never works for another purpose. */
  purpose: string;
  /** Whom it is for (user id). */
  subject: string;
  /** Epoch s. */
  expiresAt: number;
}

export interface OneTimeTokenStore {
  insert(record: OneTimeTokenRecord): Promise<void>;
  /** Atomically delete and return the token when it exists for `purpose` and is not expired at `now`. */
  consume(hash: string, purpose: string, now: number): Promise<OneTimeTokenRecord | undefined>;
  /** Void every outstanding token of the subject for the purpose. */
  deleteFor(subject: string, purpose: string): Promise<void>;
}

export function createMemoryOneTimeTokenStore(): OneTimeTokenStore {
  const rows = new Map<string, OneTimeTokenRecord>();
  return {
    async insert(r) {
      rows.set(r.hash, { ...r });
    },
    async consume(hash, purpose, now) {
      const r = rows.get(hash);
      if (!r || r.purpose !== purpose) return undefined;
      rows.delete(hash);
      return r.expiresAt > now ? r : undefined;
    },
    async deleteFor(subject, purpose) {
      for (const [h, r] of rows) if (r.subject === subject && r.purpose === purpose) rows.delete(h);
    },
  } satisfies OneTimeTokenStore;
}

export interface OneTimeTokens {
  /** A new token (to put in a link); earlier ones of the subject for this purpose stop working. */
  issue(purpose: string, subject: string, ttlSeconds: number): Promise<string>;
  /** The subject, exactly once; InvalidTokenError when unknown, used, expired or for another purpose. */
  consume(purpose: string, token: string): Promise<string>;
}

export function createOneTimeTokens(opts: { store: OneTimeTokenStore; now?: () => number }): OneTimeTokens {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    async issue(purpose, subject, ttlSeconds) {
      await opts.store.deleteFor(subject, purpose);
      const token = randomToken(32);
      await opts.store.insert({ hash: sha256Hex(token), purpose, subject, expiresAt: now() + ttlSeconds });
      return token;
    },
    async consume(purpose, token) {
      if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw new InvalidTokenError();
      const rec = await opts.store.consume(sha256Hex(token), purpose, now());
      if (!rec) throw new InvalidTokenError();
      return rec.subject;
    },
  };
}
