// server.maxHeaderSize for HTTP/2 requests (RFC 9113 §6.5.2 makes SETTINGS_MAX_HEADER_LIST_SIZE
// advisory, and Node applies it only once the client acknowledges the SETTINGS frame): every request,
// the first of a connection included, is measured as its HTTP/1.1 form would be (request line plus
// `name: value\r\n` lines), so both protocols refuse the same requests, with 431 problem+json.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { PROBLEM_CONTENT_TYPE, problemFor } from '../core/index.js';
import type { RawHandler } from './app.js';
import type { SecurityHeaders } from './security-headers.js';

/**
 * What nghttp2 itself is told to accept, far above `server.maxHeaderSize`, so an over-large head
 * reaches `limitHttp2Heads` and is answered 431 on its own stream. At Node's defaults (and with
 * SETTINGS_MAX_HEADER_LIST_SIZE = maxHeaderSize) nghttp2 resets such a stream (ENHANCE_YOUR_CALM)
 * before any handler runs. 256 KiB is past what nghttp2 decodes at all: a header block of more than
 * a HEADERS and 8 CONTINUATION frames (about 144 KiB encoded) closes the session (INTERNAL_ERROR),
 * and one field whose encoded form passes 64 KiB breaks HPACK (COMPRESSION_ERROR); neither limit
 * is settable from Node. Larger lists built from indexed fields, and more than 2,000 fields
 * (HTTP/1.1's `maxHeadersCount`), are reset on their stream only.
 */
export function http2HeaderOptions(maxHeaderSize: number): { settings: { maxHeaderListSize: number }; maxHeaderListPairs: number } {
  return { settings: { maxHeaderListSize: Math.max(maxHeaderSize, 256 * 1024) }, maxHeaderListPairs: 2000 };
}

/** Bytes of the request's head in HTTP/1.1 form. */
export function http1HeadSize(req: IncomingMessage): number {
  let n = Buffer.byteLength(req.method ?? '') + Buffer.byteLength(req.url ?? '') + 12; // "GET /x HTTP/1.1\r\n"
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].charCodeAt(0) === 58 /* ':' pseudo-header: in the request line or Host */ && raw[i] !== ':authority') continue;
    n += Buffer.byteLength(raw[i]) + Buffer.byteLength(raw[i + 1]) + 4;
  }
  return n;
}

/** Wraps the edge's handler: an HTTP/2 request whose head is larger than `maxHeaderSize` is 431. */
export function limitHttp2Heads(next: RawHandler, maxHeaderSize: number, security: SecurityHeaders): RawHandler {
  return (req, res) => {
    if (req.httpVersionMajor < 2 || http1HeadSize(req) <= maxHeaderSize) return next(req, res);
    const body = JSON.stringify(problemFor(431, 'The request header block is larger than the server accepts (server.maxHeaderSize).'));
    const secure = (req.socket as TLSSocket | undefined)?.encrypted === true;
    res.writeHead(431, { ...(secure ? security.secure : security.plain), 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)), 'x-request-id': randomUUID() });
    res.end(body);
  };
}
