// Superuser API over the in-memory WAF event ring: GET / (newest first, filtered)
// and GET /:id. Access is decided by the caller's `authorize` hook (auth capability).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ForbiddenError, NotFoundError } from '../core/index.js';
import type { EventRing } from './event-ring.js';

export interface WafEventsRoutesDeps {
  events: EventRing;
  /** True when the request comes from a superuser. */
  authorize(request: FastifyRequest): boolean | Promise<boolean>;
}

const PROBLEM = 'application/problem+json; charset=utf-8';

/**
 * @example
 * app.register(wafEventsRoutes({ events, authorize: (req) => auth.isSuperuser(req) }), { prefix: '/api/admin/waf/events' });
 */
export function wafEventsRoutes(deps: WafEventsRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      let ok = false;
      try { ok = await deps.authorize(request); } catch { ok = false; }
      if (!ok) return reply.code(403).header('content-type', PROBLEM).send(new ForbiddenError('Only superusers may read WAF events.').toProblem(request.url.split('?')[0]));
    });
    app.get<{ Querystring: { limit?: number; action?: 'blocked' | 'detected'; detector?: string; ip?: string } }>('/', {
      schema: {
        querystring: {
          type: 'object', additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            action: { type: 'string', enum: ['blocked', 'detected'] },
            detector: { type: 'string', maxLength: 32 },
            ip: { type: 'string', maxLength: 64 },
          },
        },
      },
    }, async (request) => ({ items: deps.events.list(request.query), size: deps.events.size, capacity: deps.events.capacity }));
    app.get<{ Params: { id: string } }>('/:id', async (request, reply) => {
      const ev = deps.events.get(request.params.id);
      if (!ev) return reply.code(404).header('content-type', PROBLEM).send(new NotFoundError('No WAF event with this id (it may have been dropped from the ring).').toProblem(request.url));
      return ev;
    });
  };
}
