// Superuser read-outs for the admin UI's metrics and log pages: GET /api/admin/metrics/live (requests a
// second, p50/p99 latency and error rate per route family, from the HTTP metrics this process keeps) and
// GET /api/admin/logs/access (this process's recent access lines, filtered). The audit log has its own
// route (audit.ts). Access lines hold no query string, header, cookie or body.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ValidationError } from '../../core/index.js';
import { ROUTE_FAMILIES, type AccessRing, type LiveMetrics } from '../../ops/index.js';
import type { AdminGuard } from './guard.js';

export interface ObserveRoutesDeps {
  authorize: AdminGuard;
  /** Absent when `metrics.enabled` is off. */
  live?: LiveMetrics;
  /** Absent when `log.recent` is 0. */
  recentAccess?: AccessRing;
}

const AccessQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    status: Type.Optional(Type.String({ pattern: '^([1-5][0-9][0-9]|[1-5]xx)$' })),
    method: Type.Optional(Type.String({ pattern: '^[A-Za-z]{1,16}$' })),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

/**
 * @example
 * app.register(observeRoutes({ authorize: requireSuperuser, live: liveMetrics(metrics), recentAccess: ring }));
 */
export function observeRoutes(deps: ObserveRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request) => deps.authorize(request));
    app.get('/api/admin/metrics/live', async () => {
      if (!deps.live) return { enabled: false, families: ROUTE_FAMILIES, points: [], total: [], since: null };
      return { enabled: true, families: ROUTE_FAMILIES, ...deps.live.read() };
    });
    app.get<{ Querystring: Static<typeof AccessQuery> }>('/api/admin/logs/access', { schema: { querystring: AccessQuery } }, async (request) => {
      const q = request.query;
      const since = q.since === undefined ? undefined : Date.parse(q.since);
      const until = q.until === undefined ? undefined : Date.parse(q.until);
      if (since !== undefined && until !== undefined && since > until) throw new ValidationError('`since` must not be after `until`.', [{ field: 'since', message: 'after until' }]);
      if (!deps.recentAccess) return { enabled: false, size: 0, held: 0, items: [] };
      const r = deps.recentAccess.query({ since, until, status: q.status, method: q.method, path: q.path, limit: q.limit });
      return {
        enabled: true,
        size: deps.recentAccess.size,
        held: r.held,
        items: r.items.map((l) => ({ at: new Date(l.at).toISOString(), reqId: l.reqId, ip: l.ip ?? null, method: l.method, path: l.path, status: l.status, ms: l.ms })),
      };
    });
  };
}
