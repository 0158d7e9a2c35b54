// The transports: `GET /api/realtime` (WebSocket, RFC 6455, through @fastify/websocket and ws) and
// `GET /api/realtime/sse` (Server-Sent Events, WHATWG HTML §9.2), both fed by one RealtimeHub.
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { StrataError, ValidationError, type ChangeFeed, type Logger } from '../../core/index.js';
import type { Bus } from '../../messaging/index.js';
import { credentialFromRequest, type RealtimeAuthServices } from './client-auth.js';
import { authenticatedFrame, handleMessage } from './client-messages.js';
import { Connection, type Credential, type Transport } from './connection.js';
import { RealtimeHub, type RealtimeLimits } from './hub.js';
import { writeBatched } from './ws-frame.js';
import type { RecordAccess } from '../../data/index.js';
import { CloseCode, errorFrame, EVENT_ID, parseSubscribe, ProtocolError, type SubscribeMessage } from './protocol.js';

export interface RealtimeOptions extends RealtimeLimits {
  maxMessageBytes: number;
}

export interface RealtimeDeps {
  bus: Bus;
  /** The records access layer: subscribe checks and delivered events go through it. */
  access: () => RecordAccess;
  auth: RealtimeAuthServices;
  /** Retained record-change events, for resume. */
  feed?: ChangeFeed;
  config: RealtimeOptions;
  /** Origins besides this site's own allowed to open a cookie-authenticated connection (`auth.sessions.trustedOrigins`). */
  trustedOrigins?: readonly string[];
  log?: Logger;
}

/** Frames a client may have waiting before it is told to slow down (then closed). */
const MAX_INFLIGHT_MESSAGES = 32;
const CLOSE_GRACE_MS = 2000;
const MAX_SSE_QUERY = 8192;

class RealtimeUnavailableError extends StrataError {
  constructor() {
    super(503, 'strata/realtime-unavailable', 'Service Unavailable', 'Too many realtime connections; try again later.', { headers: { 'retry-after': '5' } });
  }
}

/** Maps a subscription refusal on the SSE request to its HTTP problem. */
function problemOf(e: ProtocolError): StrataError {
  const field = e.ref === undefined ? 'subscribe' : `subscribe.${e.ref}`;
  switch (e.code) {
    case 'forbidden':
      return new StrataError(403, 'strata/forbidden', 'Forbidden', e.message);
    case 'not_found':
      return new StrataError(404, 'strata/not-found', 'Not Found', e.message);
    case 'unauthorized':
      return new StrataError(401, 'strata/unauthorized', 'Unauthorized', e.message);
    case 'resume_gap':
      return new StrataError(410, 'strata/resume-gap', 'Gone', e.message);
    case 'unavailable':
      return new StrataError(503, 'strata/realtime-unavailable', 'Service Unavailable', e.message);
    default:
      return new ValidationError(e.message, [{ field, message: e.code }]);
  }
}

/** `subscribe` query values: each a JSON object or an array of them. */
function sseSubscriptions(raw: unknown): SubscribeMessage[] {
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: SubscribeMessage[] = [];
  for (const v of values) {
    if (typeof v !== 'string' || v.length > MAX_SSE_QUERY) throw new ValidationError('"subscribe" must be a JSON subscription or array of them.', [{ field: 'subscribe', message: 'invalid' }]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw new ValidationError('"subscribe" is not valid JSON.', [{ field: 'subscribe', message: 'invalid JSON' }]);
    }
    for (const o of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ValidationError('Each subscription is a JSON object.', [{ field: 'subscribe', message: 'not an object' }]);
      try {
        out.push(parseSubscribe(o as Record<string, unknown>));
      } catch (e) {
        throw e instanceof ProtocolError ? problemOf(e) : e;
      }
    }
  }
  return out;
}

/**
 * Realtime subscriptions over WebSocket and SSE. Register after authHooks (which sets
 * `request.auth`); the hub joins the bus when the app is ready and leaves it on close.
 *
 * @example
 * const realtime = realtimeRoutes({ bus, access: () => recordAccess, auth: auth.services, feed, config: config.realtime });
 * await app.register(realtime);
 * // later, before draining: await realtime.hub.stop();
 */
