// Connections and in-flight requests of every listener, and the graceful drain: HTTP/1.1 persistent
// connections end with `Connection: close` (RFC 9112 §9.6), HTTP/2 sessions with GOAWAY (RFC 9113 §6.8).
import http2 from 'node:http2';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RawHandler } from './app.js';
import { currentAnswer, probeHalfClosed } from './half-close.js';

export interface ConnectionTrackerOptions {
  /**
   * While draining, an HTTP/1.1 connection that carries no request is closed once it has been idle
   * this long (server.keepAliveTimeout: what the server advertises, so a client that honours it never
   * sends on a connection the drain closes). 0: left open until the grace period ends.
   */
  idleCloseMs: number;
  /** How long a session waits for the client's PING acknowledgement between the two GOAWAY frames. */
  goawayAckMs?: number;
}

interface Connection {
  /** Requests being answered on it (HTTP/1.1). */
  active: number;
  /** Their answers, so a drain can still mark those not yet begun `Connection: close`. */
  answers: Set<ServerResponse>;
  idleTimer?: NodeJS.Timeout;
}

/** RFC 9113 §6.8: the highest stream id, announced first so streams already on the wire are still processed. */
const MAX_STREAM_ID = 2 ** 31 - 1;

const isH2 = (s: Socket): boolean => String((s as Socket & { alpnProtocol?: string | false }).alpnProtocol || '').startsWith('h2');

/**
 * Counts connections and requests across all listeners. On a drain nothing already received is
 * dropped: a request on an open HTTP/1.1 connection is answered (with `Connection: close` unless its
 * answer had begun, after which the connection closes), an idle connection is closed only after `idleCloseMs` without a
 * request, and an HTTP/2 session gets a GOAWAY naming the highest stream id, a PING round trip (so
 * streams the client sent before it saw the GOAWAY arrive and are served), then a GOAWAY with the last
 * stream it processed; its open streams finish.
 *
 * @example
 * const tracker = new ConnectionTracker({ idleCloseMs: config.server.keepAliveTimeout });
 * const handler = tracker.wrap(app);
 * // on SIGTERM, after the listeners stopped accepting:
 * tracker.beginDrain();
 * const allAnswered = await tracker.settled(10_000);
 * tracker.destroyAll();
 */
export class ConnectionTracker {
  draining = false;
  inflight = 0;
  private readonly sockets = new Map<Socket, Connection>();
  private readonly sessions = new Set<http2.Http2Session>();
  private waiters: Array<() => void> = [];
  private readonly opts: Required<ConnectionTrackerOptions>;

  constructor(opts: ConnectionTrackerOptions) {
    this.opts = { goawayAckMs: 2_000, ...opts };
  }

  socket(s: Socket): void {
    const c: Connection = { active: 0, answers: new Set() };
    this.sockets.set(s, c);
    // One listener per connection (not one per request) for a client's FIN while an answer is pending.
    s.once('end', () => probeHalfClosed(s, currentAnswer(s)));
    s.once('close', () => {
      clearTimeout(c.idleTimer);
      this.sockets.delete(s);
      this.check();
    });
    if (this.draining) this.closeWhenIdle(s, c);
  }

  session(s: http2.Http2Session): void {
    this.sessions.add(s);
    s.once('close', () => {
      this.sessions.delete(s);
      this.check();
    });
    if (this.draining) this.shutdownSession(s);
  }

  /** Wraps a handler so every request is counted until its response closes. */
  wrap(handler: RawHandler): RawHandler {
    return (req, res) => {
      this.inflight++;
      const isH1 = req.httpVersionMajor < 2;
      const sock = req.socket;
      const c = isH1 ? this.sockets.get(sock) : undefined;
      if (c) {
        c.active++;
        c.answers.add(res);
        clearTimeout(c.idleTimer);
        c.idleTimer = undefined;
      }
      if (isH1) {
        // Node ends the connection itself once this answer is written.
        if (this.draining) res.setHeader('connection', 'close');
        // The FIN came with the request (or before it): the connection's 'end' has passed.
        if (sock.readableEnded) probeHalfClosed(sock, res);
      }
      res.once('close', () => {
        this.inflight--;
        if (c) {
          c.active--;
          c.answers.delete(res);
          // An answer begun before the drain went out keep-alive: the client may send one more request.
          if (this.draining && c.active === 0 && !sock.destroyed) this.closeWhenIdle(sock, c);
        }
        this.check();
      });
      handler(req, res);
    };
  }

  /** Stops keep-alive reuse and starts the graceful close of every connection (see the class). */
  beginDrain(): void {
    this.draining = true;
    for (const [s, c] of this.sockets) {
      for (const res of c.answers) if (!res.headersSent) res.setHeader('connection', 'close');
      this.closeWhenIdle(s, c);
    }
    for (const s of this.sessions) this.shutdownSession(s);
  }

  /**
   * Resolves once no request is in flight and every connection has closed, or after `ms`; returns
   * whether every request was answered (none in flight at the end).
   */
  async settled(ms: number): Promise<boolean> {
    if (this.isSettled()) return true;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        resolve(this.inflight === 0);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(this.inflight === 0);
      }, ms);
      t.unref();
      this.waiters.push(done);
    });
  }

  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets.keys()) s.destroy();
  }

  get connections(): number {
    return this.sockets.size;
  }

  private isSettled(): boolean {
    return this.inflight === 0 && this.sockets.size === 0 && this.sessions.size === 0;
  }

  private check(): void {
    if (this.waiters.length > 0 && this.isSettled()) this.waiters.splice(0).forEach((w) => w());
  }

  private closeWhenIdle(s: Socket, c: Connection): void {
    if (c.active > 0 || c.idleTimer || this.opts.idleCloseMs <= 0 || isH2(s)) return;
    c.idleTimer = setTimeout(() => {
      c.idleTimer = undefined;
      // An h2c connection is told apart from HTTP/1.1 by its first bytes, after it was counted here.
      if (c.active === 0 && !isH2(s)) s.destroySoon();
    }, this.opts.idleCloseMs);
    c.idleTimer.unref();
  }

  private shutdownSession(s: http2.Http2Session): void {
    if (s.closed || s.destroyed) return;
    const close = () => {
      clearTimeout(fallback);
      if (!s.closed && !s.destroyed) s.close(); // GOAWAY with the last stream id processed; open streams finish
    };
    // A client that never acknowledges the PING still gets the final GOAWAY.
    const fallback = setTimeout(close, this.opts.goawayAckMs);
    fallback.unref();
    try {
      s.goaway(http2.constants.NGHTTP2_NO_ERROR, MAX_STREAM_ID);
      // The acknowledgement comes after every stream the client wrote before it read the GOAWAY.
      // (A client that answers with its own GOAWAY makes Node close the session at once, which is as
      // good: that GOAWAY too comes after the streams it had written.)
      if (!s.ping(() => close())) close();
    } catch {
      close();
    }
  }
}
