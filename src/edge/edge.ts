// The edge as one component: builds the app and its listeners from config,
// listens, reloads certificates, and drains on shutdown.
import { resolve, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Component } from '../core/index.js';
import type { StrataConfig } from '../config/index.js';
import type { AccessRing, HttpMetrics, StorageFaults } from '../ops/index.js';
import { buildApp, type RawHandler } from './app.js';
import { createHttpListener, createHttpsListener, listen, closeListener, stopAccepting, type Listener } from './listeners.js';
import { ConnectionTracker } from './connection-tracker.js';
import { ensureDevCertificate } from './tls-cert.js';
import { clientErrorHandler } from './client-errors.js';
import { securityHeaders, type SecurityHeaders } from './security-headers.js';
import { limitHttp2Heads } from './h2-limits.js';
import { readCertificate, tlsOptions, watchCertificate, type CertPaths, type Reloadable } from './tls.js';

export interface EdgeOptions {
  config: StrataConfig;
  log: Logger;
  metrics?: HttpMetrics;
  /** The recent access lines kept in memory for the admin log viewer. */
  recentAccess?: AccessRing;
  /** Storage faults seen by requests: the error handler logs them once per interval and records them here. */
  storage?: StorageFaults;
}

export interface TlsFiles extends CertPaths {
  /** The development CA, when the development certificate is in use. */
  ca?: string;
}

/** Where the certificate comes from: config paths, or the development certificate (made when missing). */
export async function resolveTlsFiles(config: StrataConfig): Promise<TlsFiles | undefined> {
  const h = config.server.https;
  if (!h.enabled) return undefined;
  if (h.cert || h.key) {
    if (!h.cert || !h.key) throw new Error(`server.https.${h.cert ? 'key' : 'cert'} must be set when server.https.${h.cert ? 'cert' : 'key'} is`);
    return { cert: resolve(h.cert), key: resolve(h.key) };
  }
  const dev = await ensureDevCertificate(join(resolve(config.dataDir), 'tls'));
  return { cert: dev.certPath, key: dev.keyPath, ca: dev.caPath };
}

/** Answers a request before Fastify and returns true, or returns false having touched nothing. */
export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

export class Edge implements Component {
  readonly name = 'edge';
  readonly app: FastifyInstance;
  readonly listeners: Listener[] = [];
  readonly tracker: ConnectionTracker;
  readonly tls?: TlsFiles;
  /** The security header fields the app sends, for answers written before Fastify (setFastLane). */
  readonly security: SecurityHeaders;
  /** The handler tried before Fastify (setFastLane), if any. */
  fastLane: FastLane | undefined;
  private unwatch?: () => void;
  private readonly config: StrataConfig;
  private readonly log: Logger;

  constructor(opts: EdgeOptions, tls: TlsFiles | undefined) {
    this.config = opts.config;
    this.log = opts.log;
    this.tls = tls;
    const cfg = opts.config.server;
    this.tracker = new ConnectionTracker({ idleCloseMs: cfg.keepAliveTimeout });
    let route: RawHandler = () => undefined;
    const security = (this.security = securityHeaders(opts.config.headers));
    const routeVia: RawHandler = limitHttp2Heads((req, res) => {
      if (this.fastLane === undefined || !this.fastLane(req, res)) route(req, res);
    }, cfg.maxHeaderSize, security);
    const secure = tls ? tlsOptions(readCertificate(tls)) : undefined;
    const primary = secure ? createHttpsListener(cfg, secure, routeVia, this.tracker) : undefined;
    if (cfg.http.enabled) this.listeners.push(createHttpListener(cfg, this.plainHandler(routeVia), this.tracker));
    if (primary) this.listeners.push(primary);
    this.app = buildApp({
      config: opts.config,
      log: opts.log,
      metrics: opts.metrics,
      recentAccess: opts.recentAccess,
      storage: opts.storage,
      http2: Boolean(primary && cfg.https.http2),
      serverFactory: (handler) => {
        route = handler;
        return (primary ?? this.listeners[0])?.server;
      },
    });
    // Fastify answers parser errors on the server it owns; the other listener answers them the same way
    // (the handler is idempotent: a socket is answered once).
    const onClientError = clientErrorHandler(security);
    for (const l of this.listeners) l.server.on('clientError', onClientError);
    if (primary && tls) {
      this.unwatch = watchCertificate(primary.server as Reloadable, tls, {
        watch: cfg.https.watch,
        onReload: (err) => (err ? this.log.error({ err: err.message }, 'TLS certificate reload failed; keeping the previous one') : this.log.info({ cert: tls.cert }, 'TLS certificate reloaded')),
      });
    }
  }

