// Applies the configured rate-limit rules to a request: picks the rules that match
// its route and method, keys each by IP, user, API key or route, consumes from the
// store, and returns the IETF RateLimit headers and the refusal (if any).
import { createHash } from 'node:crypto';
import type { RateLimitStore, RatePolicy } from './store.js';
import type { RateDecision } from './algorithms.js';
import { rateLimitHeader, rateLimitPolicyHeader } from './headers.js';

export interface RateLimitRule extends RatePolicy {
  by: 'ip' | 'user' | 'apiKey' | 'route';
  routes?: readonly string[];
  methods?: readonly string[];
}

export interface RateSubject {
  method: string;
  path: string;
  routeUrl?: string;
  ip: string;
  user?: string;
  apiKey?: string;
}

export interface RateOutcome {
  headers: Record<string, string>;
  refused?: { policy: string; retryAfterSeconds: number };
}

/** The rules a request consumed from so far, with each one's decision. */
export type RateConsumption = Array<{ rule: RateLimitRule; d: RateDecision }>;

interface CompiledRule { rule: RateLimitRule; exact: Set<string>; prefixes: string[]; methods?: Set<string> }

/** A bucket that refused a request and is still refusing (until `until`), for the admin UI. */
export interface LimitedKey {
  policy: string;
  /** `ip:<address>`, `user:<hash>`, `key:<hash>` (ids and API keys hashed) or `route:<route>`. */
  key: string;
  /** Requests refused since it was first refused (while it stayed limited). */
  refusals: number;
  /** When it lets requests through again (ISO 8601). */
  until: string;
}

/** Keys remembered as limited, at most (oldest dropped first). */
const LIMITED_MAX = 1000;

const hashKey = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

export class RateLimiter {
  private readonly rules: CompiledRule[];
  private readonly store: RateLimitStore;
  private readonly sendHeaders: boolean;
  private readonly onError: (err: unknown) => void;
  /** Buckets that refused requests, by policy and key (bounded; expired ones dropped when read). */
  private readonly limited = new Map<string, { policy: string; key: string; refusals: number; until: number }>();

  constructor(rules: readonly RateLimitRule[], store: RateLimitStore, opts: { headers?: boolean; onError?: (err: unknown) => void } = {}) {
    const names = new Set<string>();
    this.rules = rules.map((rule) => {
      if (names.has(rule.name)) throw new Error(`waf.rateLimit.rules: duplicate name "${rule.name}"`);
      names.add(rule.name);
      const routes = rule.routes ?? [];
      return {
        rule,
        exact: new Set(routes.filter((r) => !r.endsWith('*'))),
        prefixes: routes.filter((r) => r.endsWith('*')).map((r) => r.slice(0, -1)),
        methods: rule.methods && rule.methods.length > 0 ? new Set(rule.methods.map((m) => m.toUpperCase())) : undefined,
      };
    });
    this.store = store;
    this.sendHeaders = opts.headers ?? true;
    this.onError = opts.onError ?? (() => undefined);
  }

  get empty(): boolean { return this.rules.length === 0; }

  private applies(c: CompiledRule, s: RateSubject): boolean {
    if (c.methods && !c.methods.has(s.method)) return false;
    if (c.exact.size === 0 && c.prefixes.length === 0) return true;
    if (c.exact.has(s.path) || (s.routeUrl !== undefined && c.exact.has(s.routeUrl))) return true;
    return c.prefixes.some((p) => s.path.startsWith(p));
  }

  private key(rule: RateLimitRule, s: RateSubject): string | undefined {
    switch (rule.by) {
      case 'ip': return `ip:${s.ip}`;
      case 'user': return s.user ? `user:${hashKey(s.user)}` : undefined;
      case 'apiKey': return s.apiKey ? `key:${hashKey(s.apiKey)}` : undefined;
      case 'route': return `route:${s.routeUrl ?? s.path}`;
    }
  }

  /** Whether some rule is keyed by who the caller is (`user`, `apiKey`): known only once auth has run. */
  get keyedByIdentity(): boolean { return this.rules.some((c) => c.rule.by === 'user' || c.rule.by === 'apiKey'); }

  /**
   * Consumes from every applicable rule; a store failure lets the request through (fail-open) and is reported.
   * `phase` splits a request's check in two: `address` (rules by IP and route: before any other work) and
   * `identity` (rules by user and API key: once auth has found the caller), the second given the first's
   * consumption so the headers name the tightest of both.
   */
  async check(s: RateSubject, now?: number, phase: 'all' | 'address' | 'identity' = 'all', before: RateConsumption = []): Promise<RateOutcome & { consumed: RateConsumption }> {
    const applied: RateConsumption = [...before];
    for (const c of this.rules) {
      const byIdentity = c.rule.by === 'user' || c.rule.by === 'apiKey';
      if ((phase === 'address' && byIdentity) || (phase === 'identity' && !byIdentity)) continue;
      if (!this.applies(c, s)) continue;
      const key = this.key(c.rule, s);
      if (key === undefined) continue;
      try {
        const d = await this.store.consume(key, c.rule, now);
        applied.push({ rule: c.rule, d });
        if (!d.allowed) this.noteLimited(c.rule.name, key, (now ?? Date.now()) + d.retryAfterSeconds * 1000);
      } catch (err) {
        this.onError(err);
      }
    }
    const out: RateOutcome & { consumed: RateConsumption } = { headers: {}, consumed: applied };
    if (applied.length === 0) return out;
    const refused = applied.filter((a) => !a.d.allowed).sort((a, b) => b.d.retryAfterSeconds - a.d.retryAfterSeconds)[0];
    const tightest = refused ?? applied.slice().sort((a, b) => a.d.remaining - b.d.remaining)[0];
    if (this.sendHeaders) {
      out.headers['ratelimit-policy'] = rateLimitPolicyHeader(applied.map((a) => a.rule));
      out.headers.ratelimit = rateLimitHeader(tightest.rule, tightest.d);
    }
    if (refused) out.refused = { policy: refused.rule.name, retryAfterSeconds: refused.d.retryAfterSeconds };
    return out;
  }

  private noteLimited(policy: string, key: string, until: number): void {
    const id = `${policy}\u0000${key}`;
    const seen = this.limited.get(id);
    if (seen) {
      seen.refusals++;
      seen.until = Math.max(seen.until, until);
      return;
    }
    if (this.limited.size >= LIMITED_MAX) this.limited.delete(this.limited.keys().next().value as string);
    this.limited.set(id, { policy, key, refusals: 1, until });
  }

  /** The buckets refusing requests now on this instance, most refusals first. */
  limitedNow(max = 50, now = Date.now()): LimitedKey[] {
    for (const [id, e] of this.limited) if (e.until <= now) this.limited.delete(id);
    return [...this.limited.values()]
      .sort((a, b) => b.refusals - a.refusals)
      .slice(0, max)
      .map((e) => ({ policy: e.policy, key: e.key, refusals: e.refusals, until: new Date(e.until).toISOString() }));
  }

  async close(): Promise<void> { await this.store.close?.(); }
}
