// Cross-origin resource sharing (WHATWG Fetch §3.2, "CORS protocol") for every route family: REST,
// auth, Connect/gRPC-Web, SSE and function routes. Preflights are answered before any route, hook or
// the WAF (they carry no body); other answers to a listed origin carry Allow-Origin and the exposed
// headers, errors included. Hand-written (~70 lines) rather than @fastify/cors so it runs first, on
// paths no route declares OPTIONS for, with no new dependency.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StrataConfig } from '../config/index.js';

const TOKEN_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

/** The onRequest hook for `server.cors`, or undefined when no origin is listed (CORS off). */
export function corsHook(cfg: StrataConfig['server']['cors']): ((req: FastifyRequest, reply: FastifyReply, done: () => void) => void) | undefined {
  if (cfg.origins.length === 0) return undefined;
  const any = cfg.origins.includes('*');
  const listed = new Set(cfg.origins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  const credentials = cfg.credentials && !any;
  const exposed = cfg.exposedHeaders.join(', ');
  const allowed = (origin: string) => any || listed.has(origin.toLowerCase());

  return (req, reply, done) => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || origin === '' || !allowed(origin)) return done();
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('vary', 'Origin');
    if (credentials) reply.header('access-control-allow-credentials', 'true');
    const wanted = req.headers['access-control-request-method'];
    if (req.method === 'OPTIONS' && typeof wanted === 'string') {
      const headers = req.headers['access-control-request-headers'];
      if (typeof headers === 'string' && headers.trim() !== '' && TOKEN_LIST.test(headers.trim())) reply.header('access-control-allow-headers', headers.trim());
      reply
        .header('access-control-allow-methods', METHODS)
        .header('access-control-max-age', String(cfg.maxAge))
        .header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
        .code(204)
        .send();
      return;
    }
    if (exposed) reply.header('access-control-expose-headers', exposed);
    done();
  };
}
