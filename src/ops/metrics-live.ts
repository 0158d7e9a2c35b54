// Live figures per route family for the admin UI, from the HTTP metrics Strata already keeps
// (strata_http_requests_total and strata_http_request_duration_seconds): requests per second, p50 and
// p99 latency and the share of 5xx answers between two samples. Percentiles are estimated from the
// histogram's buckets by linear interpolation, as Prometheus' histogram_quantile does.
import { DURATION_BUCKETS, type HttpMetrics, type SeriesSnapshot } from './metrics.js';

export const ROUTE_FAMILIES = ['records', 'auth', 'files', 'rpc', 'realtime', 'gateway', 'admin', 'other'] as const;
export type RouteFamily = (typeof ROUTE_FAMILIES)[number];

/**
 * The family of a route pattern as the metrics label it. `unmatched` (answered before any Strata
 * route: the gateway's static and proxy routes, its fast lane, and paths nothing knows) is `gateway`.
 */
export function routeFamily(route: string): RouteFamily {
  if (route === 'unmatched') return 'gateway';
  if (route.startsWith('/api/admin') || route === '/_' || route.startsWith('/_/')) return 'admin';
  if (route.startsWith('/strata.') || route.startsWith('/grpc.') || route.endsWith('/service.proto')) return 'rpc';
  if (/^\/api\/collections\/[^/]+\/records/.test(route) || route.startsWith('/api/batch')) return 'records';
  if (/^\/api\/collections\/[^/]+\/auth/.test(route) || route.startsWith('/api/auth') || route.startsWith('/.well-known/') || route.startsWith('/_strata/setup')) return 'auth';
  if (route.startsWith('/api/files') || route.startsWith('/api/uploads')) return 'files';
  if (route.startsWith('/api/realtime')) return 'realtime';
  return 'other';
}

interface Totals {
  count: number;
  errors: number;
  buckets: number[];
}

interface Sample {
  at: number;
  families: Map<RouteFamily, Totals>;
}

export interface FamilyFigures {
  family: RouteFamily;
  /** Requests a second over the interval. */
  rps: number;
  /** Estimated from the duration histogram, in milliseconds; null without requests. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Share of answers with a 5xx status, 0..1; null without requests. */
  errorRate: number | null;
  requests: number;
}

export interface LivePoint {
  at: string;
  seconds: number;
  families: FamilyFigures[];
}

export interface LiveMetrics {
  /** Samples now (at most once per `minIntervalMs`) and returns the recent points, oldest first, and the totals since start. */
  read(): { points: LivePoint[]; total: FamilyFigures[]; since: string };
}

/** The quantile q (0..1) of a non-cumulative bucket histogram, in seconds; null when empty. */
export function histogramQuantile(q: number, buckets: readonly number[]): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let acc = 0;
  for (let i = 0; i < buckets.length; i++) {
    const before = acc;
    acc += buckets[i];
    if (acc >= rank && buckets[i] > 0) {
      // past the last finite bucket: its upper bound is the best estimate (as in Prometheus)
      if (i >= DURATION_BUCKETS.length) return DURATION_BUCKETS[DURATION_BUCKETS.length - 1];
      const lower = i === 0 ? 0 : DURATION_BUCKETS[i - 1];
      return lower + (DURATION_BUCKETS[i] - lower) * ((rank - before) / buckets[i]);
    }
  }
  return DURATION_BUCKETS[DURATION_BUCKETS.length - 1];
}

function aggregate(series: SeriesSnapshot[]): Map<RouteFamily, Totals> {
  const out = new Map<RouteFamily, Totals>();
  for (const f of ROUTE_FAMILIES) out.set(f, { count: 0, errors: 0, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0) });
  for (const s of series) {
    const t = out.get(routeFamily(s.route))!;
    t.count += s.count;
    if (s.status >= 500) t.errors += s.count;
    s.buckets.forEach((n, i) => (t.buckets[i] += n));
  }
  return out;
}

function figures(family: RouteFamily, now: Totals, before: Totals | undefined, seconds: number): FamilyFigures {
  const count = now.count - (before?.count ?? 0);
  const errors = now.errors - (before?.errors ?? 0);
  const buckets = now.buckets.map((n, i) => n - (before?.buckets[i] ?? 0));
  const ms = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 10);
  return {
    family,
    rps: seconds > 0 ? Math.round((count / seconds) * 100) / 100 : 0,
    p50Ms: ms(histogramQuantile(0.5, buckets)),
    p99Ms: ms(histogramQuantile(0.99, buckets)),
    errorRate: count > 0 ? Math.round((errors / count) * 10_000) / 10_000 : null,
    requests: count,
  };
}

/**
 * Keeps the last `maxSamples` samples of the metrics, taken when read (no timer to stop); a read
 * within `minIntervalMs` of the last sample reuses it, so several open pages do not shorten the intervals.
 *
 * @example
 * const live = liveMetrics(metrics);
 * const { points } = live.read();
 */
export function liveMetrics(metrics: HttpMetrics, o: { maxSamples?: number; minIntervalMs?: number; now?: () => number } = {}): LiveMetrics {
  const maxSamples = o.maxSamples ?? 61;
  const minInterval = o.minIntervalMs ?? 1000;
  const now = o.now ?? Date.now;
  const started = now();
  const samples: Sample[] = [];
  return {
    read() {
      const t = now();
      const last = samples.at(-1);
      if (!last || t - last.at >= minInterval) {
        samples.push({ at: t, families: aggregate(metrics.snapshot()) });
        if (samples.length > maxSamples) samples.shift();
      }
      const points: LivePoint[] = [];
      for (let i = 1; i < samples.length; i++) {
        const a = samples[i - 1];
        const b = samples[i];
        const seconds = (b.at - a.at) / 1000;
        points.push({ at: new Date(b.at).toISOString(), seconds, families: ROUTE_FAMILIES.map((f) => figures(f, b.families.get(f)!, a.families.get(f), seconds)) });
      }
      const latest = samples.at(-1)!;
      const up = (latest.at - started) / 1000;
      return { points, total: ROUTE_FAMILIES.map((f) => figures(f, latest.families.get(f)!, undefined, up)), since: new Date(started).toISOString() };
    },
  };
}
