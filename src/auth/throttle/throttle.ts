// Brute-force defence for logins (OWASP Authentication Cheat Sheet, NIST SP 800-63B §5.2.2): per-account and
// per-IP failure counters, exponential backoff after a few free attempts, temporary lockout past a threshold.
import { TooManyAttemptsError } from '../errors.js';
import type { AttemptStore } from './throttle-store.js';

export interface ThrottleRule {
  /** Failures allowed before any delay. */
  freeAttempts: number;
  /** First delay in ms; doubles with each further failure. */
  baseDelayMs: number;
  /** Delay cap in ms. */
  maxDelayMs: number;
  /** At this many failures, lock for `lockoutMs` (0 = never). */
  lockoutAfter: number;
  lockoutMs: number;
  /** Failures are forgotten after this quiet period. */
  windowMs: number;
}

export interface ThrottleOptions {
  store: AttemptStore;
  account?: Partial<ThrottleRule>;
  ip?: Partial<ThrottleRule>;
  now?: () => number;
}

export const ACCOUNT_RULE: ThrottleRule = { freeAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, lockoutAfter: 10, lockoutMs: 15 * 60_000, windowMs: 60 * 60_000 };
export const IP_RULE: ThrottleRule = { freeAttempts: 20, baseDelayMs: 500, maxDelayMs: 60_000, lockoutAfter: 100, lockoutMs: 15 * 60_000, windowMs: 60 * 60_000 };

export interface LoginThrottle {
  /** Throws TooManyAttemptsError (429 + Retry-After) while the account or the IP must wait. */
  check(account: string, ip: string): Promise<void>;
  /** Record a failed attempt (for unknown accounts too, so lockout behaviour does not reveal existence). */
  fail(account: string, ip: string): Promise<void>;
  /** A successful login clears the account's counter (the IP's stays: one good password must not unlock a spray). */
  succeed(account: string, ip: string): Promise<void>;
}

/** Milliseconds to wait after `failures` failures, per the rule. */
export function delayFor(rule: ThrottleRule, failures: number): number {
  if (rule.lockoutAfter > 0 && failures >= rule.lockoutAfter) return rule.lockoutMs;
  if (failures < rule.freeAttempts) return 0;
  return Math.min(rule.maxDelayMs, rule.baseDelayMs * 2 ** Math.min(30, failures - rule.freeAttempts));
}

/** Account keys are case- and space-normalized; IPv6 addresses count per /64 (one host usually owns a /64). */
export function throttleKeys(account: string, ip: string): { account: string; ip: string } {
  const acct = account.normalize('NFKC').trim().toLowerCase();
  let addr = ip.trim().toLowerCase();
  if (addr.startsWith('::ffff:') && addr.includes('.')) addr = addr.slice(7);
  if (addr.includes(':')) addr = ipv6Prefix64(addr);
  return { account: `acct:${acct}`, ip: `ip:${addr}` };
}

function ipv6Prefix64(addr: string): string {
  const [head, tail = ''] = addr.split('%')[0].split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const full = addr.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return full.slice(0, 4).map((x) => x.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

export function createLoginThrottle(opts: ThrottleOptions): LoginThrottle {
  const now = opts.now ?? Date.now;
  const rules = { account: { ...ACCOUNT_RULE, ...opts.account }, ip: { ...IP_RULE, ...opts.ip } };

  async function waitFor(key: string, rule: ThrottleRule): Promise<number> {
    const s = await opts.store.get(key);
    if (!s) return 0;
    return Math.max(0, s.lastFailureAt + delayFor(rule, s.failures) - now());
  }

  return {
    async check(account, ip) {
      const k = throttleKeys(account, ip);
      const wait = Math.max(await waitFor(k.account, rules.account), await waitFor(k.ip, rules.ip));
      if (wait > 0) throw new TooManyAttemptsError(wait / 1000);
    },
    async fail(account, ip) {
      const k = throttleKeys(account, ip);
      const t = now();
      await opts.store.recordFailure(k.account, t, Math.max(rules.account.windowMs, rules.account.lockoutMs));
      await opts.store.recordFailure(k.ip, t, Math.max(rules.ip.windowMs, rules.ip.lockoutMs));
    },
    async succeed(account, ip) {
      await opts.store.reset(throttleKeys(account, ip).account);
    },
  };
}
