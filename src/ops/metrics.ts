// Prometheus metrics (text exposition format 0.0.4) on a per-server
// prom-client Registry: process and event-loop metrics from prom-client, and
// the per-request HTTP counter and histogram kept here in plain arrays.
// prom-client's own Histogram validates and hashes the label set on every
// observe(); at tens of thousands of requests a second that showed up in
// profiles, so the hot path here is a Map lookup and three increments, and
// the work of formatting happens at scrape time.
import { Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  readonly registry: Registry;
  /** Records one finished request; `route` is the route pattern, never the raw URL. */
  observe(method: string, route: string, status: number, seconds: number): void;
  /** The cumulative series as they stand (copies), for the admin API's live figures. */
  snapshot(): SeriesSnapshot[];
}

export interface SeriesSnapshot {
  method: string;
  route: string;
  status: number;
  count: number;
  /** Non-cumulative counts per bucket of DURATION_BUCKETS; the last slot is +Inf. */
  buckets: number[];
}

export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  buckets: Float64Array;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The shape prom-client's Registry reads from a metric at scrape time. */
interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: 'sum' }>;
}

function scraped(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]): ScrapedMetric {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      return { name, help, type, values: values(), aggregator: 'sum' };
    },
  };
}

export function createMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'strata_' });
  const series = new Map<string, Series>();

  const requests = scraped('strata_http_requests_total', 'HTTP requests answered, by method, route pattern and status.', 'counter', () =>
    [...series.values()].map((s) => ({ labels: s.labels, value: s.count })),
  );
  const durationName = 'strata_http_request_duration_seconds';
  const duration = scraped(durationName, 'Time from request start to the end of the response, by method, route pattern and status.', 'histogram', () => {
    const out: MetricValue[] = [];
    for (const s of series.values()) {
      let acc = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        acc += s.buckets[i];
        out.push({ labels: { le, ...s.labels }, value: acc, metricName: `${durationName}_bucket` });
      });
      out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${durationName}_bucket` });
      out.push({ labels: s.labels, value: s.sum, metricName: `${durationName}_sum` });
      out.push({ labels: s.labels, value: s.count, metricName: `${durationName}_count` });
    }
    return out;
  });
  registry.registerMetric(requests as unknown as Parameters<Registry['registerMetric']>[0]);
  registry.registerMetric(duration as unknown as Parameters<Registry['registerMetric']>[0]);

  return {
    registry,
    snapshot: () => [...series.values()].map((x) => ({ method: x.labels.method, route: x.labels.route, status: Number(x.labels.status), count: x.count, buckets: [...x.buckets] })),
    observe(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let s = series.get(key);
      if (!s) {
        s = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(DURATION_BUCKETS.length + 1) };
        series.set(key, s);
      }
      s.count++;
      s.sum += seconds;
      let i = 0;
      while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
      s.buckets[i]++;
    },
  };
}
