// RFC 9111 freshness for a shared cache, hand-written (no library covers it fully):
// storability (§3, §3.5), freshness lifetime (§4.2.1, heuristics §4.2.2), age (§4.2.3),
// reuse decisions with request directives (§5.2.1), stale-while-revalidate and
// stale-if-error (RFC 5861). Pure functions: times are passed in, in milliseconds.
import { parseCacheControl, seconds, type Directives } from './cache-control.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** Statuses a cache may store with heuristic freshness (RFC 9110 §15.1). */
export const HEURISTIC_STATUSES = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
/** Statuses this cache stores when freshness is explicit. */
const UNDERSTOOD = new Set([...HEURISTIC_STATUSES, 302, 307]);

export interface StorePolicy {
  /** Store responses carrying Set-Cookie (they are otherwise never stored). */
  allowSetCookie?: boolean;
  /** Store responses to requests with Authorization (still only when §3.5 permits). */
  allowAuthorization?: boolean;
  /** Upper bound for heuristic freshness (ms). Default 1 day; 0 disables heuristics. */
  heuristicMaxMs?: number;
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function parseDate(v: string | string[] | undefined): number | undefined {
  const s = first(v);
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

export type StoreVerdict = { store: true } | { store: false; reason: string };

/** §3: may a shared cache store this response to this request? */
export function isStorable(method: string, reqHeaders: HeaderMap, status: number, resHeaders: HeaderMap, policy: StorePolicy = {}): StoreVerdict {
  if (method !== 'GET') return { store: false, reason: 'method' };
  const req = parseCacheControl(reqHeaders['cache-control']);
  const res = parseCacheControl(resHeaders['cache-control']);
  if (req.has('no-store')) return { store: false, reason: 'request no-store' };
  if (res.has('no-store')) return { store: false, reason: 'no-store' };
  if (res.has('private')) return { store: false, reason: 'private' };
  if (!UNDERSTOOD.has(status)) return { store: false, reason: 'status' };
  const vary = first(resHeaders.vary);
  if (vary && vary.split(',').some((v) => v.trim() === '*')) return { store: false, reason: 'vary *' };
  if (resHeaders['set-cookie'] !== undefined && !policy.allowSetCookie) return { store: false, reason: 'set-cookie' };
  if (reqHeaders.authorization !== undefined) {
    if (!policy.allowAuthorization) return { store: false, reason: 'authorization' };
    if (!(res.has('public') || res.has('s-maxage') || res.has('must-revalidate'))) return { store: false, reason: 'authorization' };
  }
  const explicit = res.has('s-maxage') || res.has('max-age') || resHeaders.expires !== undefined;
  if (explicit || res.has('no-cache')) return { store: true };
  if (HEURISTIC_STATUSES.has(status) || res.has('public')) return { store: true };
  return { store: false, reason: 'no freshness' };
}

/** What the cache keeps beside the body to judge freshness later. */
export interface FreshnessInfo {
  status: number;
  headers: HeaderMap;
  /** When the request that produced it was sent. */
  requestTime: number;
  /** When its headers arrived. */
  responseTime: number;
}

/** §4.2.1 (shared cache): s-maxage, max-age, Expires − Date, then the 10% Last-Modified heuristic. */
export function freshnessLifetime(info: FreshnessInfo, heuristicMaxMs = 86_400_000): number {
  const cc = parseCacheControl(info.headers['cache-control']);
  const s = seconds(cc, 's-maxage') ?? seconds(cc, 'max-age');
  if (s !== undefined) return s * 1000;
  if (info.headers.expires !== undefined) {
    const exp = parseDate(info.headers.expires);
    if (exp === undefined) return 0; // invalid Expires means already expired
    const date = parseDate(info.headers.date) ?? info.responseTime;
    return Math.max(0, exp - date);
  }
  if (HEURISTIC_STATUSES.has(info.status) || cc.has('public')) {
    const lm = parseDate(info.headers['last-modified']);
    if (lm === undefined) return 0;
    const date = parseDate(info.headers.date) ?? info.responseTime;
    return Math.min(heuristicMaxMs, Math.max(0, (date - lm) / 10));
  }
  return 0;
}

/** §4.2.3 current_age, in ms. */
export function currentAge(info: FreshnessInfo, now: number): number {
  const date = parseDate(info.headers.date) ?? info.responseTime;
  const ageHeader = Number(first(info.headers.age) ?? 0);
  const ageValue = Number.isFinite(ageHeader) && ageHeader > 0 ? ageHeader * 1000 : 0;
  const apparentAge = Math.max(0, info.responseTime - date);
  const responseDelay = info.responseTime - info.requestTime;
  const correctedInitialAge = Math.max(apparentAge, ageValue + responseDelay);
  return correctedInitialAge + (now - info.responseTime);
}

export type ReuseDecision =
  | 'fresh' // serve from cache
  | 'stale-while-revalidate' // serve stale now, revalidate in the background
  | 'revalidate'; // ask upstream (conditionally) before serving

/** §4 + §5.2.1 + RFC 5861: may the stored response be reused for this request now? */
export function reuseDecision(info: FreshnessInfo, reqHeaders: HeaderMap, now: number, heuristicMaxMs?: number): ReuseDecision {
  const res = parseCacheControl(info.headers['cache-control']);
  const req = parseCacheControl(reqHeaders['cache-control']);
  const pragmaNoCache = !reqHeaders['cache-control'] && /no-cache/i.test(first(reqHeaders.pragma) ?? '');
  if (res.has('no-cache') || req.has('no-cache') || pragmaNoCache) return 'revalidate';
  const lifetime = freshnessLifetime(info, heuristicMaxMs);
  const age = currentAge(info, now);
  const reqMaxAge = seconds(req, 'max-age');
  if (reqMaxAge !== undefined && age > reqMaxAge * 1000) return 'revalidate';
  const minFresh = (seconds(req, 'min-fresh') ?? 0) * 1000;
  if (age + minFresh < lifetime) return 'fresh';
  const staleness = age - lifetime;
  if (mustRevalidate(res)) return 'revalidate';
  if (req.has('max-stale')) {
    const ms = seconds(req, 'max-stale');
    if (ms === undefined || staleness <= ms * 1000) return 'fresh';
  }
  const swr = seconds(res, 'stale-while-revalidate');
  if (swr !== undefined && staleness <= swr * 1000) return 'stale-while-revalidate';
  return 'revalidate';
}

function mustRevalidate(res: Directives): boolean {
  return res.has('must-revalidate') || res.has('proxy-revalidate') || res.has('s-maxage');
}

/** RFC 5861 §4: may a stale response be served because revalidation failed? */
export function staleIfErrorAllowed(info: FreshnessInfo, reqHeaders: HeaderMap, now: number, heuristicMaxMs?: number): boolean {
  const res = parseCacheControl(info.headers['cache-control']);
  if (mustRevalidate(res) || res.has('no-cache')) return false;
  const req = parseCacheControl(reqHeaders['cache-control']);
  const window = seconds(req, 'stale-if-error') ?? seconds(res, 'stale-if-error');
  if (window === undefined) return false;
  return currentAge(info, now) - freshnessLifetime(info, heuristicMaxMs) <= window * 1000;
}

/** How long a store should keep the entry: lifetime plus every window in which it may still be used. */
export function retentionMs(info: FreshnessInfo, heuristicMaxMs?: number, revalidateKeepMs = 0): number {
  const res = parseCacheControl(info.headers['cache-control']);
  const lifetime = freshnessLifetime(info, heuristicMaxMs);
  const extra = Math.max((seconds(res, 'stale-while-revalidate') ?? 0) * 1000, (seconds(res, 'stale-if-error') ?? 0) * 1000);
  const hasValidator = info.headers.etag !== undefined || info.headers['last-modified'] !== undefined;
  return Math.max(1, lifetime - Math.max(0, currentAge(info, info.responseTime)) + extra + (hasValidator ? revalidateKeepMs : 0));
}
