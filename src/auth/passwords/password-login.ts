// Password login that does not reveal whether an account exists (OWASP Authentication Cheat Sheet): same error,
// same argon2 cost for unknown accounts, throttled per account and IP, with transparent rehash on success.
import { InvalidCredentialsError } from '../errors.js';
import type { PasswordHasher } from './password-hash.js';
import type { LoginThrottle } from '../throttle/throttle.js';

export interface LoginAccount {
  id: string;
  passwordHash: string;
}

export interface PasswordLoginOptions<A extends LoginAccount> {
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  /** Find the account by its login identifier (email/username); undefined when none. */
  findAccount(identifier: string): Promise<A | undefined>;
  /** Store an upgraded hash after a successful login with outdated parameters. */
  saveRehash?(account: A, newHash: string): Promise<void>;
}

export interface PasswordLogin<A extends LoginAccount> {
  /** The account on success; InvalidCredentialsError (identical for every cause) or TooManyAttemptsError otherwise. */
  login(identifier: string, password: string, ip: string): Promise<A>;
}

export function createPasswordLogin<A extends LoginAccount>(opts: PasswordLoginOptions<A>): PasswordLogin<A> {
  return {
    async login(identifier, password, ip) {
      if (typeof identifier !== 'string' || typeof password !== 'string' || identifier.length > 320 || password.length > 1024) {
        throw new InvalidCredentialsError();
      }
      // Counted before the hash is checked: concurrent guesses cannot slip past the limit.
      const attempt = await opts.throttle.acquire(identifier, ip);
      const account = await opts.findAccount(identifier);
      const ok = account ? await opts.hasher.verify(account.passwordHash, password) : await opts.hasher.dummyVerify(password);
      if (!account || !ok) {
        await attempt.fail();
        throw new InvalidCredentialsError();
      }
      await attempt.succeed();
      if (opts.saveRehash && opts.hasher.needsRehash(account.passwordHash)) {
        await opts.saveRehash(account, await opts.hasher.hash(password));
      }
      return account;
    },
  };
}
