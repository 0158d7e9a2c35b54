// The gateway's fast lane: static answers that are fully in memory, fresh response-cache hits
// and proxied GET/HEAD without a body, written from the raw request handler before Fastify
// builds its request, reply and hook chain. It is the same gateway, not a second one: the same
// answer bytes (site.fast mirrors site.serve, cache.hit mirrors the cache's serve, the proxy is
// the route's own), the same request id, security headers, WAF head check, access line and
// metrics. A request the lane cannot answer exactly as the Fastify path would is left to that
// path untouched (return false): HTTP/2, bodies, CORS requests (an Origin header while CORS is
// on), Upgrade headers, percent-encoded paths, a second Host header, routes with `auth:
// required`, paths Fastify has a route for, anything the WAF wants to judge in full (IP rules,
// rate limits, a finding), files not yet in memory, stale cache entries (revalidated there) and
// compressing proxy routes (but their fresh hits already compressed).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { StaticSite } from './static/static-site.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { Proxy } from './proxy/proxy-forward.js';
import type { ProxyResponder } from './gateway-routes.js';
import { mayHaveBody } from './proxy/request-body.js';
import { laneCacheAnswer, laneCacheMiss, laneForward } from './fast-lane-proxy.js';

export interface AccessLine { reqId: string; ip: string | undefined; method: string; path: string; status: number; ms: number }

export interface FastLaneOptions {
  /** The edge's security header fields for plain and TLS connections. */
  security: { plain: Record<string, string>; secure: Record<string, string> };
  /** The edge's request id (a well-formed X-Request-Id, else a new one). */
  requestId(req: IncomingMessage): string;
  /** The edge's access line writer (undefined: access log off). */
  access?: (line: AccessLine) => void;
  /** The edge's HTTP metrics. */
  metrics?: { observe(method: string, route: string, status: number, seconds: number): void };
  /** The WAF's head check (waf.headPass); without one the lane takes nothing. */
  headPass?: (req: IncomingMessage) => boolean;
  /** Whether Fastify has a route for this method and path (its label, hooks and WAF scope differ: not the lane's). */
  fastifyRoute(method: string, path: string): boolean;
  /** CORS is configured: requests carrying Origin take the Fastify path (its CORS hook answers them). */
  cors: boolean;
  /** Client addresses come from X-Forwarded-For (server.trustProxy): the lane then stays out. */
  trustProxy: boolean;
}

/** A route the lane may answer: static (with the path inside its site) or proxy, both with `auth: none`. */
export type LaneRoute =
  | { kind: 'static'; site: StaticSite; path: string; name: string }
  | { kind: 'proxy'; proxy: Proxy; cache: ProxyResponder | undefined; prefixLength: number; name: string };

/** What the gateway routes offer the lane: the static or proxy route a GET/HEAD matches. */
export type LaneMatch = (req: IncomingMessage, path: string) => LaneRoute | undefined;

/** Answers and returns true, or returns false having touched nothing (the caller hands the request to Fastify). */
export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

function hostCount(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') n++;
  return n;
}

const flat = (h: Record<string, string>): string[] => Object.entries(h).flat();

export function createFastLane(match: LaneMatch, gatewayMetrics: GatewayMetrics | undefined, o: FastLaneOptions): FastLane | undefined {
  const maybeHeadPass = o.headPass;
  if (!maybeHeadPass || o.trustProxy) return undefined;
  const headPass = maybeHeadPass;
  const plain = flat(o.security.plain);
  const secure = flat(o.security.secure);
  const { access, metrics } = o;
  return (req, res) => {
    if (req.httpVersionMajor !== 1) return false;
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const start = performance.now();
    const h = req.headers;
    // With Origin (CORS on) or Upgrade (the realtime plugin ends such sockets after the answer), Fastify's hooks have more to do.
    if ((o.cors && h.origin !== undefined) || h.upgrade !== undefined) return false;
    const url = req.url;
    if (url === undefined || url.charCodeAt(0) !== 47) return false;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.includes('%')) return false;
    const m = match(req, path);
    if (m === undefined) return false;
    if (m.kind === 'proxy') return proxied(req, res, m, method, url, path, start);
    const answer = m.site.fast(method, h, m.path);
    if (answer === undefined || hostCount(req.rawHeaders) > 1 || o.fastifyRoute(method, path) || !headPass(req)) return false;
    const reqId = o.requestId(req);
    const sec = (req.socket as TLSSocket).encrypted ? secure : plain;
    res.writeHead(answer.status, ['x-request-id', reqId, ...sec, ...answer.headers]);
    res.end(answer.body);
    observe(req, m.name, method, path, reqId, answer.status, start);
    return true;
  };

  function observe(req: IncomingMessage, name: string, method: string, path: string, reqId: string, status: number, start: number): void {
    const elapsed = performance.now() - start;
    metrics?.observe(method, 'unmatched', status, elapsed / 1000);
    gatewayMetrics?.request(name, status, elapsed / 1000);
    access?.({ reqId, ip: req.socket.remoteAddress, method, path, status, ms: Math.round(elapsed * 10) / 10 });
  }

  /** A cache hit written at once, or the request forwarded; false when the Fastify path must take it. */
  function proxied(req: IncomingMessage, res: ServerResponse, m: Extract<LaneRoute, { kind: 'proxy' }>, method: 'GET' | 'HEAD', url: string, path: string, start: number): boolean {
    const h = req.headers;
    // Bodies go through the WAF's body gate; tus metadata too (gateway-routes' dispatch).
    if (mayHaveBody(req) || h['upload-metadata'] !== undefined) return false;
    let step;
    if (m.cache !== undefined) {
      // Fresh hits, bypasses and misses without an entry; stale entries are revalidated on the Fastify path.
      step = m.cache.lane?.(method, url, h, m.proxy);
      if (step === undefined) return false;
    } else if (m.proxy.compressor !== undefined) return false;
    if (hostCount(req.rawHeaders) > 1 || o.fastifyRoute(method, path) || !headPass(req)) return false;
    const reqId = o.requestId(req);
    const base: Record<string, string | string[]> = { 'x-request-id': reqId, ...((req.socket as TLSSocket).encrypted ? o.security.secure : o.security.plain) };
    const done = (status: number) => observe(req, m.name, method, path, reqId, status, start);
    if (step?.kind === 'hit') {
      gatewayMetrics?.cache(m.name, 'HIT');
      laneCacheAnswer(res, step.answer, base);
      done(step.answer.status);
      return true;
    }
    if (step?.kind === 'miss') {
      laneCacheMiss(req, res, step.fetch, m.prefixLength, path, base, (r) => gatewayMetrics?.cache(m.name, r), done);
      return true;
    }
    if (step?.kind === 'bypass') {
      gatewayMetrics?.cache(m.name, 'BYPASS');
      base['x-cache'] = 'BYPASS';
    }
    laneForward(req, res, m.proxy, m.prefixLength, path, base, done);
    return true;
  }
}
