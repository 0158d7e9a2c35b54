// WebSocket (RFC 6455) upgrade proxying: the handshake goes upstream through undici's
// upgrade, then bytes are piped both ways between the two sockets.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE } from '../../core/index.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { applyHeaderRules, endToEnd, type HeaderRules } from './header-rules.js';
import type { IpList } from './ip-match.js';
import type { UpstreamPool } from './upstream-pool.js';

function writeHead(socket: Duplex, status: number, text: string, headers: Record<string, string | string[] | undefined>): void {
  let head = `HTTP/1.1 ${status} ${text}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${one}\r\n`;
  }
  socket.write(head + '\r\n');
}

export function rejectUpgrade(socket: Duplex, status: number, text: string, body: string): void {
  if (!socket.writable) return void socket.destroy();
  writeHead(socket, status, text, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)), connection: 'close' });
  socket.end(body);
}

export interface WebSocketProxyOptions {
  pool: UpstreamPool;
  path: string;
  trusted: IpList;
  requestHeaders?: HeaderRules;
  preserveHost: boolean;
}

export async function proxyWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, o: WebSocketProxyOptions): Promise<void> {
  const u = o.pool.select(undefined);
  const problem = (status: number, type: string, title: string) =>
    JSON.stringify({ type, title, status, detail: status === 503 ? 'No upstream server is available.' : 'The upstream refused the WebSocket upgrade.' });
  if (!u) return rejectUpgrade(socket, 503, 'Service Unavailable', problem(503, 'strata/service-unavailable', 'Service Unavailable'));
  const headers = endToEnd(req.headers);
  const fwd = forwardedHeaders(
    { remoteAddress: req.socket.remoteAddress ?? '', proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http', host: req.headers.host, headers: req.headers },
    o.trusted,
  );
  Object.assign(headers, fwd.headers);
  if (!o.preserveHost) delete headers.host;
  applyHeaderRules(headers, o.requestHeaders);
  socket.on('error', () => socket.destroy());
  u.active++;
  let upstream: Duplex;
  let resHeaders: Record<string, string | string[] | undefined>;
  try {
    const r = await u.dispatcher.upgrade({ path: u.basePath + o.path, method: 'GET', ...u.dispatchOptions, headers: headers as Record<string, string>, protocol: 'websocket' });
    upstream = r.socket;
    resHeaders = r.headers;
    o.pool.recordSuccess(u);
  } catch {
    u.active--;
    o.pool.recordFailure(u);
    return rejectUpgrade(socket, 502, 'Bad Gateway', problem(502, 'strata/bad-gateway', 'Bad Gateway'));
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    u.active--;
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', close).on('close', close);
  socket.on('error', close).on('close', close);
  writeHead(socket, 101, 'Switching Protocols', resHeaders);
  if (head.length > 0) upstream.write(head);
  upstream.pipe(socket);
  socket.pipe(upstream);
}
