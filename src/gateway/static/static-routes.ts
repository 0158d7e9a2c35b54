// Fastify plugin mounting one static site under a URL prefix (GET, HEAD).
import type { FastifyPluginAsync } from 'fastify';
import { createStaticSite, type StaticSite, type StaticSiteOptions } from './static-site.js';

export interface StaticRoutesOptions extends StaticSiteOptions {
  /** URL prefix the site is mounted under, e.g. `/assets`. Default `/`. */
  prefix?: string;
  /** Use an existing site (shares its caches) instead of building one from the options. */
  site?: StaticSite;
}

/**
 * A Fastify plugin serving `opts.root` under `opts.prefix`.
 * @example
 * app.register(staticRoutes({ root: './public', prefix: '/', spaFallback: 'index.html' }));
 */
export function staticRoutes(opts: StaticRoutesOptions): FastifyPluginAsync {
  const site = opts.site ?? createStaticSite(opts);
  const prefix = (opts.prefix ?? '/').replace(/\/+$/, '');
  return async (app) => {
    const handler = (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
      const url = request.url;
      const q = url.indexOf('?');
      const path = (q === -1 ? url : url.slice(0, q)).slice(prefix.length) || '/';
      return site.serve(request, reply, path);
    };
    // HEAD registered explicitly: Fastify's automatic HEAD route would drop our Content-Length.
    app.route({ method: ['GET', 'HEAD'], url: `${prefix}/*`, handler, exposeHeadRoute: false });
    if (prefix) app.route({ method: ['GET', 'HEAD'], url: prefix, handler, exposeHeadRoute: false });
  };
}
