/** @module Gateway: static sites, routing, reverse proxy with load balancing, RFC 9111 response cache and a forward proxy. */
export { createStaticSite, DEFAULT_CACHE_RULES, type StaticSite, type StaticSiteOptions, type CacheControlRule } from './static/static-site.js';
export { staticRoutes, type StaticRoutesOptions } from './static/static-routes.js';
export * from './errors.js';
export { gatewayRoutes, type GatewayOptions, type GatewayTarget, type ProxyResponder } from './gateway-routes.js';
export { compileRoutes, normalizeHost, type RouteInput, type RouteMatchSpec, type RouteTable } from './proxy/route-match.js';
export { createProxy, type Proxy, type ProxyOptions, type UpstreamResponse } from './proxy/proxy-forward.js';
export { UpstreamPool, type UpstreamPoolOptions } from './proxy/upstream-pool.js';
export { Upstream, type UpstreamOptions } from './proxy/upstream.js';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './proxy/circuit-breaker.js';
export { createBalancer, BALANCER_NAMES, roundRobin, weightedRoundRobin, leastConnections, randomTwoChoices, consistentHash, type Balancer, type BalanceTarget, type BalancerName } from './proxy/balancers/balancer-registry.js';
export { ipList, type IpList } from './proxy/ip-match.js';
export { forwardedHeaders } from './proxy/forwarded-headers.js';
export type { HeaderRules, PathRewrite } from './proxy/header-rules.js';
export type { HealthCheckOptions } from './proxy/health-check.js';
export { gatewayMetrics, type GatewayMetrics } from './gateway-metrics.js';