  /**
   * A handler tried before Fastify for every request (the gateway's fast lane): it answers and
   * returns true, or returns false having touched nothing and Fastify answers.
   */
  setFastLane(lane: FastLane | undefined): void {
    this.fastLane = lane;
  }

  static async create(opts: EdgeOptions): Promise<Edge> {
    return new Edge(opts, await resolveTlsFiles(opts.config));
  }

  /** Plain HTTP: optionally a 308 to HTTPS for everything but health probes. */
  private plainHandler(next: RawHandler): RawHandler {
    const cfg = this.config.server;
    if (!cfg.redirectToHttps || !cfg.https.enabled) return next;
    return (req, res) => {
      const path = req.url ?? '/';
      if (HEALTH_PATHS.has(path.split('?')[0])) return next(req, res);
      const host = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
      const port = this.listeners.find((l) => l.kind === 'https')?.address?.port ?? cfg.https.port;
      res.writeHead(308, { location: `https://${host}${port === 443 ? '' : `:${port}`}${path}`, 'content-length': '0' });
      res.end();
    };
  }

  async start(): Promise<void> {
    await this.app.ready();
    for (const l of this.listeners) {
      try {
        await listen(l);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const key = l.kind === 'http' ? 'server.http.port' : 'server.https.port';
        throw new Error(
          err.code === 'EADDRINUSE'
            ? `${key}: ${l.host}:${l.port} is already in use (set ${key} or --${l.kind === 'http' ? 'port' : 'https-port'} to a free port)`
            : err.code === 'EACCES'
              ? `${key}: no permission to listen on ${l.host}:${l.port} (ports below 1024 need privileges)`
              : err.code === 'EADDRNOTAVAIL'
                ? `server.${l.kind}.host: ${l.host} is not an address of this machine`
                : `${key}: cannot listen on ${l.host}:${l.port}: ${err.message}`,
        );
      }
    }
  }

  /**
   * Stops accepting new connections; answers every request already received (in flight, or arriving
   * on a connection that is open) and closes each connection gracefully, within `graceMs`; then cuts
   * what is left. Returns whether every request was answered.
   */
  async drain(graceMs: number): Promise<boolean> {
    this.unwatch?.();
    const closed = Promise.all(this.listeners.map(stopAccepting));
    this.tracker.beginDrain();
    const drained = await this.tracker.settled(graceMs);
    this.tracker.destroyAll();
    await closed;
    return drained;
  }

  async stop(): Promise<void> {
    this.unwatch?.();
    await this.app.close();
    // The drain only stopped accepting; Node's own close also stops the server's connection-checking
    // timer (Fastify's close did that for its server).
    for (const l of this.listeners) if (l.server !== this.app.server) l.server.close();
  }

  /** After a failed start: stops watching the certificate and closes whatever listener did bind, so the process can exit. */
  async abort(): Promise<void> {
    this.unwatch?.();
    this.unwatch = undefined;
    this.tracker.destroyAll();
    await Promise.all(this.listeners.map(closeListener));
    await this.app.close().catch(() => undefined);
  }

  /** URLs as bound, for printing. */
  urls(): Array<{ kind: 'http' | 'https'; url: string }> {
    return this.listeners
      .filter((l) => l.address)
      .map((l) => {
        const a = l.address!;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        return { kind: l.kind, url: `${l.kind}://${host}:${a.port}` };
      });
  }
}
