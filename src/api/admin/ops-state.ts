// Superuser read-outs of live operational state for the admin UI's operations pages:
// GET /api/admin/cache (the application cache's counters, per tier when tiered), POST
// /api/admin/cache/app/purge (keys and tags of that cache) and GET /api/admin/gateway/upstreams
// (each pool's circuit and each target's health), GET /api/admin/cron (the functions' schedules, next
// and last run), GET /api/admin/rate-limits (buckets refusing requests now). This instance's view; nothing here is secret.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ValidationError } from '../../core/index.js';
import type { Cache } from '../../cache/index.js';
import type { UpstreamPool } from '../../gateway/index.js';
import type { AdminGuard } from './guard.js';

export interface OpsStateRoutesDeps {
  authorize: AdminGuard;
  /** The application cache (`cache:` config) and its store's name. */
  cache?: () => { cache: Cache; store: string };
  /** Rate-limit buckets refusing requests now (this instance), most refusals first. */
  rateLimited?: () => unknown[];
  /** Cron schedules of the functions, with their next and last run. */
  cron?: () => unknown[];
  /** The gateway's upstream pools (`gateway.pools`). */
  pools?: () => ReadonlyMap<string, UpstreamPool>;
}

const AppPurge = Type.Object(
  {
    keys: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 1000 })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 1000 })),
  },
  { additionalProperties: false },
);

/** One pool as the admin UI shows it: circuit state, and per target its health, ejection and load. */
export function poolState(p: UpstreamPool, now = Date.now()) {
  return {
    name: p.name,
    balancer: p.balancer.name,
    circuit: p.breaker?.state ?? null,
    upstreams: p.upstreams.map((u) => ({
      id: u.id,
      weight: u.weight,
      // healthy: active checks' verdict; ejected: passive ejection after consecutive failures
      healthy: u.healthy,
      ejectedUntil: u.ejectedUntil > now ? new Date(u.ejectedUntil).toISOString() : null,
      available: u.available(now),
      active: u.active,
      consecutiveFailures: u.consecutiveFailures,
    })),
  };
}

/**
 * @example
 * app.register(opsStateRoutes({ authorize: requireSuperuser, cache: () => ({ cache, store: 'memory' }), pools: () => gateway.pools }));
 */
export function opsStateRoutes(deps: OpsStateRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request) => deps.authorize(request));
    app.get('/api/admin/cache', async () => {
      if (!deps.cache) return { store: null, stats: null };
      const c = deps.cache();
      return { store: c.store, stats: await c.cache.stats() };
    });
    app.post<{ Body: Static<typeof AppPurge> }>('/api/admin/cache/app/purge', { schema: { body: AppPurge } }, async (request) => {
      const b = request.body;
      if (!deps.cache) throw new ValidationError('No application cache is configured.');
      if (!b.keys?.length && !b.tags?.length) throw new ValidationError('Name `keys` or `tags` to purge.', [{ field: 'body.keys', message: 'keys or tags is required' }]);
      const { cache } = deps.cache();
      let deleted = 0;
      for (const k of b.keys ?? []) if (await cache.delete(k)) deleted++;
      for (const t of b.tags ?? []) await cache.invalidateTag(t);
      return { deleted, tagsInvalidated: b.tags?.length ?? 0 };
    });
    app.get('/api/admin/rate-limits', async () => ({ items: deps.rateLimited?.() ?? [] }));
    app.get('/api/admin/cron', async () => ({ items: deps.cron?.() ?? [] }));
    app.get('/api/admin/gateway/upstreams', async () => ({ pools: [...(deps.pools?.().values() ?? [])].map((p) => poolState(p)) }));
  };
}
