// Builds the Fastify application shared by every listener: request ids,
// security headers, access log, metrics, problem+json errors and 405s.
import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from 'pino';
import type { StrataConfig } from '../config/index.js';
import { accessLog, type HttpMetrics } from '../ops/index.js';
import { handleError, problemFor, sendProblem } from './problem.js';
import { securityHeaders } from './security-headers.js';
import { LazyRequestLogger } from './request-logger.js';

/** A request handler as Node's servers call it (HTTP/1.1 or the HTTP/2 compatibility API). */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface AppOptions {
  config: StrataConfig;
  log: Logger;
  metrics?: HttpMetrics;
  /** Returns the server that Fastify treats as its own; receives Fastify's request handler. */
  serverFactory: (handler: RawHandler) => unknown;
  http2: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:@=+/-]{1,128}$/;
const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Accepts a well-formed incoming X-Request-Id, else makes one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const { config, log, metrics } = opts;
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
  }) as unknown as FastifyInstance;

  // A shadow router knows every registered path, so an unknown method on a
  // known path is a 405 with Allow rather than a 404.
  const known = FindMyWay();
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m): m is HTTPMethod => METHODS.includes(m as HTTPMethod));
    if (methods.length > 0) known.on(methods, route.url, () => undefined);
  });

  const headers = securityHeaders(config.headers);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.headers((request.raw.socket as TLSSocket | undefined)?.encrypted ? headers.secure : headers.plain);
    done();
  });

  const access = config.log.access ? accessLog(log) : undefined;
  // Over HTTP/2 the request's socket is gone once the stream ends (request.ip is undefined in
  // onResponse): the address is read when the request starts.
  const h2Ips = new WeakMap<object, string | undefined>();
  if (access) {
    app.addHook('onRequest', (request, _reply, done) => {
      if (request.raw.httpVersionMajor === 2) h2Ips.set(request, request.ip);
      done();
    });
  }
  if (access || metrics) {
    app.addHook('onResponse', (request, reply, done) => {
      const status = reply.statusCode;
      const route = request.routeOptions.url ?? 'unmatched';
      if (metrics) metrics.observe(request.method, route, status, reply.elapsedTime / 1000);
      if (access) {
        // Client address per server.trustProxy; the path without its query
        // string, which can carry tokens.
        const q = request.url.indexOf('?');
        access({ reqId: request.id, ip: request.raw.httpVersionMajor === 2 ? h2Ips.get(request) : request.ip, method: request.method, path: q < 0 ? request.url : request.url.slice(0, q), status, ms: Math.round(reply.elapsedTime * 10) / 10 });
      }
      done();
    });
  }

  app.setErrorHandler(handleError);
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
