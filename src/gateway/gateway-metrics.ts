// Prometheus metrics for the gateway (per route, per upstream, cache results) on a
// caller-supplied prom-client Registry. Metric names are public API: see docs/gateway.md.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ProxyObserver } from './proxy/proxy-forward.js';

export interface GatewayMetrics extends ProxyObserver {
  request(route: string, status: number, seconds: number): void;
  upstreamHealth(pool: string, upstream: string, healthy: boolean): void;
  cache(route: string, result: string): void;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * @example
 * const metrics = gatewayMetrics(new Registry());
 * app.register(gatewayRoutes({ routes, metrics }));
 */
export function gatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  const requests = new Counter({ name: 'strata_gateway_requests_total', help: 'Requests answered by gateway routes.', labelNames: ['route', 'status'], registers });
  const duration = new Histogram({ name: 'strata_gateway_request_duration_seconds', help: 'Time to answer gateway requests.', labelNames: ['route'], buckets: BUCKETS, registers });
  const upstream = new Counter({ name: 'strata_gateway_upstream_requests_total', help: 'Requests sent to upstreams, by outcome (status or error).', labelNames: ['pool', 'upstream', 'outcome'], registers });
  const upstreamTime = new Histogram({ name: 'strata_gateway_upstream_duration_seconds', help: 'Time to upstream response headers.', labelNames: ['pool', 'upstream'], buckets: BUCKETS, registers });
  const healthy = new Gauge({ name: 'strata_gateway_upstream_healthy', help: '1 when the upstream is in rotation, 0 when ejected or failing checks.', labelNames: ['pool', 'upstream'], registers });
  const cache = new Counter({ name: 'strata_gateway_cache_results_total', help: 'Response cache results (HIT, MISS, STALE, BYPASS).', labelNames: ['route', 'result'], registers });
  // Label children looked up once per (route, status): prom-client hashes the label object on
  // every inc/observe otherwise, which showed in the static-file profile.
  const requestChildren = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  return {
    request(route, status, seconds) {
      const key = `${route}\0${status}`;
      let c = requestChildren.get(key);
      if (!c) {
        c = { count: requests.labels({ route, status: String(status) }), time: duration.labels({ route }) };
        requestChildren.set(key, c);
      }
      c.count.inc();
      c.time.observe(seconds);
    },
    upstreamResult(pool, up, outcome, seconds) {
      upstream.inc({ pool, upstream: up, outcome });
      upstreamTime.observe({ pool, upstream: up }, seconds);
    },
    upstreamHealth(pool, up, isHealthy) {
      healthy.set({ pool, upstream: up }, isHealthy ? 1 : 0);
    },
    cache(route, result) {
      cache.inc({ route, result });
    },
  };
}
