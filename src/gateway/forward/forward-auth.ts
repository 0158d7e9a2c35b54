// Proxy-Authorization: Basic (RFC 7617 over RFC 9110 §11.7.1) against scrypt-hashed
// credentials from config, compared in constant time; verified headers cached briefly.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface ProxyUser {
  username: string;
  /** `scrypt$N$r$p$saltB64$hashB64`, as made by `hashProxyPassword`. */
  passwordHash: string;
}

function scryptAsync(pw: string, salt: Buffer, len: number, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(pw, salt, len, { N, r, p, maxmem: 256 * N * r }, (e, k) => (e ? reject(e) : resolve(k))));
}

/** Hashes a proxy password for the config file. */
export async function hashProxyPassword(password: string, N = 16384): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, N, 8, 1);
  return `scrypt$${N}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

async function verify(password: string, encoded: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = encoded.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, Number(n), Number(r), Number(p));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export interface ProxyAuthenticator {
  /** The authenticated user name, or undefined. */
  check(header: string | undefined): Promise<string | undefined>;
}

export function createProxyAuthenticator(users: ProxyUser[]): ProxyAuthenticator {
  const byName = new Map(users.map((u) => [u.username, u.passwordHash]));
  // A dummy hash keeps unknown-user timing close to a wrong password.
  const dummy = `scrypt$16384$8$1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
  const verified = new LRUCache<string, string>({ max: 1000, ttl: 60_000 });
  return {
    async check(header) {
      if (!header || !/^basic /i.test(header)) return undefined;
      const digest = createHash('sha256').update(header).digest('base64');
      const hit = verified.get(digest);
      if (hit) return hit;
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i < 0) return undefined;
      const user = decoded.slice(0, i);
      const hash = byName.get(user);
      const ok = await verify(decoded.slice(i + 1), hash ?? dummy).catch(() => false);
      if (!ok || !hash) return undefined;
      verified.set(digest, user);
      return user;
    },
  };
}
