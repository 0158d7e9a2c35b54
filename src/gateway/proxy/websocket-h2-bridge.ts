// RFC 8441 extended CONNECT for Strata's own WebSocket endpoints (e.g. /api/realtime): the stream
// is presented to the server's HTTP/1.1 'upgrade' listeners as an RFC 6455 handshake on a socket,
// and their HTTP/1.1 answer (101, or an error with its body) is turned back into HTTP/2 headers.
// Needed because a browser that sees SETTINGS_ENABLE_CONNECT_PROTOCOL uses it for every
// WebSocket to the origin, not only for the gateway's proxy routes.
import { randomBytes } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Response headers that HTTP/2 forbids (RFC 9113 §8.2.2) or that only the 1.1 handshake uses. */
const DROP = new Set(['connection', 'upgrade', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'sec-websocket-accept']);
const MAX_HEAD = 16 * 1024;

function parseHead(text: string): { status: number; headers: Record<string, string | string[]> } | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    if (DROP.has(k)) continue;
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { status: Number(m[1]), headers };
}

/**
 * @example
 * server.on('connect', (req, res) => bridgeExtendedConnect(req, res, (r, s, h) => server.emit('upgrade', r, s, h)));
 */
export function bridgeExtendedConnect(req: Http2ServerRequest, res: Http2ServerResponse, emit: UpgradeListener): void {
  const stream = res.stream;
  const peer = req.socket as unknown as Socket;
  let pending: Buffer | undefined = Buffer.alloc(0); // the HTTP/1.1 answer until its head is complete
  const socket = new Duplex({
    read() {
      stream.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (!pending) return void stream.write(chunk, cb);
      pending = Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) return pending.length > MAX_HEAD ? cb(new Error('upgrade answer head too large')) : cb();
      const head = parseHead(pending.subarray(0, end).toString('latin1'));
      const rest = pending.subarray(end + 4);
      pending = undefined;
      if (!head) return cb(new Error('malformed upgrade answer'));
      // 101 Switching Protocols is HTTP/2's 200 for an extended CONNECT (RFC 8441 §5).
      if (head.status === 101) stream.respond({ ...head.headers, ':status': 200 });
      else {
        delete head.headers['content-length']; // the body may be cut short when the socket ends
        stream.respond({ ...head.headers, ':status': head.status });
      }
      if (rest.length > 0) stream.write(rest, cb);
      else cb();
    },
    final(cb) {
      if (!stream.headersSent && !stream.destroyed) stream.respond({ ':status': 502 }, { endStream: true });
      else stream.end();
      cb();
    },
    destroy(err, cb) {
      if (!stream.destroyed) stream.close();
      cb(err);
    },
  });
  stream.on('data', (d: Buffer) => {
    if (!socket.push(d)) stream.pause();
  });
  stream.on('end', () => socket.push(null));
  stream.on('close', () => socket.destroy());
  stream.on('error', () => socket.destroy());
  // What listeners read from a net.Socket: addresses, TLS, and the no-op tuning calls ws makes.
  Object.assign(socket, {
    remoteAddress: peer.remoteAddress,
    remotePort: peer.remotePort,
    remoteFamily: peer.remoteFamily,
    localAddress: peer.localAddress,
    localPort: peer.localPort,
    encrypted: (peer as { encrypted?: boolean }).encrypted,
    setTimeout: () => socket,
    setNoDelay: () => socket,
    setKeepAlive: () => socket,
  });

  const upgradeReq = new IncomingMessage(socket as unknown as Socket);
  const headers: Record<string, string | string[]> = {};
  for (const k in req.headers) {
    const v = req.headers[k];
    if (k[0] !== ':' && v !== undefined) headers[k] = v;
  }
  headers.host = (req.headers[':authority'] ?? req.headers.host ?? '') as string;
  headers.connection = 'Upgrade';
  headers.upgrade = 'websocket';
  headers['sec-websocket-key'] = randomBytes(16).toString('base64');
  headers['sec-websocket-version'] = (req.headers['sec-websocket-version'] as string | undefined) ?? '13';
  upgradeReq.method = 'GET';
  upgradeReq.url = req.url || '/';
  upgradeReq.httpVersion = '1.1';
  upgradeReq.httpVersionMajor = 1;
  upgradeReq.httpVersionMinor = 1;
  upgradeReq.headers = headers;
  upgradeReq.rawHeaders = Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, v]));
  upgradeReq.complete = true;
  upgradeReq.push(null);
  emit(upgradeReq, socket, Buffer.alloc(0));
}
