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

/** One admitted attempt: counted already; report how it ended. */
export interface Attempt {
  /** The secret was wrong: the attempt stays counted. */
  fail(): Promise<void>;
  /** The secret was right: the account's counter is cleared and the IP's attempt taken back. */
  succeed(): Promise<void>;
}

export interface LoginThrottle {
  /**
   * Count one attempt for the account and the IP atomically, BEFORE the secret is checked, and admit it only if
   * the counts before it allowed one; otherwise take it back and throw TooManyAttemptsError (429 + Retry-After).
   * So N concurrent attempts check at most as many secrets as the rule lets through, never more.
   */
  acquire(account: string, ip: string): Promise<Attempt>;
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
  const ttl = (r: ThrottleRule) => Math.max(r.windowMs, r.lockoutMs);
  /** The wait the attempts before this one impose (the count includes this one). */
  const waitBefore = (rule: ThrottleRule, failures: number, previousAt: number | null, t: number) =>
    previousAt === null ? 0 : Math.max(0, previousAt + delayFor(rule, failures - 1) - t);

  return {
    async acquire(account, ip) {
      const k = throttleKeys(account, ip);
      const t = now();
      const a = await opts.store.recordFailure(k.account, t, ttl(rules.account));
      let i;
      try {
        i = await opts.store.recordFailure(k.ip, t, ttl(rules.ip));
      } catch (e) {
        await opts.store.undo(k.account).catch(() => undefined);
        throw e;
      }
      const wait = Math.max(waitBefore(rules.account, a.failures, a.previousAt, t), waitBefore(rules.ip, i.failures, i.previousAt, t));
      if (wait > 0) {
        // Refused before any check: not a failure of the secret, so it is not counted (its time is kept).
        await Promise.all([opts.store.undo(k.account), opts.store.undo(k.ip)]);
        throw new TooManyAttemptsError(wait / 1000);
      }
      return {
        fail: async () => undefined,
        // One good secret must not unlock a spray from the IP: only this attempt is taken back there.
        succeed: async () => {
          await opts.store.reset(k.account);
          await opts.store.undo(k.ip);
        },
      };
    },
  };
}
