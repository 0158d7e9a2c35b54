// Cleartext HTTP/2 with prior knowledge (RFC 9113 §3.3, "h2c") beside HTTP/1.1 on the same plain
// port: each new connection's first bytes are compared with the HTTP/2 connection preface and the
// socket is handed to the HTTP/2 or the HTTP/1.1 server. gRPC clients without TLS speak this.
import type http from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { StrataConfig } from '../config/index.js';
import type { RawHandler } from './app.js';
import type { ConnectionTracker } from './connection-tracker.js';
import { http2HeaderOptions } from './h2-limits.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** Bytes that tell the two apart: no HTTP/1.1 method starts with "PRI ". */
const DECIDE = 4;

/**
 * Makes `server` (an HTTP/1.1 server, not yet listening) also accept h2c connections, served by
 * `handler` through Node's HTTP/2 compatibility API. Returns the HTTP/2 server (for closing sessions).
 *
 * @example
 * const h2 = acceptH2c(server, handler, tracker, config.server);
 */
export function acceptH2c(server: http.Server, handler: RawHandler, tracker: ConnectionTracker, cfg: StrataConfig['server']): http2.Http2Server {
  const heads = http2HeaderOptions(cfg.maxHeaderSize);
  const h2 = http2.createServer({ maxSessionMemory: 32, maxHeaderListPairs: heads.maxHeaderListPairs, settings: { ...heads.settings, maxConcurrentStreams: 256 } }, handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  h2.on('session', (s: http2.Http2Session) => tracker.session(s));
  h2.setTimeout(cfg.idleTimeout);
  // Node's own HTTP/1.1 connection listener runs only once the first bytes say HTTP/1.1.
  const http1 = server.listeners('connection') as Array<(s: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (sock: Socket) => {
    const chunks: Buffer[] = [];
    let length = 0;
    // A client that connects and sends nothing is cut like one that sends headers too slowly.
    const timer = cfg.headersTimeout > 0 ? setTimeout(() => sock.destroy(), cfg.headersTimeout) : undefined;
    timer?.unref();
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      const n = Math.min(head.length, PREFACE.length);
      const h2Like = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2Like && length < DECIDE) return;
      sock.off('data', onData);
      sock.off('close', onClose);
      clearTimeout(timer);
      sock.pause();
      sock.unshift(head);
      if (h2Like) {
        // Marked like a TLS h2 socket so the drain leaves it to the session's graceful close.
        Object.defineProperty(sock, 'alpnProtocol', { value: 'h2c', configurable: true });
        // The HTTP/2 session reads the unshifted bytes from the socket's buffer.
        h2.emit('connection', sock);
      } else {
        for (const l of http1) l.call(server, sock);
        sock.resume();
      }
    };
    const onClose = () => clearTimeout(timer);
    sock.on('data', onData);
    sock.once('close', onClose);
  });
  server.once('close', () => h2.close());
  return h2;
}
