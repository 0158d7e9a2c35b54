// Builds the gateway from its config section: sites, pools, proxies, the response cache,
// the route table plugin, the purge API and the forward proxy, as one Component.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Static } from '@sinclair/typebox';
import type { GatewaySchema } from '../config/schema-gateway.js';
import type { Component, Logger } from '../core/index.js';
import { createStaticSite, type StaticSite } from './static/static-site.js';
import { UpstreamPool } from './proxy/upstream-pool.js';
import { createProxy } from './proxy/proxy-forward.js';
import { ipList } from './proxy/ip-match.js';
import type { RouteInput } from './proxy/route-match.js';
import { gatewayRoutes, type ExtendedConnectHandler, type GatewayTarget, type RequestBodyGate, type UpgradeHandler } from './gateway-routes.js';
import { gatewayMetrics } from './gateway-metrics.js';
import { createFastLane, type FastLane, type FastLaneOptions } from './fast-lane.js';
import { createResponseCache, type ResponseCache } from './cache/response-cache.js';
import { memoryResponseStore, type ResponseStore } from './cache/response-store.js';
import { cacheResponseStore } from './cache/cache-response-store.js';
import type { Cache } from '../cache/index.js';
import { createForwardProxy, type ForwardProxyServer } from './forward/forward-proxy.js';

export type GatewayConfig = Static<typeof GatewaySchema>;

export interface GatewayDeps {
  config: GatewayConfig;
  logger?: Logger;
  /** Registry for gateway metrics; none means no metrics. */
  registry?: Registry;
  /** Store for the response cache; overrides `gateway.cache.store`. */
  store?: ResponseStore;
  /** The cache capability's Cache (a getter: it exists once that component started), for `gateway.cache.store: shared`. */
  sharedCache?: () => Cache;
  /**
   * Path prefixes that always reach Strata's own routes, whatever the gateway routes say
   * (health, metrics, admin). Default `['/_strata']`, which holds the legacy purge path.
   */
  reservedPrefixes?: string[];
  /** Inspects bodies of requests a gateway route answers (the WAF's body gate), before they are forwarded. */
  bodyGate?: RequestBodyGate;
}

export interface Gateway extends Component {
  /** Register on the edge's Fastify app (before Strata's own routes). */
  readonly plugin: FastifyPluginAsync;
  readonly cache: ResponseCache;
  readonly pools: ReadonlyMap<string, UpstreamPool>;
  readonly forward?: ForwardProxyServer;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** For listeners other than `app.server`: call on their 'upgrade' event; false means not a gateway route. */
  readonly upgrade: UpgradeHandler;
  /** For HTTP/2 servers other than `app.server`: call on their 'connect' event (RFC 8441 WebSockets); false means not a gateway route. */
  readonly connect: ExtendedConnectHandler;
  /** True when a static, proxy or redirect route without `auth: required` answers the request: Strata's request auth must skip it. */
  readonly bypassesAuth: (request: FastifyRequest) => boolean;
  /** The raw-handler fast lane for in-memory static answers, cache hits and proxied GET/HEAD (fast-lane.ts); undefined when it has nothing to take. */
  fastLane(o: FastLaneOptions): FastLane | undefined;
}

/** Thrown for config that the schema cannot catch (unknown site/pool names, several targets). */
export class GatewayConfigError extends Error {
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'GatewayConfigError';
  }
}

