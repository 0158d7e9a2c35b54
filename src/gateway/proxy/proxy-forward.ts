// Reverse proxying of one request to an upstream pool through undici: bodies streamed both
// ways, retries of replayable idempotent requests on another upstream, problems on failure.
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex, Readable } from 'node:stream';
import { proxyWebSocket } from './websocket-proxy.js';
import { proxyWebSocketH2 } from './websocket-h2.js';
import { createCompressor, type Compressor, type CompressOptions } from './proxy-compress.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StrataError } from '../../core/index.js';
import { BadGatewayError, GatewayTimeoutError, ServiceUnavailableError, sendProblem } from '../errors.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { applyHeaderRules, compilePathRewrite, endToEnd, type HeaderBag, type HeaderRules, type PathRewrite } from './header-rules.js';
import { ipList, type IpList } from './ip-match.js';
import { isCertificateError } from './upstream-tls.js';
import { mayHaveBody, replacedRequestBody } from './request-body.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface ProxyOptions {
  pool: UpstreamPool;
  /** Send the client's Host upstream (true) or the upstream's own host (false). Default true. */
  preserveHost?: boolean;
  requestHeaders?: HeaderRules;
  responseHeaders?: HeaderRules;
  rewrite?: PathRewrite;
  /** Extra attempts on other upstreams for replayable idempotent requests. Default 2. */
  retries?: number;
  /** Upstream statuses treated as failures and retried. Default 502, 503, 504. */
  retryOn?: number[];
  /** Addresses whose X-Forwarded-* / Forwarded are believed (IPs, CIDRs, `loopback`, `private`). */
  trustedProxies?: string[] | IpList;
  /** Compress compressible responses (br, gzip) the upstream sent uncompressed. Off by default. */
  compress?: boolean | CompressOptions;
}

/** What forward reads of a request: Fastify's request, or the raw one with its method and headers (the fast lane). */
export interface ProxyRequest {
  raw: IncomingMessage | Http2ServerRequest;
  method: string;
  headers: FastifyRequest['headers'];
}

export interface UpstreamResponse {
  statusCode: number;
  headers: HeaderBag;
  body: Readable;
  upstream: Upstream;
}

export interface ProxyObserver {
  upstreamResult(pool: string, upstream: string, outcome: string, seconds: number): void;
}

/** Drops an upstream body we will not read (undici reports an abort error on destroy). */
export function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
type RawRequest = IncomingMessage | Http2ServerRequest;

function mapError(err: unknown): StrataError {
  const code = (err as { code?: string }).code ?? '';
  if (isCertificateError(err)) return new BadGatewayError("The upstream's TLS certificate could not be verified.");
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'ETIMEDOUT') return new GatewayTimeoutError();
  return new BadGatewayError();
}

export interface Proxy {
  readonly pool: UpstreamPool;
  /** Receives per-upstream outcomes (the gateway plugin sets its metrics here when none was given). */
  observer: ProxyObserver | undefined;
  /** Sends the request upstream and resolves with the response head; the body is a stream. `extra` sets headers (undefined deletes). */
  forward(request: ProxyRequest, prefixLength: number, extra?: HeaderBag, signal?: AbortSignal): Promise<UpstreamResponse>;
  /** Present when the route compresses responses (the cache uses it for stored bodies). */
  readonly compressor: Compressor | undefined;
  /** Relays an upstream response to the client. */
  relay(request: FastifyRequest, reply: FastifyReply, res: { statusCode: number; headers: HeaderBag; body?: Readable | Buffer }): FastifyReply;
  /** Proxies a WebSocket upgrade (HTTP/1.1 `upgrade` event) to the pool. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, prefixLength: number): Promise<void>;
  /** Proxies an HTTP/2 WebSocket (RFC 8441 extended CONNECT) to the pool. */
  connectH2(req: Http2ServerRequest, res: Http2ServerResponse, prefixLength: number): Promise<void>;
  /** forward + relay, answering failures as problem+json. */
  handle(request: FastifyRequest, reply: FastifyReply, prefixLength: number): Promise<FastifyReply>;
}

/**
 * @example
 * const proxy = createProxy({ pool: new UpstreamPool({ name: 'app', upstreams: [{ url: 'http://127.0.0.1:3000' }] }) });
 * app.all('/app/*', (req, reply) => proxy.handle(req, reply, 4));
 */
