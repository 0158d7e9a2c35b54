// Config section for realtime: WebSocket and SSE subscriptions, their limits and timers.
import { Type } from '@sinclair/typebox';

const Int = (min: number, def: number, description: string) => Type.Integer({ minimum: min, default: def, description });

export const RealtimeSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve `GET /api/realtime` (WebSocket) and `GET /api/realtime/sse` (Server-Sent Events).' }),
    maxConnections: Int(1, 10_000, 'Open realtime connections (WebSocket + SSE) per instance; more are refused with 503.'),
    maxSubscriptions: Int(1, 100, 'Subscriptions one connection may hold.'),
    maxMessageBytes: Int(256, 64 * 1024, 'Largest client message (WebSocket frame); bigger ones close the connection with 1009.'),
    maxBufferBytes: Int(16 * 1024, 1024 * 1024, 'Bytes queued for one client before it is cut off as too slow (WebSocket close 4008).'),
    heartbeatInterval: Int(1000, 30_000, 'ms between pings (WebSocket ping frames, SSE comment lines).'),
    idleTimeout: Int(1000, 75_000, 'ms without any frame or pong from a WebSocket client before it is closed (4002).'),
    authRecheckInterval: Int(1000, 60_000, 'ms between re-checks of session, access-token and API-key credentials; a logged-out session, revoked key or revoked account closes the connection (4001). A revoked account also gets no further event.'),
    resumeMaxEvents: Int(0, 0, 'Most missed events read from the change feed on one resume; past that the client gets `resume_gap` and should reload over REST. 0 (the default): no limit, the replay pages through the retained log however large the gap.'),
    topics: Type.Object(
      {
        allow: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { default: ['app.>'], description: 'Bus topic patterns clients may subscribe to (NATS-style `*` and `>`); `records.>` and internal topics should never be listed.' }),
        anonymous: Type.Boolean({ default: false, description: 'Let unauthenticated clients subscribe to allowed topics.' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false, description: 'Realtime subscriptions over WebSocket and SSE.' },
);