/**
 * @example
 * const gateway = createGateway({ config: config.gateway, logger: log, registry });
 * await app.register(gateway.plugin);
 * components.push(gateway);
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const c = deps.config;
  const metrics = deps.registry ? gatewayMetrics(deps.registry) : undefined;
  const trusted = ipList(c.trustedProxies);
  const sites = new Map<string, StaticSite>();
  for (const s of c.sites) {
    const name = s.name;
    if (sites.has(name)) throw new GatewayConfigError('gateway.sites', `duplicate site name "${name}"`);
    sites.set(
      name,
      createStaticSite({
        root: s.root,
        index: s.index,
        spaFallback: s.spaFallback || false,
        allowDotfiles: s.allowDotfiles,
        cacheControl: s.cacheControl.length ? s.cacheControl : undefined,
        defaultCacheControl: s.defaultCacheControl,
        precompressed: s.precompressed,
        compress: { enabled: s.compress, threshold: s.compressThreshold },
        statTtlMs: s.statTtlMs,
        maxCachedFileBytes: s.maxCachedFileBytes,
        memoryBytes: s.memoryBytes,
      }),
    );
  }
  const pools = new Map<string, UpstreamPool>();
  for (const p of c.pools) {
    const name = p.name;
    if (pools.has(name)) throw new GatewayConfigError('gateway.pools', `duplicate pool name "${name}"`);
    const pool = new UpstreamPool({
      name,
      upstreams: p.upstreams,
      balancer: p.balancer as never,
      hashOn: p.balancer === 'consistent-hash' ? p.hashOn : undefined,
      maxFails: p.maxFails,
      cooldownMs: p.cooldownMs,
      healthCheck: p.healthCheck.enabled ? p.healthCheck : undefined,
      circuitBreaker: p.circuitBreaker.enabled ? p.circuitBreaker : undefined,
      client: {
        connections: p.connections,
        connectTimeoutMs: p.connectTimeoutMs,
        headersTimeoutMs: p.headersTimeoutMs,
        idleTimeoutMs: p.idleTimeoutMs,
        tls: { ca: p.tls.ca || undefined, servername: p.tls.servername || undefined, rejectUnauthorized: p.tls.rejectUnauthorized, minVersion: p.tls.minVersion },
      },
    });
    pool.onHealthChange = (u, healthy, why) => deps.logger?.warn({ pool: name, upstream: u.id, healthy, why }, 'upstream health changed');
    pools.set(name, pool);
  }
  function responseStore(): ResponseStore {
    if (c.cache.store === 'memory') return memoryResponseStore({ maxBytes: c.cache.maxBytes });
    if (!deps.sharedCache) throw new GatewayConfigError('gateway.cache.store', '"shared" needs the cache capability, which this server did not provide');
    return cacheResponseStore(deps.sharedCache);
  }
  const cache = createResponseCache({
    store: deps.store ?? responseStore(),
    maxObjectBytes: c.cache.maxObjectBytes,
    allowSetCookie: c.cache.allowSetCookie,
    allowAuthorization: c.cache.allowAuthorization,
    key: { host: c.cache.keyHost, query: c.cache.keyQuery, headers: c.cache.keyHeaders.map((h) => h.toLowerCase()) },
    purgeHost: c.cache.purgeHost || undefined,
    metrics,
  });
  const routes: RouteInput<GatewayTarget>[] = c.routes.map((r, i) => {
    const key = `gateway.routes[${i}]`;
    const targets = [r.site, r.pool, r.redirect].filter(Boolean).length + (r.api ? 1 : 0);
    if (targets !== 1) throw new GatewayConfigError(key, 'set exactly one of site, pool, redirect, api');
    let target: GatewayTarget;
    if (r.site) {
      const site = sites.get(r.site);
      if (!site) throw new GatewayConfigError(`${key}.site`, `no site named "${r.site}"`);
      target = { type: 'static', site, stripPrefix: r.stripPrefix, auth: r.auth };
    } else if (r.pool) {
      const pool = pools.get(r.pool);
      if (!pool) throw new GatewayConfigError(`${key}.pool`, `no pool named "${r.pool}"`);
      const proxy = createProxy({
        pool,
        preserveHost: r.preserveHost,
        retries: r.retries,
        trustedProxies: trusted,
        requestHeaders: r.requestHeaders,
        responseHeaders: r.responseHeaders,
        rewrite: { stripPrefix: r.stripPrefix, pattern: r.rewritePattern || undefined, replacement: r.rewriteTo },
        compress: r.compress,
      });
      target = { type: 'proxy', proxy, cache: r.cache ? cache : undefined, websocket: r.websocket, auth: r.auth };
    } else if (r.redirect) target = { type: 'redirect', to: r.redirect, status: r.redirectStatus as 308 };
    else target = { type: 'api' };
    return {
      name: r.name || `route-${i}`,
      priority: r.priority,
      match: {
        hosts: r.hosts,
        path: r.path || undefined,
        prefix: r.prefix || undefined,
        pattern: r.pattern || undefined,
        methods: r.methods,
        headers: r.headers,
      },
      target,
    };
  });
  // Reserved prefixes only matter in front of declared routes; with none the gateway stays off the request path.
  for (const prefix of routes.length > 0 ? (deps.reservedPrefixes ?? ['/_strata']) : []) {
    routes.unshift({ name: 'strata', priority: Number.MAX_SAFE_INTEGER, match: { prefix }, target: { type: 'api' } });
  }
  const forward = c.forward.enabled ? createForwardProxy({ ...c.forward, logger: deps.logger }) : undefined;
  const plugin = gatewayRoutes({ routes, metrics, bodyGate: deps.bodyGate });
  return {
    name: 'gateway',
    plugin,
    upgrade: plugin.upgrade,
    connect: plugin.connect,
    bypassesAuth: plugin.bypassesAuth,
    fastLane: (o) => (routes.some((r) => r.target.type === 'static' || r.target.type === 'proxy') ? createFastLane(plugin.laneMatch, metrics, o) : undefined),
    cache,
    pools,
    forward,
    async start() {
      for (const p of pools.values()) await p.start();
      await forward?.start();
    },
    async stop() {
      await forward?.stop();
      for (const p of pools.values()) await p.stop();
    },
    ready: () => [...pools.values()].every((p) => p.ready()),
  };
}
