/** @module Gateway: static sites, routing, reverse proxy with load balancing, RFC 9111 response cache and a forward proxy. */
export { createStaticSite, DEFAULT_CACHE_RULES, type StaticSite, type StaticSiteOptions, type CacheControlRule } from './static/static-site.js';
export { staticRoutes, type StaticRoutesOptions } from './static/static-routes.js';
export * from './errors.js';