export function realtimeRoutes(deps: RealtimeDeps): FastifyPluginAsync & { readonly hub: RealtimeHub } {
  const cfg = deps.config;
  const hub = new RealtimeHub({ bus: deps.bus, access: deps.access, feed: deps.feed, limits: cfg, log: deps.log, validAfter: (subject) => deps.auth.revocations?.validAfter(subject) ?? Promise.resolve(undefined) });
  const creds = new WeakMap<FastifyRequest, Credential | undefined>();
  const ctx = { hub, auth: deps.auth, log: deps.log };
  const welcome = (c: Connection) =>
    JSON.stringify({ type: 'welcome', connection: c.id, transport: c.transport.kind, principal: c.principal && { id: c.principal.id, collection: c.principal.collection }, heartbeat: cfg.heartbeatInterval, maxSubscriptions: cfg.maxSubscriptions, maxMessageBytes: cfg.maxMessageBytes });

  // Refuses before any upgrade or stream starts: the client gets a problem+json response.
  const admit = async (request: FastifyRequest) => {
    if (hub.full()) throw new RealtimeUnavailableError();
    creds.set(request, await credentialFromRequest(request, deps.auth, deps.trustedOrigins ?? []));
  };

  const plugin: FastifyPluginAsync = async (app) => {
    await app.register(websocket, { options: { maxPayload: cfg.maxMessageBytes, perMessageDeflate: false } });
    app.addHook('onReady', () => hub.start());
    app.addHook('onClose', () => hub.stop());
    // A refused handshake (401 from authHooks, 403, 503) was answered over the raw upgrade socket, which
    // no HTTP timeout watches any more: end it, or an idle client could hold it open forever.
    app.addHook('onResponse', (request, _reply, done) => {
      if (request.raw.headers.upgrade !== undefined) request.raw.socket.end();
      done();
    });

    app.route({
      method: 'GET',
      url: '/api/realtime',
      preHandler: admit,
      handler: async () => {
        throw new StrataError(426, 'strata/upgrade-required', 'Upgrade Required', 'This endpoint speaks WebSocket; use GET /api/realtime/sse for Server-Sent Events.', { headers: { upgrade: 'websocket' } });
      },
      wsHandler: (socket: WebSocket, request: FastifyRequest) => {
        // The upgraded connection itself: pre-framed events go straight to it (no compression is
        // negotiated, so ws writes synchronously too and frames keep their order), batched per tick.
        const raw = request.raw.socket as Socket;
        const transport: Transport = {
          kind: 'websocket',
          buffered: () => socket.bufferedAmount,
          send: (frame, _eventId, wire) => {
            if (wire !== undefined && socket.readyState === socket.OPEN && raw.writable) writeBatched(raw, wire);
            else socket.send(frame, { binary: false });
          },
          ping: () => socket.ping(),
          close: (code, reason) => {
            socket.close(code, reason);
            // A client that does not read never answers the close: cut it after a grace period.
            setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
          },
        };
        const c = new Connection(randomUUID(), transport, cfg.maxBufferBytes, (x) => hub.remove(x));
        if (hub.full()) {
          socket.close(1013, 'too many connections');
          return;
        }
        hub.add(c);
        const cred = creds.get(request);
        if (cred) c.authenticate(cred);
        socket.on('close', () => c.dropped());
        socket.on('pong', () => (c.lastSeen = Date.now()));
        let inflight = 0;
        let chain = Promise.resolve();
        socket.on('message', (data, isBinary) => {
          c.lastSeen = Date.now();
          if (isBinary) return void c.send(errorFrame('bad_message', 'Messages are JSON text frames.'));
          if (++inflight > MAX_INFLIGHT_MESSAGES) {
            inflight--;
            return void c.send(errorFrame('unavailable', 'Too many messages in flight; wait for replies.'));
          }
          const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
          chain = chain.then(() => handleMessage(ctx, c, text)).finally(() => inflight--);
        });
        c.send(welcome(c));
        if (cred) c.send(authenticatedFrame(c));
      },
    });

    app.get('/api/realtime/sse', { preHandler: admit }, async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const subs = sseSubscriptions(q.subscribe);
      const lastRaw = request.headers['last-event-id'] ?? q.lastEventId;
      const last = typeof lastRaw === 'string' && lastRaw !== '' ? lastRaw : undefined;
      if (last !== undefined && !EVENT_ID.test(last)) throw new ValidationError('Last-Event-ID must be the id of an event.', [{ field: 'lastEventId', message: 'invalid' }]);
      const stream = new PassThrough();
      const res = reply.raw;
      const transport: Transport = {
        kind: 'sse',
        buffered: () => stream.readableLength + stream.writableLength + (res.writableLength ?? 0),
        send: (frame, eventId) => void stream.write(eventId === undefined ? `data: ${String(frame)}\n\n` : `id: ${eventId}\ndata: ${String(frame)}\n\n`),
        ping: () => void stream.write(': ping\n\n'),
        close: (code, reason) => {
          if (code === CloseCode.tooSlow) {
            stream.destroy();
            res.destroy();
            return;
          }
          stream.end(`data: ${JSON.stringify({ type: 'close', code, reason })}\n\n`);
        },
      };
      const c = new Connection(randomUUID(), transport, cfg.maxBufferBytes, (x) => hub.remove(x));
      const cred = creds.get(request);
      if (cred) c.authenticate(cred);
      hub.add(c);
      try {
        for (const s of subs) await hub.subscribe(c, s);
      } catch (e) {
        c.dropped();
        throw e instanceof ProtocolError ? problemOf(e) : e;
      }
      res.once('close', () => c.dropped());
      stream.once('close', () => c.dropped());
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no');
      stream.write(`retry: 2000\n\n`);
      c.send(welcome(c));
      if (cred) c.send(authenticatedFrame(c));
      for (const s of subs) c.send(JSON.stringify({ type: 'subscribed', id: s.id }));
      if (last !== undefined) {
        // Replays in the background once the stream is open; live events are held back meanwhile.
        void hub.resume(c, last).then(
          (r) => c.send(JSON.stringify({ type: 'resumed', after: last, replayed: r.replayed, last: r.latest })),
          (e: unknown) => c.send(e instanceof ProtocolError ? errorFrame(e.code, e.message) : errorFrame('unavailable', 'Resume failed.')),
        );
      }
      return reply.send(stream);
    });
  };
  return Object.assign(plugin, { hub });
}
