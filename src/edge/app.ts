// Builds the Fastify application shared by every listener: request ids,
// security headers, access log, metrics, problem+json errors and 405s.
import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
// @ts-expect-error: Fastify ships no types for its internal symbols module
import fastifySymbols from 'fastify/lib/symbols.js';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from 'pino';
import type { StrataConfig } from '../config/index.js';
import { accessLog, bothAccess, type AccessRing, type HttpMetrics, type StorageFaults } from '../ops/index.js';
import { errorHandler, problemFor, sendProblem } from './problem.js';
import { securityHeaders } from './security-headers.js';
import { clientErrorHandler } from './client-errors.js';
import { corsHook } from './cors.js';
import { LazyRequestLogger } from './request-logger.js';

/** A request handler as Node's servers call it (HTTP/1.1 or the HTTP/2 compatibility API). */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface AppOptions {
  config: StrataConfig;
  log: Logger;
  metrics?: HttpMetrics;
  /** The recent access lines kept in memory for the admin log viewer (`log.recent`). */
  recentAccess?: AccessRing;
  /** Returns the server that Fastify treats as its own; receives Fastify's request handler. */
  serverFactory: (handler: RawHandler) => unknown;
  http2: boolean;
  /** Storage faults seen by requests (logged once per interval, reported by readiness). */
  storage?: StorageFaults;
}

