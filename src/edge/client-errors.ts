// Answers to requests Node's HTTP/1.1 parser refuses before any route runs (RFC 9112: header block
// too large, malformed request line, timeouts): problem+json with the same request id and security
// headers as every other answer, written on the raw socket, then the connection is closed.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, problemFor } from '../core/index.js';
import type { SecurityHeaders } from './security-headers.js';

const DETAILS: Record<number, string> = {
  400: 'The request is not valid HTTP.',
  408: 'The request took too long to arrive.',
  431: 'The request header block is larger than the server accepts (server.maxHeaderSize).',
};

function statusOf(err: NodeJS.ErrnoException): number {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT') return 408;
  if (err.code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

/** The raw HTTP/1.1 response for a status (its problem body, request id, security headers, Connection: close). */
export function rawProblemResponse(status: number, headers: Record<string, string>, detail = DETAILS[status]): string {
  const body = JSON.stringify(problemFor(status, detail));
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, `content-type: ${PROBLEM_CONTENT_TYPE}`, `content-length: ${Buffer.byteLength(body)}`, `x-request-id: ${randomUUID()}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push('connection: close');
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

/**
 * A `clientError` listener for every HTTP/1.1 server of the edge (and Fastify's clientErrorHandler):
 * idempotent, so a server Fastify also listens on answers once.
 */
export function clientErrorHandler(security: SecurityHeaders) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    // As Node's own handler: a response whose head is already on the wire gets no second status line.
    const current = (socket as Duplex & { _httpMessage?: { _headerSent?: boolean } })._httpMessage;
    if (socket.writable && !current?._headerSent) {
      const encrypted = (socket as Duplex & { encrypted?: boolean }).encrypted === true;
      socket.write(rawProblemResponse(statusOf(err), encrypted ? security.secure : security.plain));
    }
    socket.destroy(err);
  };
}
