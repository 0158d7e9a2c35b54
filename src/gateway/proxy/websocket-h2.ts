// WebSockets over HTTP/2 (RFC 8441 extended CONNECT, `:protocol = websocket`) proxied to an
// HTTP/1.1 WebSocket upstream (RFC 6455 handshake): the stream then carries the same frames.
import { createHash, randomBytes } from 'node:crypto';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE } from '../../core/index.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { applyHeaderRules, endToEnd, type HeaderBag } from './header-rules.js';
import type { WebSocketProxyOptions } from './websocket-proxy.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Response headers that HTTP/2 forbids or that belong to the HTTP/1.1 handshake only. */
const H1_ONLY = new Set(['sec-websocket-accept', 'connection', 'upgrade', 'keep-alive', 'transfer-encoding', 'proxy-connection']);

/** Answers an extended CONNECT with a problem (the stream stays an ordinary response). */
export function rejectConnect(res: Http2ServerResponse, status: number, type: string, title: string, detail: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.stream.destroyed) return void res.stream.destroy();
  const body = JSON.stringify({ type, title, status, detail });
  res.writeHead(status, { ...headers, 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** True for an RFC 8441 WebSocket bootstrap (`:method CONNECT` with `:protocol websocket`). */
export function isExtendedConnect(req: Http2ServerRequest): boolean {
  return req.method === 'CONNECT' && req.headers[':protocol'] === 'websocket';
}

/**
 * Proxies one extended CONNECT stream: the upstream gets an ordinary HTTP/1.1 Upgrade (with a
 * fresh Sec-WebSocket-Key whose accept value is checked), the client gets `:status 200`, then
 * bytes flow both ways until either side ends.
 */
export async function proxyWebSocketH2(req: Http2ServerRequest, res: Http2ServerResponse, o: WebSocketProxyOptions): Promise<void> {
  const version = req.headers['sec-websocket-version'];
  if (version !== undefined && version !== '13') {
    return rejectConnect(res, 426, 'strata/upgrade-required', 'Upgrade Required', 'Only WebSocket version 13 is supported.', { 'sec-websocket-version': '13' });
  }
  const u = o.pool.select(undefined);
  if (!u) return rejectConnect(res, 503, 'strata/service-unavailable', 'Service Unavailable', 'No upstream server is available.');
  const authority = (req.headers[':authority'] ?? req.headers.host) as string | undefined;
  const headers: HeaderBag = endToEnd(req.headers);
  const fwd = forwardedHeaders(
    { remoteAddress: req.socket.remoteAddress ?? '', proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http', host: authority, headers: req.headers },
    o.trusted,
  );
  Object.assign(headers, fwd.headers);
  if (o.preserveHost && authority) headers.host = authority;
  else delete headers.host;
  const key = randomBytes(16).toString('base64');
  headers['sec-websocket-key'] = key;
  headers['sec-websocket-version'] = '13';
  applyHeaderRules(headers, o.requestHeaders);
  const stream = res.stream;
  stream.on('error', () => stream.destroy());
  u.active++;
  let upstream: Duplex;
  let resHeaders: HeaderBag;
  try {
    const r = await u.dispatcher.upgrade({ path: u.basePath + o.path, method: 'GET', ...u.dispatchOptions, headers: headers as Record<string, string>, protocol: 'websocket' });
    upstream = r.socket;
    resHeaders = r.headers;
  } catch {
    u.active--;
    o.pool.recordFailure(u);
    return rejectConnect(res, 502, 'strata/bad-gateway', 'Bad Gateway', 'The upstream refused the WebSocket upgrade.');
  }
  const expected = createHash('sha1').update(key + WS_GUID).digest('base64');
  if (resHeaders['sec-websocket-accept'] !== expected || stream.destroyed) {
    u.active--;
    upstream.destroy();
    if (stream.destroyed) return;
    o.pool.recordFailure(u);
    return rejectConnect(res, 502, 'strata/bad-gateway', 'Bad Gateway', 'The upstream answered the upgrade without a valid WebSocket handshake.');
  }
  o.pool.recordSuccess(u);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    u.active--;
    upstream.destroy();
    if (!stream.destroyed) stream.close();
  };
  upstream.on('error', close).on('close', close);
  stream.on('close', close);
  const out: Record<string, string | string[]> = { ':status': '200' };
  for (const k in resHeaders) {
    const v = resHeaders[k];
    if (v !== undefined && !H1_ONLY.has(k)) out[k] = v;
  }
  stream.respond(out);
  // Each direction ends the other: a WebSocket close frame has already passed through by then.
  upstream.pipe(stream);
  stream.pipe(upstream);
}
