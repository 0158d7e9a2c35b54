/** @module The auth HTTP room: the request-auth hooks (who is calling, CSRF), one file per auth flow, the JWKS route and the first-superuser setup page. */
export { authHooks } from './request-auth.js';
export { authRoutes } from './auth-routes.js';
export type { AuthRoutesDeps } from './auth-flow.js';
export { authWriteHook } from './record-write-hook.js';
export { jwksRoutes } from './jwks.js';
export { createSuperuser, setupRoutes, setupToken } from './superuser-setup.js';
