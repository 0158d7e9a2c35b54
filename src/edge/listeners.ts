// The listening sockets: plain HTTP/1.1, and HTTPS with HTTP/2 (ALPN h2,
// falling back to http/1.1), with slowloris-proof timeouts; the drain is the tracker's
// (connection-tracker.ts).
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import net, { type Socket, type AddressInfo } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { StrataConfig } from '../config/index.js';
import type { RawHandler } from './app.js';
import { acceptH2c } from './h2c.js';
import { http2HeaderOptions } from './h2-limits.js';
import type { ConnectionTracker } from './connection-tracker.js';

export type ListenerKind = 'http' | 'https';

export interface Listener {
  kind: ListenerKind;
  server: http.Server | https.Server | http2.Http2SecureServer;
  host: string;
  port: number;
  /** The bound address once listening. */
  address?: AddressInfo;
}

/**
 * A client may send its whole request and then half-close its side (RFC 9112 §9.6 leaves the other
 * direction open): the answer still goes out, then the connection closes. Node aborts the request
 * instead unless the server's `httpAllowHalfOpen` is set (its HTTP/1.1 code reads it on FIN).
 */
function allowHalfClose(server: http.Server | https.Server | http2.Http2SecureServer): void {
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
}

function applyTimeouts(server: http.Server | https.Server | http2.Http2SecureServer, cfg: StrataConfig['server']): void {
  const s = server as http.Server;
  s.headersTimeout = cfg.headersTimeout;
  s.requestTimeout = cfg.requestTimeout;
  s.keepAliveTimeout = cfg.keepAliveTimeout;
  // HTTP/1.1 over the HTTP/2 server (allowHTTP1) reads these properties when
  // it starts listening; the constructor fixes the interval at 30 s otherwise.
  (s as http.Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = checkingInterval(cfg);
}

/** Node checks header/request timeouts on an interval; make it fine enough for the configured timeout. */
function checkingInterval(cfg: StrataConfig['server']): number {
  return Math.max(250, Math.min(30_000, Math.floor(Math.min(cfg.headersTimeout || 30_000, cfg.requestTimeout || 30_000) / 4)));
}

export function createHttpListener(cfg: StrataConfig['server'], handler: RawHandler, tracker: ConnectionTracker): Listener {
  const wrapped = tracker.wrap(handler);
  const server = http.createServer(
    {
      maxHeaderSize: cfg.maxHeaderSize,
      headersTimeout: cfg.headersTimeout,
      requestTimeout: cfg.requestTimeout,
      keepAliveTimeout: cfg.keepAliveTimeout,
      connectionsCheckingInterval: checkingInterval(cfg),
      requireHostHeader: true,
    },
    wrapped,
  );
  allowHalfClose(server);
  // Before the tracker's listener below: acceptH2c takes over Node's own connection listener.
  if (cfg.http.h2c) acceptH2c(server, wrapped, tracker, cfg);
  server.on('connection', (s: Socket) => tracker.socket(s));
  return { kind: 'http', server, host: cfg.http.host, port: cfg.http.port };
}

export function createHttpsListener(cfg: StrataConfig['server'], tls: TlsOptions, handler: RawHandler, tracker: ConnectionTracker): Listener {
  const wrapped = tracker.wrap(handler);
  let server: https.Server | http2.Http2SecureServer;
  if (cfg.https.http2) {
    const heads = http2HeaderOptions(cfg.maxHeaderSize);
    server = http2.createSecureServer(
      {
        ...tls,
        allowHTTP1: true,
        allowHalfOpen: true,
        maxSessionMemory: 32,
        maxHeaderListPairs: heads.maxHeaderListPairs,
        settings: { ...heads.settings, maxConcurrentStreams: 256 },
      },
      wrapped as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    server.on('session', (s: http2.Http2Session) => tracker.session(s));
    server.setTimeout(cfg.idleTimeout);
  } else {
    server = https.createServer(
      { ...tls, allowHalfOpen: true, maxHeaderSize: cfg.maxHeaderSize, headersTimeout: cfg.headersTimeout, requestTimeout: cfg.requestTimeout, keepAliveTimeout: cfg.keepAliveTimeout, connectionsCheckingInterval: checkingInterval(cfg) },
      wrapped,
    );
  }
  applyTimeouts(server, cfg);
  allowHalfClose(server);
  server.on('secureConnection', (s: Socket) => tracker.socket(s));
  return { kind: 'https', server, host: cfg.https.host, port: cfg.https.port };
}

export function listen(l: Listener): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    l.server.once('error', onError);
    l.server.listen({ host: l.host, port: l.port, exclusive: false }, () => {
      l.server.off('error', onError);
      l.address = l.server.address() as AddressInfo;
      resolve(l.address);
    });
  });
}

/**
 * Stops accepting new connections and leaves the open ones to the tracker's drain. (http.Server's own
 * close() also closes every connection it deems idle, including one whose next request has arrived
 * but is not yet parsed: that client would get a reset.) Resolves once every connection has closed.
 */
export function stopAccepting(l: Listener): Promise<void> {
  return new Promise((resolve) => {
    if (!l.server.listening) return resolve();
    net.Server.prototype.close.call(l.server, () => resolve());
  });
}

/** Closes the listener and Node's idle connections (after a failed start). */
export function closeListener(l: Listener): Promise<void> {
  return new Promise((resolve) => {
    if (!l.server.listening) return resolve();
    l.server.close(() => resolve());
  });
}
