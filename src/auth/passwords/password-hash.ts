// Password hashing with argon2id (RFC 9106), parameters at or above OWASP's Password Storage Cheat Sheet
// minimum (m=19456 KiB, t=2, p=1). Includes a dummy verify that spends the same time for unknown accounts.
import argon2 from 'argon2';

export interface Argon2Params {
  /** Memory in KiB. */
  memoryCost: number;
  /** Iterations. */
  timeCost: number;
  parallelism: number;
}

/** OWASP's floor (2024-2025 cheat sheet): m=19 MiB, t=2, p=1. Anything weaker is refused. */
export const OWASP_MIN: Readonly<Argon2Params> = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/** Hashes and verifies passwords; `needsRehash` tells the login flow to upgrade a stored hash. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
  /** Spend the cost of one verify without an account, so "no such user" looks like "wrong password". */
  dummyVerify(password: string): Promise<false>;
}

/**
 * Build an argon2id hasher. Throws if the parameters are below the OWASP floor.
 *
 * @example
 * const hasher = createPasswordHasher();
 * const h = await hasher.hash('correct horse battery staple');
 * if (await hasher.verify(h, input) && hasher.needsRehash(h)) store(await hasher.hash(input));
 */
export function createPasswordHasher(params: Partial<Argon2Params> = {}): PasswordHasher {
  const p: Argon2Params = { ...OWASP_MIN, ...params };
  for (const k of ['memoryCost', 'timeCost', 'parallelism'] as const) {
    if (!Number.isInteger(p[k]) || p[k] < OWASP_MIN[k]) {
      throw new RangeError(`argon2 ${k} must be an integer >= ${OWASP_MIN[k]} (OWASP minimum), got ${p[k]}`);
    }
  }
  const options: argon2.HashOptions = { type: argon2.argon2id, memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism };
  let dummyHash: Promise<string> | undefined;

  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      if (typeof hash !== 'string' || !hash.startsWith('$argon2')) return false;
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false; // malformed stored hash: a failed login, never a 500
      }
    },
    needsRehash(hash) {
      if (!hash.startsWith('$argon2id$')) return true;
      try {
        return argon2.needsRehash(hash, { memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism });
      } catch {
        return true;
      }
    },
    async dummyVerify(password) {
      dummyHash ??= argon2.hash('strata-dummy-password-for-timing', options);
      await argon2.verify(await dummyHash, password).catch(() => false);
      return false;
    },
  };
}
