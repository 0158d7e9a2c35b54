/** @module The records REST room: list/view/create/update/delete and batch under /api/collections, content negotiation in every format, schema.proto / schema.avsc and OpenAPI 3.1. */
export { recordsRoutes, DEFAULT_CODECS, type RecordsRoutesDeps } from './records-routes.js';
export { openapiDocument } from './openapi.js';