const REQUEST_ID = /^[A-Za-z0-9._:@=+/-]{1,128}$/;
// Fastify's own symbols for the reply's header table and the route context (lib/symbols.js, no public
// accessor without a per-request copy: reply.getHeaders() copies, request.routeOptions builds an object).
const { kReplyHeaders, kRouteContext } = fastifySymbols as { kReplyHeaders: symbol; kRouteContext: symbol };
if (typeof kReplyHeaders !== 'symbol' || typeof kRouteContext !== 'symbol') {
  throw new Error('fastify/lib/symbols.js no longer exports kReplyHeaders and kRouteContext: the edge needs a Fastify 5 it was built for');
}
const H2_IP = Symbol('strata.h2-ip');
const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** A header object as a flat [name, value, ...] list, names lower-cased once (they are the reply's table keys). */
function headerBlock(h: Record<string, string>): string[] {
  return Object.entries(h).flatMap(([k, v]) => [k.toLowerCase(), v]);
}

function hostCount(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') n++;
  return n;
}

/** Accepts a well-formed incoming X-Request-Id, else makes one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Status of Fastify's router-level errors (raised before any hook runs). */
const FRAMEWORK_STATUS: Record<string, number> = { FST_ERR_BAD_URL: 400, FST_ERR_MAX_PARAM_LENGTH: 414, FST_ERR_ASYNC_CONSTRAINT: 500 };
const FRAMEWORK_DETAIL: Record<string, string> = {
  FST_ERR_BAD_URL: 'The request URL is malformed (not valid percent-encoded UTF-8).',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is longer than any resource name or id (100 characters).',
  FST_ERR_ASYNC_CONSTRAINT: 'The request could not be routed.',
};

export function buildApp(opts: AppOptions): FastifyInstance {
  const { config, log, metrics } = opts;
  const headers = securityHeaders(config.headers);
  const secure = (request: { raw: IncomingMessage }) => ((request.raw.socket as TLSSocket | undefined)?.encrypted ? headers.secure : headers.plain);
  const app = Fastify({
    loggerInstance: log,
    // One access line per request is written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: requestId,
    childLoggerFactory: (logger, bindings, options) => new LazyRequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger,
    bodyLimit: config.server.bodyLimit,
    trustProxy: config.server.trustProxy as boolean, // Fastify also takes a hop count at run time
    return503OnClosing: false,
    http2: opts.http2 as false,
    serverFactory: opts.serverFactory as unknown as FastifyServerFactory,
    clientErrorHandler: clientErrorHandler(headers),
    // Errors the router raises before any hook: the same problem+json, request id and headers as the rest.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-request-id', request.id).headers(secure(request));
      const status = FRAMEWORK_STATUS[err.code] ?? 400;
      if (status >= 500) request.log.error({ err, reqId: request.id }, 'routing failed');
      return sendProblem(reply, problemFor(status, FRAMEWORK_DETAIL[err.code]));
    },
  }) as unknown as FastifyInstance;

  // A shadow router knows every registered path, so an unknown method on a
  // known path is a 405 with Allow rather than a 404.
  const known = FindMyWay();
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m): m is HTTPMethod => METHODS.includes(m as HTTPMethod));
    if (methods.length > 0) known.on(methods, route.url, () => undefined);
  });

  // The edge's whole per-request work is one onRequest pass and one onResponse pass (not a hook per
  // concern): the request id and the security headers go into the reply's header table as one
  // precomputed block, the Host check runs, and, over HTTP/2, the client address is kept for the access line.
  const access = bothAccess(config.log.access ? accessLog(log) : undefined, opts.recentAccess?.push);
  const plainBlock = headerBlock(headers.plain);
  const secureBlock = headerBlock(headers.secure);
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    const table = (reply as unknown as Record<symbol, Record<string, unknown>>)[kReplyHeaders];
    table['x-request-id'] = request.id;
    const block = (raw.socket as TLSSocket | undefined)?.encrypted ? secureBlock : plainBlock;
    for (let i = 0; i < block.length; i += 2) table[block[i]] = block[i + 1];
    if (raw.httpVersionMajor === 2) {
      // Over HTTP/2 the request's socket is gone once the stream ends (request.ip is undefined in
      // onResponse): the address is read when the request starts.
      if (access) (request as unknown as Record<symbol, string | undefined>)[H2_IP] = request.ip;
    } else if (hostCount(raw.rawHeaders) > 1) {
      // RFC 9112 §3.2: a request with more than one Host header field is 400 (Node keeps only the first).
      sendProblem(reply, problemFor(400, 'The request has more than one Host header.'));
      return;
    }
    done();
  });

  if (access || metrics) {
    app.addHook('onResponse', (request, reply, done) => {
      const status = reply.statusCode;
      const ms = reply.elapsedTime;
      // the route pattern without building Fastify's routeOptions object per request
      if (metrics) metrics.observe(request.method, (request as unknown as Record<symbol, { config?: { url?: string } }>)[kRouteContext].config?.url ?? 'unmatched', status, ms / 1000);
      if (access) {
        // Client address per server.trustProxy; the path without its query
        // string, which can carry tokens.
        const q = request.url.indexOf('?');
        const ip = request.raw.httpVersionMajor === 2 ? (request as unknown as Record<symbol, string | undefined>)[H2_IP] : request.ip;
        access({ reqId: request.id, ip, method: request.method, path: q < 0 ? request.url : request.url.slice(0, q), status, ms: Math.round(ms * 10) / 10 });
      }
      done();
    });
  }

  // After the request id, security headers and access-log hooks (a preflight answer carries and logs
  // them), before every hook capabilities add (the WAF's, auth's): a preflight never reaches them.
  const cors = corsHook(config.server.cors);
  if (cors) app.addHook('onRequest', cors);

  app.setErrorHandler(errorHandler(opts.storage));
  app.setNotFoundHandler((request, reply) => {
    const q = request.url.indexOf('?');
    const path = q < 0 ? request.url : request.url.slice(0, q);
    const allowed = METHODS.filter((m) => m !== request.method && known.find(m, path) !== null);
    if (allowed.length > 0) {
      return sendProblem(reply, problemFor(405, `${request.method} is not allowed here; use ${allowed.join(', ')}.`), { allow: allowed.join(', ') });
    }
    return sendProblem(reply, problemFor(404, `Nothing is served at ${path.length > 200 ? path.slice(0, 200) + '…' : path}.`));
  });
  return app;
}
