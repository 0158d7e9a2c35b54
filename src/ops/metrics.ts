// Prometheus metrics (text exposition format 0.0.4) with prom-client on a
// per-server Registry: HTTP request counts and latency by route, plus process
// and event-loop metrics.
import { Registry, Counter, Histogram, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  readonly registry: Registry;
  /** Records one finished request; `route` is the route pattern, never the raw URL. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

interface Child {
  count: { inc(): void };
  duration: { observe(v: number): void };
}

export function createMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'strata_' });
  const requests = new Counter({
    name: 'strata_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'strata_http_request_duration_seconds',
    help: 'Time from request start to the end of the response, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Label lookups hash the label set on every call; keep the bound children.
  const children = new Map<string, Child>();
  return {
    registry,
    observe(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let c = children.get(key);
      if (!c) {
        const labels = { method, route, status: String(status) };
        c = { count: requests.labels(labels), duration: duration.labels(labels) };
        children.set(key, c);
      }
      c.count.inc();
      c.duration.observe(seconds);
    },
  };
}
