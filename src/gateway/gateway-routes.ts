// The gateway as one Fastify plugin: an onRequest hook matches the route table (host, path,
// method, headers) and answers static, proxy and redirect routes before Fastify's router;
// `api` routes (and unmatched requests) fall through to Strata's own routes.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { compileRoutes, normalizeHost, type RouteInput } from './proxy/route-match.js';
import type { StaticSite } from './static/static-site.js';
import type { Proxy } from './proxy/proxy-forward.js';
import { rejectUpgrade } from './proxy/websocket-proxy.js';
import type { GatewayMetrics } from './gateway-metrics.js';

/** Something that answers proxied requests itself (e.g. the response cache). */
export interface ProxyResponder {
  handle(request: FastifyRequest, reply: FastifyReply, proxy: Proxy, prefixLength: number, route: string): Promise<FastifyReply>;
}

export type GatewayTarget =
  | { type: 'static'; site: StaticSite; /** Drop the matched prefix (default true). */ stripPrefix?: boolean }
  | { type: 'proxy'; proxy: Proxy; cache?: ProxyResponder; /** Proxy WebSocket upgrades too (default true). */ websocket?: boolean }
  | { type: 'redirect'; /** Location; `{host}`, `{path}` and `{uri}` (path + query) are replaced. */ to: string; status?: 301 | 302 | 303 | 307 | 308 }
  | { type: 'api' };

export interface GatewayOptions {
  routes: RouteInput<GatewayTarget>[];
  metrics?: GatewayMetrics;
}

const SAFE_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/;

/** Fills the Location template; a bad Host becomes empty and `//x` paths lose their extra slashes (no open redirects). */
function redirectLocation(to: string, host: string, url: string): string {
  const safeUrl = url.replace(/^[/\\]{2,}/, '/');
  const q = safeUrl.indexOf('?');
  return to
    .replaceAll('{host}', SAFE_HOST.test(host) ? host : '')
    .replaceAll('{uri}', safeUrl)
    .replaceAll('{path}', q === -1 ? safeUrl : safeUrl.slice(0, q));
}

/** Answers an HTTP/1.1 `upgrade` event when a gateway route matches; false leaves it to others. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/**
 * @example
 * app.register(gatewayRoutes({ routes: [
 *   { match: { hosts: ['static.example.com'] }, target: { type: 'static', site } },
 *   { match: { prefix: '/app' }, target: { type: 'proxy', proxy } },
 *   { match: { prefix: '/api' }, target: { type: 'api' } },
 * ] }));
 */
export function gatewayRoutes(opts: GatewayOptions): FastifyPluginAsync & { upgrade: UpgradeHandler } {
  const table = compileRoutes(opts.routes);
  const metrics = opts.metrics;
  const timing = new WeakMap<FastifyRequest, { route: string; start: bigint }>();

  /** Starts answering when a gateway route matches; returns undefined when Fastify's routes should. */
  function dispatch(request: FastifyRequest, reply: FastifyReply): Promise<unknown> | undefined {
    const url = request.url;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const host = normalizeHost((request.headers.host ?? request.headers[':authority']) as string | undefined);
    const route = table.match({ host, path, method: request.method, headers: request.headers });
    if (!route || route.target.type === 'api') return undefined;
    if (metrics) timing.set(request, { route: route.name, start: process.hrtime.bigint() });
    const t = route.target;
    switch (t.type) {
      case 'static':
        return t.site.serve(request, reply, (t.stripPrefix ?? true) ? path.slice(route.prefixLength) || '/' : path);
      case 'redirect':
        reply.code(t.status ?? 308).header('location', redirectLocation(t.to, host, url)).send();
        return Promise.resolve();
      case 'proxy':
        return t.cache ? t.cache.handle(request, reply, t.proxy, route.prefixLength, route.name) : t.proxy.handle(request, reply, route.prefixLength);
    }
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = table.match({ host: normalizeHost(req.headers.host), path: q === -1 ? url : url.slice(0, q), method: 'GET', headers: req.headers });
    if (!route || route.target.type === 'api') return false;
    const t = route.target;
    if (t.type !== 'proxy' || t.websocket === false) {
      rejectUpgrade(socket, 404, 'Not Found', JSON.stringify({ type: 'strata/not-found', title: 'Not Found', status: 404 }));
      return true;
    }
    void t.proxy.upgrade(req, socket, head, route.prefixLength);
    return true;
  }

  const plugin: FastifyPluginAsync = async (app) => {
    // No routes declared (the default): the gateway adds nothing to the request path.
    if (opts.routes.length === 0) return;
    // Callback style: requests for Strata's own routes pay one table match, no promise.
    // A matched request is answered here and `done` is never called (Fastify's early reply).
    app.addHook('onRequest', (request, reply, done) => {
      const answering = dispatch(request, reply);
      if (!answering) return done();
      answering.catch((err: unknown) => {
        if (!reply.sent) reply.send(err instanceof Error ? err : new Error(String(err)));
      });
    });
    if (metrics) {
      app.addHook('onResponse', async (request, reply) => {
        const t = timing.get(request);
        if (t) metrics.request(t.route, reply.statusCode, Number(process.hrtime.bigint() - t.start) / 1e9);
      });
      for (const r of opts.routes) {
        if (r.target.type !== 'proxy') continue;
        r.target.proxy.observer ??= metrics;
        const pool = r.target.proxy.pool;
        for (const u of pool.upstreams) metrics.upstreamHealth(pool.name, u.id, u.available(Date.now()));
        const prev = pool.onHealthChange;
        pool.onHealthChange = (u, h, why) => {
          metrics.upstreamHealth(pool.name, u.id, h);
          prev(u, h, why);
        };
      }
    }
    // Upgrades never reach Fastify's router: take the server's 'upgrade' event, answer our
    // routes, and hand everything else to whoever listened before (e.g. @fastify/websocket).
    // Servers Fastify does not own (a second listener) can call `.upgrade` themselves.
    app.addHook('onReady', async () => {
      const server = app.server;
      if (typeof server?.listeners !== 'function') return;
      const previous = server.listeners('upgrade') as ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
      server.removeAllListeners('upgrade');
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (upgrade(req, socket, head)) return;
        if (previous.length === 0) return rejectUpgrade(socket, 404, 'Not Found', JSON.stringify({ type: 'strata/not-found', title: 'Not Found', status: 404 }));
        for (const l of previous) l.call(server, req, socket, head);
      });
    });
  };
  return Object.assign(fp(plugin, { name: 'strata-gateway', fastify: '5.x' }), { upgrade });
}
