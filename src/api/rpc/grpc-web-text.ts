// gRPC-Web text mode (grpc/grpc doc/PROTOCOL-WEB.md, "Text-encoded (response) streams"):
// `application/grpc-web-text` bodies are base64 of the `application/grpc-web` byte stream. Connect-ES
// serves binary gRPC-Web only, so a text call is translated around it: the request body is decoded
// from base64 (a client may send several padded chunks back to back) and the answer re-encoded, each
// message and the trailer frame as its own padded base64 chunk, flushed as it comes (Watch streams too).
import { Code, ConnectError } from '@connectrpc/connect';
import type { UniversalServerRequest, UniversalServerResponse } from '@connectrpc/connect/protocol';

const TEXT = /^application\/grpc-web-text(\+proto)?$/i;
const BINARY_PROTO = 'application/grpc-web+proto';
const TEXT_PROTO = 'application/grpc-web-text+proto';
const QUAD = /^[A-Za-z0-9+/]{2}(?:[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]=|==)$/;

/** Whether a Content-Type asks for the text mode (`+json` has none: the spec defines text for proto only). */
export function isGrpcWebText(contentType: string | undefined): boolean {
  return TEXT.test((contentType ?? '').split(';')[0].trim());
}

/**
 * Bytes of a base64 text stream made of padded chunks (`QQ==QkM=`): decoded four characters at a
 * time, whitespace ignored, wherever the transport split it. Anything else is INVALID_ARGUMENT.
 */
export async function* decodeBase64Chunks(text: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let rest = '';
  const bad = () => new ConnectError('grpc-web-text: the body is not base64', Code.InvalidArgument);
  for await (const chunk of text) {
    const more = Buffer.from(chunk).toString('latin1').replace(/[\t\n\r ]+/g, '');
    if (!/^[A-Za-z0-9+/=]*$/.test(more)) throw bad();
    rest += more;
    const whole = rest.length - (rest.length % 4);
    if (whole === 0) continue;
    const quads = rest.slice(0, whole);
    rest = rest.slice(whole);
    const out: Buffer[] = [];
    let run = 0; // start of the quads not yet decoded
    for (let i = 0; i < quads.length; i += 4) {
      const q = quads.slice(i, i + 4);
      if (!QUAD.test(q)) throw bad();
      // A padded quad ends a chunk: decode up to it (Node's decoder stops at the first '=').
      if (q.includes('=')) {
        out.push(Buffer.from(quads.slice(run, i + 4), 'base64'));
        run = i + 4;
      }
    }
    if (run < quads.length) out.push(Buffer.from(quads.slice(run), 'base64'));
    for (const b of out) if (b.length > 0) yield b;
  }
  if (rest.length > 0) throw bad();
}

async function* encodeBase64Chunks(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of bytes) if (chunk.length > 0) yield Buffer.from(Buffer.from(chunk).toString('base64'), 'latin1');
}

/** The call as binary gRPC-Web, for Connect's handler. */
export function textRequest(req: UniversalServerRequest): UniversalServerRequest {
  const header = new Headers(req.header);
  header.set('content-type', BINARY_PROTO);
  header.delete('content-length');
  const body = req.body as AsyncIterable<Uint8Array>;
  return { ...req, header, body: decodeBase64Chunks(body) };
}

/** Connect's binary gRPC-Web answer in text mode; other answers (415, 405...) as they are. */
export function textResponse(res: UniversalServerResponse): UniversalServerResponse {
  if (!res.header || !/^application\/grpc-web(\+proto)?$/i.test(res.header.get('content-type') ?? '')) return res;
  const header = new Headers(res.header);
  header.set('content-type', TEXT_PROTO);
  header.delete('content-length');
  return { ...res, header, body: res.body ? encodeBase64Chunks(res.body) : undefined };
}
