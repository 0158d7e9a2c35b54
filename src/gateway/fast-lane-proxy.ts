// The fast lane's proxied GET/HEAD (fast-lane.ts): forwarded through the route's Proxy (its pool,
// balancer, circuit breaker, retries, forwarded headers and header rules) and relayed on the raw
// response, header for header what Proxy.relay and the edge's problem writer send through Fastify.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StrataError, problemBody, PROBLEM_CONTENT_TYPE } from '../core/index.js';
import { BadGatewayError } from './errors.js';
import type { Proxy } from './proxy/proxy-forward.js';

type Headers = Record<string, string | string[]>;

/**
 * Forwards `req` and answers on `res`, starting from `base` (request id and security headers,
 * which upstream fields of the same name replace, as reply.header does); `done` gets the status
 * once the response has ended or the client went away.
 */
export function laneForward(req: IncomingMessage, res: ServerResponse, proxy: Proxy, prefixLength: number, path: string, base: Headers, done: (status: number) => void): void {
  const ac = new AbortController();
  let finished = false;
  res.once('close', () => {
    if (!res.writableFinished) ac.abort();
    if (!finished) {
      finished = true;
      done(res.statusCode);
    }
  });
  proxy.forward({ raw: req, method: req.method as string, headers: req.headers }, prefixLength, undefined, ac.signal).then(
    (up) => {
      const headers: Headers = { ...base };
      const uh = up.headers;
      for (const k in uh) {
        const v = uh[k];
        if (v !== undefined) headers[k] = v;
      }
      const status = up.statusCode;
      if (req.method === 'HEAD' || status === 204 || status === 304) {
        up.body.on('error', () => {});
        up.body.destroy();
        res.writeHead(status, headers);
        res.end();
        return;
      }
      res.writeHead(status, headers);
      const body = up.body;
      body.on('error', () => res.destroy());
      res.once('close', () => {
        if (!body.readableEnded) body.destroy();
      });
      body.pipe(res);
    },
    (err: unknown) => {
      if (ac.signal.aborted || res.headersSent) return;
      const e = err instanceof StrataError ? err : new BadGatewayError();
      const text = problemBody(e, path);
      const headers: Headers = { ...base, ...e.headers, 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(text)) };
      res.writeHead(e.status, headers);
      res.end(req.method === 'HEAD' ? undefined : text);
    },
  );
}
