// The purge API: POST {urls, prefixes, tags} removes stored responses. Who may call it is
// decided by the caller's `authorize` hook (the server wires it to superuser auth).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ForbiddenError } from '../../core/index.js';
import { sendProblem } from '../errors.js';
import type { ResponseCache } from './response-cache.js';

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
  /** True when the caller may purge (e.g. a superuser session). */
  authorize(request: FastifyRequest): boolean | Promise<boolean>;
  /** Route path. Default `/_strata/gateway/cache/purge`. */
  path?: string;
}

/**
 * @example
 * app.register(cachePurgeRoutes({ cache, authorize: (req) => auth.isSuperuser(req) }));
 */
export function cachePurgeRoutes(o: CachePurgeOptions): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: Static<typeof PurgeBody> }>(o.path ?? '/_strata/gateway/cache/purge', { schema: { body: PurgeBody } }, async (request, reply) => {
      if (!(await o.authorize(request))) return sendProblem(reply, new ForbiddenError('Purging the cache needs a superuser.'));
      const b = request.body;
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
