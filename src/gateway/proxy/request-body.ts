// The body a gateway route forwards when someone read the client's stream first (the
// WAF's body gate buffers it for inspection): the same bytes, replayed.
import type { Readable } from 'node:stream';

const BODY = Symbol('strata.gateway.requestBody');
type Carrier = { [BODY]?: Buffer | Readable };

/** Forward `body` instead of the raw request stream. */
export function setRequestBody(raw: object, body: Buffer | Readable): void {
  (raw as Carrier)[BODY] = body;
}

/** The replacement set by setRequestBody, if any. */
export function replacedRequestBody(raw: object): Buffer | Readable | undefined {
  return (raw as Carrier)[BODY];
}

/**
 * Whether a body may follow the head: Transfer-Encoding or a Content-Length above 0
 * (RFC 9112 §6.3), or an HTTP/2 stream not ended with its HEADERS frame (RFC 9113 §8.1).
 */
export function mayHaveBody(raw: { headers: Record<string, string | string[] | undefined>; stream?: { endAfterHeaders?: boolean } }): boolean {
  const h = raw.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const cl = h['content-length'];
  if (cl !== undefined) return cl !== '0';
  return raw.stream ? !raw.stream.endAfterHeaders : false;
}
