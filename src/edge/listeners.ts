// The listening sockets: plain HTTP/1.1, and HTTPS with HTTP/2 (ALPN h2,
// falling back to http/1.1), with slowloris-proof timeouts and a drain that
// lets in-flight requests finish before connections are closed.
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import type { Socket, AddressInfo } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { StrataConfig } from '../config/index.js';
import type { RawHandler } from './app.js';
import { acceptH2c } from './h2c.js';

export type ListenerKind = 'http' | 'https';

export interface Listener {
  kind: ListenerKind;
  server: http.Server | https.Server | http2.Http2SecureServer;
  host: string;
  port: number;
  /** The bound address once listening. */
  address?: AddressInfo;
}

/** Tracks connections and in-flight requests across all listeners, for the drain. */
export class ConnectionTracker {
  draining = false;
  inflight = 0;
  private readonly sockets = new Map<Socket, number>();
  private readonly sessions = new Set<http2.Http2Session>();
  private idleWaiters: Array<() => void> = [];

  socket(s: Socket): void {
    this.sockets.set(s, 0);
    s.once('close', () => this.sockets.delete(s));
  }

  session(s: http2.Http2Session): void {
    this.sessions.add(s);
    s.once('close', () => this.sessions.delete(s));
    if (this.draining) s.close();
  }

  /** Wraps a handler so every request is counted until its response closes. */
  wrap(handler: RawHandler): RawHandler {
    return (req, res) => {
      this.inflight++;
      const isH1 = req.httpVersionMajor < 2;
      const sock = req.socket;
      if (isH1) {
        this.sockets.set(sock, (this.sockets.get(sock) ?? 0) + 1);
        if (this.draining) res.setHeader('connection', 'close');
      }
      res.once('close', () => {
        this.inflight--;
        if (isH1) {
          const n = (this.sockets.get(sock) ?? 1) - 1;
          if (this.sockets.has(sock)) this.sockets.set(sock, n);
          if (this.draining && n === 0) sock.destroySoon?.() ?? sock.end();
        }
        if (this.inflight === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
      handler(req, res);
    };
  }

  /** Stops keep-alive reuse, closes idle connections and HTTP/2 sessions gracefully. */
  beginDrain(): void {
    this.draining = true;
    for (const [s, active] of this.sockets) if (active === 0 && !String((s as Socket & { alpnProtocol?: string | false }).alpnProtocol || '').startsWith('h2')) s.destroySoon?.() ?? s.end();
    for (const s of this.sessions) s.close();
  }

  /** Resolves when no request is in flight, or after `ms`; returns whether it drained fully. */
  async idle(ms: number): Promise<boolean> {
    if (this.inflight === 0) return true;
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      t.unref();
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets.keys()) s.destroy();
  }

  get connections(): number {
    return this.sockets.size;
  }
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
  // Before the tracker's listener below: acceptH2c takes over Node's own connection listener.
  if (cfg.http.h2c) acceptH2c(server, wrapped, tracker, cfg);
  server.on('connection', (s: Socket) => tracker.socket(s));
  return { kind: 'http', server, host: cfg.http.host, port: cfg.http.port };
}

export function createHttpsListener(cfg: StrataConfig['server'], tls: TlsOptions, handler: RawHandler, tracker: ConnectionTracker): Listener {
  const wrapped = tracker.wrap(handler);
  let server: https.Server | http2.Http2SecureServer;
  if (cfg.https.http2) {
    server = http2.createSecureServer(
      {
        ...tls,
        allowHTTP1: true,
        maxSessionMemory: 32,
        settings: { maxHeaderListSize: cfg.maxHeaderSize, maxConcurrentStreams: 256 },
      },
      wrapped as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    server.on('session', (s: http2.Http2Session) => tracker.session(s));
    server.setTimeout(cfg.idleTimeout);
  } else {
    server = https.createServer(
      { ...tls, maxHeaderSize: cfg.maxHeaderSize, headersTimeout: cfg.headersTimeout, requestTimeout: cfg.requestTimeout, keepAliveTimeout: cfg.keepAliveTimeout, connectionsCheckingInterval: checkingInterval(cfg) },
      wrapped,
    );
  }
  applyTimeouts(server, cfg);
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

export function closeListener(l: Listener): Promise<void> {
  return new Promise((resolve) => {
    if (!l.server.listening) return resolve();
    l.server.close(() => resolve());
  });
}
