/** @module Realtime: WebSocket and SSE subscriptions to collections, records and bus topics, filtered by access rules. */
export { realtimeRoutes, type RealtimeDeps, type RealtimeOptions } from './realtime-routes.js';
export { RealtimeHub, type RealtimeLimits, type HubOptions } from './hub.js';
export { Connection, type Credential, type Subscription, type Transport } from './connection.js';
export { CloseCode, parseClientMessage, ProtocolError, type ClientMessage, type ErrorCode, type SubscribeMessage } from './protocol.js';
export { patternWithin } from './topic-allow.js';
export type { RealtimeAuthServices } from './client-auth.js';