export function createProxy(o: ProxyOptions, observer?: ProxyObserver): Proxy {
  const pool = o.pool;
  const preserveHost = o.preserveHost ?? true;
  const retries = o.retries ?? 2;
  const retryOn = new Set(o.retryOn ?? [502, 503, 504]);
  const trusted = !o.trustedProxies ? ipList([]) : Array.isArray(o.trustedProxies) ? ipList(o.trustedProxies) : (o.trustedProxies as IpList);
  const rewrite = compilePathRewrite(o.rewrite);
  const hashOn = pool.hashOn;
  const compressor = o.compress ? createCompressor(o.compress === true ? {} : o.compress) : undefined;

  function affinityKey(request: ProxyRequest, clientIp: string): string | undefined {
    if (!hashOn) return undefined;
    if (hashOn === 'ip') return clientIp;
    if (hashOn.startsWith('header:')) {
      const v = request.headers[hashOn.slice(7).toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    }
    if (hashOn.startsWith('cookie:')) {
      const name = hashOn.slice(7);
      const cookie = request.headers.cookie ?? '';
      for (const part of cookie.split(';')) {
        const i = part.indexOf('=');
        if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
      }
    }
    return undefined;
  }

  async function forward(request: ProxyRequest, prefixLength: number, extra?: HeaderBag, signal?: AbortSignal): Promise<UpstreamResponse> {
    const raw = request.raw;
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    const path = rewrite(q === -1 ? url : url.slice(0, q), prefixLength) + (q === -1 ? '' : url.slice(q));
    const method = request.method;
    const headers = endToEnd(request.headers);
    const host = (request.headers.host ?? request.headers[':authority']) as string | undefined;
    const fwd = forwardedHeaders(
      { remoteAddress: raw.socket?.remoteAddress ?? '', proto: (raw.socket as { encrypted?: boolean })?.encrypted ? 'https' : 'http', host, headers: request.headers },
      trusted,
    );
    Object.assign(headers, fwd.headers);
    if (preserveHost && host) headers.host = host;
    else delete headers.host;
    if (extra) {
      for (const k in extra) {
        if (extra[k] === undefined) delete headers[k];
        else headers[k] = extra[k];
      }
    }
    applyHeaderRules(headers, o.requestHeaders);
    // the WAF may have read the stream for inspection: then it hands back the same bytes
    const body = replacedRequestBody(raw) ?? (mayHaveBody(raw as RawRequest & { stream?: { endAfterHeaders?: boolean } }) ? raw : undefined);
    const replayable = IDEMPOTENT.has(method) && body === undefined;
    const key = affinityKey(request, fwd.clientIp);
    const tried = new Set<Upstream>();
    let lastError: StrataError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (pool.breaker && !pool.breaker.allow()) {
        throw new ServiceUnavailableError('The upstream pool is failing; try again shortly.', Math.ceil(pool.breaker.retryAfterMs() / 1000) || 1);
      }
      const u = pool.select(key, tried);
      if (!u) throw lastError ?? new ServiceUnavailableError();
      tried.add(u);
      u.active++;
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      let res;
      try {
        res = await u.dispatcher.request({ path: u.basePath + path, method: method as 'GET', ...u.dispatchOptions, headers: headers as Record<string, string>, body, signal });
      } catch (err) {
        u.active--;
        if (signal?.aborted) throw err;
        pool.recordFailure(u);
        self.observer?.upstreamResult(pool.name, u.id, 'error', seconds());
        lastError = mapError(err);
        if (!replayable) throw lastError;
        continue;
      }
      self.observer?.upstreamResult(pool.name, u.id, String(res.statusCode), seconds());
      if (retryOn.has(res.statusCode)) {
        pool.recordFailure(u);
        if (replayable && attempt < retries && pool.upstreams.length > tried.size) {
          u.active--;
          await res.body.dump().catch(() => {});
          continue;
        }
      } else pool.recordSuccess(u);
      let released = false;
      res.body.once('close', () => {
        if (!released) u.active--;
        released = true;
      });
      const out = endToEnd(res.headers);
      applyHeaderRules(out, o.responseHeaders);
      return { statusCode: res.statusCode, headers: out, body: res.body, upstream: u };
    }
    throw lastError ?? new ServiceUnavailableError();
  }

  function relay(request: FastifyRequest, reply: FastifyReply, res: { statusCode: number; headers: HeaderBag; body?: Readable | Buffer }): FastifyReply {
    reply.code(res.statusCode);
    let headers = res.headers;
    let body = res.body;
    const coding = compressor && body && !Buffer.isBuffer(body) ? compressor.choose(request.method, request.headers, res.statusCode, headers) : undefined;
    if (coding && body && !Buffer.isBuffer(body)) {
      headers = compressor!.headers(headers, coding);
      body = compressor!.stream(body, coding);
    }
    for (const k in headers) {
      const v = headers[k];
      if (v !== undefined) reply.header(k, v);
    }
    const noBody = request.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
    if (noBody || body === undefined) {
      if (body && !Buffer.isBuffer(body)) discard(body);
      return reply.send();
    }
    return reply.send(body);
  }

  async function handle(request: FastifyRequest, reply: FastifyReply, prefixLength: number): Promise<FastifyReply> {
    const ac = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) ac.abort();
    };
    reply.raw.once('close', onClose);
    try {
      const res = await forward(request, prefixLength, undefined, ac.signal);
      return relay(request, reply, res);
    } catch (err) {
      if (ac.signal.aborted) return reply;
      return sendProblem(reply, err instanceof StrataError ? err : new BadGatewayError());
    }
  }

  function upstreamPath(url: string, prefixLength: number): string {
    const q = url.indexOf('?');
    return rewrite(q === -1 ? url : url.slice(0, q), prefixLength) + (q === -1 ? '' : url.slice(q));
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, prefixLength: number): Promise<void> {
    const path = upstreamPath(req.url ?? '/', prefixLength);
    return proxyWebSocket(req, socket, head, { pool, path, trusted, requestHeaders: o.requestHeaders, preserveHost });
  }

  function connectH2(req: Http2ServerRequest, res: Http2ServerResponse, prefixLength: number): Promise<void> {
    const path = upstreamPath(req.url || '/', prefixLength);
    return proxyWebSocketH2(req, res, { pool, path, trusted, requestHeaders: o.requestHeaders, preserveHost });
  }

  const self: Proxy = { pool, observer, compressor, forward, relay, handle, upgrade, connectH2 };
  return self;
}
