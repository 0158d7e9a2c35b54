// Prometheus metrics of the WAF, rate limiter and IP rules (prom-client), registered
// on the registry the composition root passes in. Names are public API (docs/waf.md).
import { Counter, type Registry } from 'prom-client';

export interface WafMetrics {
  requests: Counter<'action'>;
  detections: Counter<'detector' | 'rule'>;
  rateLimited: Counter<'policy'>;
  ipDenied: Counter<'reason'>;
  connectionsRejected: Counter<string>;
  /**
   * Counts a request that passed. Added to `strata_waf_requests_total{action="pass"}` when
   * the registry is read: one counter update per scrape instead of one per request (the
   * common path), with the same values seen.
   */
  countPass(): void;
}

function counter<L extends string>(registry: Registry | undefined, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: registry ? [registry] : [] });
}

export function createWafMetrics(registry?: Registry): WafMetrics {
  const REQUESTS = 'strata_waf_requests_total';
  let pendingPass = 0;
  const existing = registry?.getSingleMetric(REQUESTS) as Counter<'action'> | undefined;
  const requests = existing ?? new Counter<'action'>({
    name: REQUESTS, help: 'Requests inspected by the WAF, by outcome (pass, detected, blocked).', labelNames: ['action'], registers: registry ? [registry] : [],
    collect() {
      if (pendingPass > 0) { this.labels('pass').inc(pendingPass); pendingPass = 0; }
    },
  });
  // a second WAF on the same registry does not own the collect hook: it counts directly
  const passDirect = existing?.labels('pass');
  return {
    requests,
    countPass: passDirect ? () => passDirect.inc() : () => { pendingPass++; },
    detections: counter(registry, 'strata_waf_detections_total', 'WAF detections by detector and rule.', ['detector', 'rule']),
    rateLimited: counter(registry, 'strata_ratelimit_limited_total', 'Requests refused with 429, by rate-limit policy.', ['policy']),
    ipDenied: counter(registry, 'strata_ip_denied_total', 'Requests refused by IP rules (deny list or not on the allow list).', ['reason']),
    connectionsRejected: counter(registry, 'strata_connections_rejected_total', 'TCP connections closed because the peer had too many open.', []),
  };
}
