// The gateway response cache's purge API: POST {urls, prefixes, tags} removes stored responses.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ValidationError } from '../../core/index.js';
import { isAbsoluteUrl, type ResponseCache } from '../../gateway/index.js';
import type { AdminGuard } from './guard.js';

const PurgeBody = Type.Object(
  {
    urls: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: 1000 })),
    prefixes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: 1000 })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 1000 })),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Host for relative URLs and prefixes.' })),
  },
  { additionalProperties: false },
);

export interface CachePurgeOptions {
  cache: ResponseCache;
  /** Throws UnauthorizedError/ForbiddenError unless the caller may purge. */
  authorize: AdminGuard;
  /** Route path. Default `/api/admin/cache/purge`. */
  path?: string;
}

/**
 * @example
 * app.register(cachePurgeRoutes({ cache, authorize: requireSuperuser }));
 */
export function cachePurgeRoutes(o: CachePurgeOptions): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: Static<typeof PurgeBody> }>(o.path ?? '/api/admin/cache/purge', { schema: { body: PurgeBody }, config: { waf: { urlFields: ['urls.*', 'prefixes.*', 'host'] } }, onRequest: async (request) => o.authorize(request) }, async (request) => {
      const b = request.body;
      // A relative URL without a host would match nothing (the key holds the host): say so, never `{"purged":0}`.
      if (b.host === undefined && o.cache.purgeNeedsHost && [...(b.urls ?? []), ...(b.prefixes ?? [])].some((u) => !isAbsoluteUrl(u))) {
        throw new ValidationError('Relative URLs and prefixes need a `host` (or set gateway.cache.purgeHost): cached responses are keyed by host.', [
          { field: 'body.host', message: 'is required for relative URLs and prefixes' },
        ]);
      }
      // `purged` is null when the store invalidates without counting (cache-backed stores).
      let purged: number | null = 0;
      const add = (n: number | undefined) => (purged = n === undefined || purged === null ? null : purged + n);
      for (const u of b.urls ?? []) add(await o.cache.purgeUrl(u, b.host));
      for (const p of b.prefixes ?? []) add(await o.cache.purgePrefix(p, b.host));
      for (const t of b.tags ?? []) add(await o.cache.purgeTag(t));
      return { purged };
    });
  };
}
