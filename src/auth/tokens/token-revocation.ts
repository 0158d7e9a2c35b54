// Per-account "valid after" marks: revocation that takes effect at once for credentials that are not
// looked up on each use (signed access tokens). Logout-all, password change or reset, role or scope
// change, MFA change and deletion set the mark; every access token and API key issued before it is refused.
// The mark lives in the cache capability (memory, or Redis when the cache is shared) so that every
// instance sees it; it only has to outlive the longest access token issued before it.
import type { Cache } from '../../cache/index.js';
import { InvalidTokenError } from '../errors.js';

/** Cache key of an account's mark; `subject` is `<collection>:<record id>`. */
export const validAfterKey = (subject: string): string => `auth:valid-after:${subject}`;

export interface Revocations {
  /** Every credential of `subject` issued before now stops working (ms precision). */
  revoke(subject: string): Promise<void>;
  /** The account's mark in ms since the epoch, if one is live. */
  validAfter(subject: string): Promise<number | undefined>;
  /** InvalidTokenError (401) when a credential issued at `issuedMs` predates the account's mark. One cache get. */
  assertCurrent(subject: string, issuedMs: number): Promise<void>;
}

export interface RevocationOptions {
  /** Where marks live; without it a process-local map (single instance, tests). */
  cache?: Pick<Cache, 'get' | 'set'>;
  /** How long a mark is kept, in ms: the access-token lifetime plus clock tolerance and a margin. */
  ttlMs: number;
  now?: () => number;
}

/** A process-local stand-in for the cache, with expiry. */
function localMarks(now: () => number): Pick<Cache, 'get' | 'set'> {
  const m = new Map<string, { v: unknown; until: number }>();
  return {
    async get<T>(key: string) {
      const e = m.get(key);
      if (!e) return undefined;
      if (e.until <= now()) {
        m.delete(key);
        return undefined;
      }
      return e.v as T;
    },
    async set(key, value, o) {
      if (m.size > 100_000) for (const [k, e] of m) if (e.until <= now()) m.delete(k);
      m.set(key, { v: value, until: now() + (o?.ttl ?? 0) });
    },
  };
}

/**
 * @example
 * const revocations = createRevocations({ cache, ttlMs: (accessTtl + 90) * 1000 });
 * await revocations.revoke('users:abc');                     // logout-all
 * await revocations.assertCurrent('users:abc', claims.iat * 1000); // 401 for older tokens
 */
export function createRevocations(opts: RevocationOptions): Revocations {
  const now = opts.now ?? Date.now;
  const cache = opts.cache ?? localMarks(now);
  const get = async (subject: string): Promise<number | undefined> => {
    const v = await cache.get<number>(validAfterKey(subject));
    return typeof v === 'number' ? v : undefined;
  };
  return {
    async revoke(subject) {
      const at = now();
      const prev = await get(subject);
      // A later mark never moves back (two instances revoking at once).
      await cache.set(validAfterKey(subject), Math.max(at, prev ?? 0), { ttl: opts.ttlMs });
    },
    validAfter: get,
    async assertCurrent(subject, issuedMs) {
      const mark = await get(subject);
      if (mark !== undefined && issuedMs < mark) throw new InvalidTokenError();
    },
  };
}
