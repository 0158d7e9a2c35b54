// The fast lane's proxied GET/HEAD (fast-lane.ts): forwarded through the route's Proxy (its pool,
// balancer, circuit breaker, retries, forwarded headers and header rules) or the route's response
// cache, and written on the raw response header for header as Proxy.relay, the cache's serve and
// the edge's problem writer send them through Fastify.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StrataError, problemBody, PROBLEM_CONTENT_TYPE } from '../core/index.js';
import { BadGatewayError } from './errors.js';
import type { Proxy, ProxyRequest, UpstreamResponse } from './proxy/proxy-forward.js';
import type { CacheHitAnswer, CacheLaneMiss } from './cache/response-cache.js';

type Headers = Record<string, string | string[]>;

/** Proxy.relay on the raw response (no compression: compressing routes stay on the Fastify path). */
function relay(req: IncomingMessage, res: ServerResponse, up: UpstreamResponse, base: Headers): void {
  const headers: Headers = base;
  const uh = up.headers;
  for (const k in uh) {
    const v = uh[k];
    if (v !== undefined) headers[k] = v;
  }
  const status = up.statusCode;
  const body = up.body;
  if (req.method === 'HEAD' || status === 204 || status === 304) {
    body.on('error', () => {});
    body.destroy();
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, headers);
  body.on('error', () => res.destroy());
  res.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(res);
}

/** The edge's problem writer (replyError) on the raw response. */
function problem(res: ServerResponse, err: unknown, path: string, base: Headers): void {
  const e = err instanceof StrataError ? err : new BadGatewayError();
  const text = problemBody(e, path);
  res.writeHead(e.status, { ...base, ...e.headers, 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Calls `done` with the status once, when the response has ended or the client went away. */
function onEnd(res: ServerResponse, done: (status: number) => void): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ac.abort();
    done(res.statusCode);
  });
  return ac.signal;
}

/**
 * Forwards `req` and answers on `res`, starting from `base` (request id and security headers,
 * which upstream fields of the same name replace, as reply.header does).
 */
export function laneForward(req: IncomingMessage, res: ServerResponse, proxy: Proxy, prefixLength: number, path: string, base: Headers, done: (status: number) => void): void {
  const signal = onEnd(res, done);
  proxy.forward({ raw: req, method: req.method as string, headers: req.headers }, prefixLength, undefined, signal).then(
    (up) => relay(req, res, up, base),
    (err: unknown) => {
      if (!signal.aborted && !res.headersSent) problem(res, err, path, base);
    },
  );
}

/** Writes a cache answer (a hit, or a miss the cache stored). */
export function laneCacheAnswer(res: ServerResponse, answer: CacheHitAnswer, base: Headers): void {
  res.writeHead(answer.status, Object.assign(base, answer.headers));
  res.end(answer.body);
}

/** A cache miss fetched through the cache (stored and coalesced there); `result` gets the cache result to count. */
export function laneCacheMiss(req: IncomingMessage, res: ServerResponse, fetch: (r: ProxyRequest, prefixLength: number) => Promise<CacheLaneMiss>, prefixLength: number, path: string, base: Headers, result: (r: string) => void, done: (status: number) => void): void {
  onEnd(res, done);
  fetch({ raw: req, method: req.method as string, headers: req.headers }, prefixLength).then(
    (out) => {
      if (res.destroyed) return out.kind === 'stream' ? void out.res.body.destroy() : undefined;
      if (out.kind === 'entry') {
        result(out.result);
        return laneCacheAnswer(res, out.answer, base);
      }
      result('MISS');
      base['x-cache'] = 'MISS';
      if (out.kind === 'stream') return relay(req, res, out.res, base);
      problem(res, out.err, path, base);
    },
    (err: unknown) => {
      if (!res.headersSent && !res.destroyed) problem(res, err, path, base);
    },
  );
}
