// Superuser API over the in-memory WAF event ring: GET / (newest first, filtered) and GET /:id.
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '../../core/index.js';
import type { EventRing } from '../../waf/index.js';
import type { AdminGuard } from './guard.js';

export interface WafEventsRoutesDeps {
  events: EventRing;
  /** Throws UnauthorizedError/ForbiddenError unless the caller is a superuser. */
  authorize: AdminGuard;
}

/**
 * @example
 * app.register(wafEventsRoutes({ events, authorize: requireSuperuser }), { prefix: '/api/admin/waf/events' });
 */
export function wafEventsRoutes(deps: WafEventsRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request) => deps.authorize(request));
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
    app.get<{ Params: { id: string } }>('/:id', async (request) => {
      const ev = deps.events.get(request.params.id);
      if (!ev) throw new NotFoundError('No WAF event with this id (it may have been dropped from the ring).');
      return ev;
    });
  };
}
