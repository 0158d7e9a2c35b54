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

interface CompiledRule { rule: RateLimitRule; exact: Set<string>; prefixes: string[]; methods?: Set<string> }

const hashKey = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

export class RateLimiter {
  private readonly rules: CompiledRule[];
  private readonly store: RateLimitStore;
  private readonly sendHeaders: boolean;
  private readonly onError: (err: unknown) => void;

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

  /** Consumes from every applicable rule; a store failure lets the request through (fail-open) and is reported. */
  async check(s: RateSubject, now?: number): Promise<RateOutcome> {
    const applied: Array<{ rule: RateLimitRule; d: RateDecision }> = [];
    for (const c of this.rules) {
      if (!this.applies(c, s)) continue;
      const key = this.key(c.rule, s);
      if (key === undefined) continue;
      try {
        applied.push({ rule: c.rule, d: await this.store.consume(key, c.rule, now) });
      } catch (err) {
        this.onError(err);
      }
    }
    const out: RateOutcome = { headers: {} };
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

  async close(): Promise<void> { await this.store.close?.(); }
}
