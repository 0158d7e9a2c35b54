// The gateway as one Fastify plugin: an onRequest hook matches the route table (host, path,
// method, headers) and answers static, proxy and redirect routes before Fastify's router;
// `api` routes (and unmatched requests) fall through to Strata's own routes. WebSockets arrive
// outside Fastify: HTTP/1.1 `upgrade` events and HTTP/2 extended CONNECT (RFC 8441) streams.
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, Settings } from 'node:http2';
import type { Duplex, Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { compileRoutes, normalizeHost, type RouteInput } from './proxy/route-match.js';
import type { StaticSite } from './static/static-site.js';
import type { Proxy } from './proxy/proxy-forward.js';
import { rejectUpgrade } from './proxy/websocket-proxy.js';
import { isExtendedConnect, rejectConnect } from './proxy/websocket-h2.js';
import { bridgeExtendedConnect } from './proxy/websocket-h2-bridge.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { mayHaveBody, setRequestBody } from './proxy/request-body.js';
import type { LaneMatch } from './fast-lane.js';
import type { CacheLaneStep } from './cache/response-cache.js';
import type { HeaderBag } from './proxy/header-rules.js';

/** Something that answers proxied requests itself (e.g. the response cache). */
export interface ProxyResponder {
  handle(request: FastifyRequest, reply: FastifyReply, proxy: Proxy, prefixLength: number, route: string): Promise<FastifyReply>;
  /** What the fast lane may do for a GET/HEAD, as `handle` would (see ResponseCache.lane); undefined leaves the request to `handle`. */
  lane?(method: 'GET' | 'HEAD', url: string, headers: HeaderBag, proxy: Proxy): CacheLaneStep | undefined;
}

/**
 * Whose credentials a route's `Authorization` header and cookies are. `none` (the default): the
 * site's or upstream's own; Strata does not read them and forwards them untouched. `required`:
 * Strata's; the request needs a valid Strata token, API key or session (401 otherwise), and
 * WebSocket upgrades on the route are refused (they bypass the request hooks that check it).
 */
export type GatewayAuth = 'none' | 'required';

export type GatewayTarget =
  | { type: 'static'; site: StaticSite; /** Drop the matched prefix (default true). */ stripPrefix?: boolean; auth?: GatewayAuth }
  | { type: 'proxy'; proxy: Proxy; cache?: ProxyResponder; /** Proxy WebSocket upgrades too (default true). */ websocket?: boolean; auth?: GatewayAuth }
  | { type: 'redirect'; /** Location; `{host}`, `{path}` and `{uri}` (path + query) are replaced. */ to: string; status?: 301 | 302 | 303 | 307 | 308 }
  | { type: 'api' };

/**
 * Reads and judges a request's body before a gateway route answers it (the WAF's body
 * gate): `answered` when it refused the request, else the body to forward in place of
 * the raw stream it read (`undefined`: it read nothing).
 */
export type RequestBodyGate = (request: FastifyRequest, reply: FastifyReply) => Promise<{ answered: true } | { answered: false; body?: Buffer | Readable }>;

export interface GatewayOptions {
  routes: RouteInput<GatewayTarget>[];
  metrics?: GatewayMetrics;
  /** Called before any static, proxy or redirect route answers a request that has a body. */
  bodyGate?: RequestBodyGate;
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

/** Answers an HTTP/2 server's `connect` event (RFC 8441 WebSocket) when a gateway route matches; false leaves it to others. */
export type ExtendedConnectHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => boolean;

/** An http2 server (compat API): `updateSettings` exists since Node 15.1, and is our feature test. */
interface Http2ServerLike {
  updateSettings?: (settings: Settings) => void;
}

const NOT_FOUND = JSON.stringify({ type: 'strata/not-found', title: 'Not Found', status: 404 });
const UNAUTHORIZED = JSON.stringify({ type: 'strata/unauthorized', title: 'Unauthorized', status: 401, detail: 'This route needs a Strata token, API key or session.' });

function authRequired(t: GatewayTarget): boolean {
  return (t.type === 'static' || t.type === 'proxy') && t.auth === 'required';
}

/**
 * @example
 * app.register(gatewayRoutes({ routes: [
 *   { match: { hosts: ['static.example.com'] }, target: { type: 'static', site } },
 *   { match: { prefix: '/app' }, target: { type: 'proxy', proxy } },
 *   { match: { prefix: '/api' }, target: { type: 'api' } },
 * ] }));
 */
export function gatewayRoutes(opts: GatewayOptions): FastifyPluginAsync & { upgrade: UpgradeHandler; connect: ExtendedConnectHandler; bypassesAuth: (request: FastifyRequest) => boolean; laneMatch: LaneMatch } {
  const table = compileRoutes(opts.routes);
  const metrics = opts.metrics;
  const gate = opts.bodyGate;
  // Route name per answered request, for the onResponse metrics hook (duration: reply.elapsedTime).
  const answeredBy = new WeakMap<FastifyRequest, string>();
  // The Host header is only normalized when some route matches on it (or a redirect needs it).
  const hostRoutes = opts.routes.some((r) => (r.match.hosts?.length ?? 0) > 0);

  /** Starts answering when a gateway route matches; returns undefined when Fastify's routes should. */
  function dispatch(request: FastifyRequest, reply: FastifyReply): Promise<unknown> | undefined {
    const url = request.url;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    // No closure here: under tsx every named function expression costs a `__name` call per request.
    const rawHost = (request.headers.host ?? request.headers[':authority']) as string | undefined;
    const route = table.match({ host: hostRoutes ? normalizeHost(rawHost) : '', path, method: request.method, headers: request.headers });
    if (!route || route.target.type === 'api') return undefined;
    if (metrics) answeredBy.set(request, route.name);
    if (authRequired(route.target) && !request.auth) {
      reply.code(401).header('content-type', 'application/problem+json').header('www-authenticate', 'Bearer').send(UNAUTHORIZED);
      return Promise.resolve();
    }
    // Fastify never parses these bodies: the gate inspects them first (an attack is refused whatever the route answers);
    // a tus creation's Upload-Metadata (file name, values) goes through it too, body or not
    if (gate !== undefined && (mayHaveBody(request.raw as Parameters<typeof mayHaveBody>[0]) || request.headers['upload-metadata'] !== undefined)) {
      return gate(request, reply).then((r) => {
        if (r.answered) return undefined;
        if (r.body !== undefined) setRequestBody(request.raw, r.body);
        return answer(request, reply, route.target, route.prefixLength, route.name, path, rawHost, url);
      });
    }
    return answer(request, reply, route.target, route.prefixLength, route.name, path, rawHost, url);
  }

  function answer(request: FastifyRequest, reply: FastifyReply, t: GatewayTarget, prefixLength: number, name: string, path: string, rawHost: string | undefined, url: string): Promise<unknown> | undefined {
    const route = { prefixLength, name };
    switch (t.type) {
      case 'static':
        return t.site.serve(request, reply, (t.stripPrefix ?? true) ? path.slice(route.prefixLength) || '/' : path);
      case 'redirect':
        reply.code(t.status ?? 308).header('location', redirectLocation(t.to, normalizeHost(rawHost), url)).send();
        return Promise.resolve();
      case 'proxy':
        return t.cache ? t.cache.handle(request, reply, t.proxy, route.prefixLength, route.name) : t.proxy.handle(request, reply, route.prefixLength);
    }
  }

  /**
   * True when a static, proxy or redirect route that did not opt in to Strata's auth answers this
   * request: its Authorization header and cookies belong to the site or upstream, and Strata's
   * request-auth hook must leave them alone (read, judge and forward nothing of its own).
   */
  function bypassesAuth(request: FastifyRequest): boolean {
    if (opts.routes.length === 0) return false;
    const url = request.url;
    const q = url.indexOf('?');
    const rawHost = (request.headers.host ?? request.headers[':authority']) as string | undefined;
    const route = table.match({ host: hostRoutes ? normalizeHost(rawHost) : '', path: q === -1 ? url : url.slice(0, q), method: request.method, headers: request.headers });
    return route !== undefined && route.target.type !== 'api' && !authRequired(route.target);
  }

  /** For the fast lane: the static or proxy route (auth none) a GET/HEAD for `path` matches, with the path inside a static site. */
  const laneMatch: LaneMatch = (req, path) => {
    if (opts.routes.length === 0) return undefined;
    const route = table.match({ host: hostRoutes ? normalizeHost(req.headers.host) : '', path, method: req.method ?? 'GET', headers: req.headers });
    if (route === undefined) return undefined;
    const t = route.target;
    if (t.type === 'static' && t.auth !== 'required') return { kind: 'static', site: t.site, path: (t.stripPrefix ?? true) ? path.slice(route.prefixLength) || '/' : path, name: route.name };
    if (t.type === 'proxy' && t.auth !== 'required') return { kind: 'proxy', proxy: t.proxy, cache: t.cache, prefixLength: route.prefixLength, name: route.name };
    return undefined;
  };

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = table.match({ host: normalizeHost(req.headers.host), path: q === -1 ? url : url.slice(0, q), method: 'GET', headers: req.headers });
    if (!route || route.target.type === 'api') return false;
    const t = route.target;
    if (t.type !== 'proxy' || t.websocket === false) {
      rejectUpgrade(socket, 404, 'Not Found', NOT_FOUND);
      return true;
    }
    if (authRequired(t)) {
      rejectUpgrade(socket, 401, 'Unauthorized', UNAUTHORIZED);
      return true;
    }
    void t.proxy.upgrade(req, socket, head, route.prefixLength);
    return true;
  }

  function connect(req: Http2ServerRequest, res: Http2ServerResponse): boolean {
    // Plain CONNECT (tunnels) and other :protocol values are not the gateway's.
    if (!isExtendedConnect(req)) return false;
    const url = req.url || '/';
    const q = url.indexOf('?');
    const host = normalizeHost((req.headers[':authority'] ?? req.headers.host) as string | undefined);
    const route = table.match({ host, path: q === -1 ? url : url.slice(0, q), method: 'GET', headers: req.headers });
    if (!route || route.target.type === 'api') return false;
    const t = route.target;
    if (t.type !== 'proxy' || t.websocket === false) {
      rejectConnect(res, 404, 'strata/not-found', 'Not Found', 'No WebSocket route here.');
      return true;
    }
    if (authRequired(t)) {
      rejectConnect(res, 401, 'strata/unauthorized', 'Unauthorized', 'This route needs a Strata token, API key or session.');
      return true;
    }
    t.proxy.connectH2(req, res, route.prefixLength).catch(() => res.stream.destroy());
    return true;
  }

  const websockets = opts.routes.some((r) => r.target.type === 'proxy' && r.target.websocket !== false);

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
      app.addHook('onResponse', (request, reply, done) => {
        const route = answeredBy.get(request);
        if (route !== undefined) metrics.request(route, reply.statusCode, reply.elapsedTime / 1000);
        done();
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
        if (previous.length === 0) return rejectUpgrade(socket, 404, 'Not Found', NOT_FOUND);
        for (const l of previous) l.call(server, req, socket, head);
      });
      // HTTP/2: advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3) to sessions opened from
      // now on, and take the compat API's 'connect' event, which HTTP/1.1 CONNECT (allowHTTP1)
      // shares with (req, socket, head) arguments: those go where they went before.
      const h2 = server as unknown as Http2ServerLike;
      if (!websockets || typeof h2.updateSettings !== 'function') return;
      h2.updateSettings({ enableConnectProtocol: true });
      const previousConnect = server.listeners('connect') as ((req: unknown, resOrSocket: unknown, head?: Buffer) => void)[];
      server.removeAllListeners('connect');
      server.on('connect', (req: IncomingMessage | Http2ServerRequest, resOrSocket: Http2ServerResponse | Duplex, head?: Buffer) => {
        const isH2 = 'stream' in req;
        if (isH2 && connect(req, resOrSocket as Http2ServerResponse)) return;
        // Strata's own WebSocket endpoints (realtime): the same stream, handed to the upgrade listeners.
        if (isH2 && isExtendedConnect(req) && previous.length > 0) {
          return bridgeExtendedConnect(req, resOrSocket as Http2ServerResponse, (r, s, h) => {
            for (const l of previous) l.call(server, r, s, h);
          });
        }
        if (previousConnect.length > 0) for (const l of previousConnect) l.call(server, req, resOrSocket, head);
        // What Node does without a listener: 405 on HTTP/2, a closed socket on HTTP/1.1.
        else if (isH2) rejectConnect(resOrSocket as Http2ServerResponse, 405, 'strata/method-not-allowed', 'Method Not Allowed', 'CONNECT is not allowed here.');
        else (resOrSocket as Duplex).destroy();
      });
    });
  };
  return Object.assign(fp(plugin, { name: 'strata-gateway', fastify: '5.x' }), { upgrade, connect, bypassesAuth, laneMatch });
}
