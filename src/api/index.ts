/** @module API: the one HTTP room. REST for records (with OpenAPI 3.1), auth flows, the superuser admin API, realtime (WebSocket, SSE) and RPC (gRPC, gRPC-Web, Connect); capabilities below it export services, not routes. */
export { recordsRoutes, DEFAULT_CODECS, type RecordsRoutesDeps } from './records/index.js';
export { openapiDocument } from './records/index.js';
export { adminRoutes, requireSuperuser, superuserAudit, userOpenapiPaths, type AdminRoutesDeps, type AdminGuard, type SettingsRoutesDeps } from './admin/index.js';
export { adminUiRoutes, adminCollectionsRoutes, auditRoutes, cachePurgeRoutes, queueRoutes, wafEventsRoutes, webhookRoutes } from './admin/index.js';
export { opsRoutes, type OpsRoutesOptions } from './ops/index.js';
export * from './auth/index.js';
