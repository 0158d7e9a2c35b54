// Unary gRPC calls over HTTP/2 (gRPC over HTTP2 spec: one length-prefixed binary message in, one
// out, status in trailers) answered without Connect's streaming pipeline, which costs several times
// the call itself (async iterables, abort controllers and their DOMExceptions per call; see
// docs/benchmarks.md). The same method implementations, errors (Connect's own trailer encoding),
// size limits and response compression; anything else (gRPC-Web, Connect, streams, compressed
// requests, deadlines, a body that is not exactly one plain message) is handed to Connect.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { create, fromBinary, isMessage, toBinary, type DescMethod } from '@bufbuild/protobuf';
import { Code, ConnectError, type ContextValues, type HandlerContext } from '@connectrpc/connect';
import { compressionNegotiate, type Compression } from '@connectrpc/connect/protocol';
import { setTrailerStatus } from '@connectrpc/connect/protocol-grpc';

/** One unary method and its implementation (a RecordService method over the access layer). */
export interface UnaryMethod {
  method: DescMethod;
  impl: (req: unknown, ctx: HandlerContext) => Promise<unknown>;
}

export interface UnaryOptions {
  maxBytes: number;
  /** Response compressions, in the order Connect is given them. */
  compressions: readonly Compression[];
  /** Connect's default: smaller messages are never compressed. */
  compressMinBytes?: number;
  /** Aborted on shutdown (the calls' signal, as Connect's shutdownSignal). */
  signal: AbortSignal;
  /** Errors as the caller will see them (toConnectError), logged when internal. */
  toError: (e: unknown) => ConnectError;
  onInternal: (err: ConnectError, path: string) => void;
}

const GRPC_BINARY = /^application\/grpc(\+proto)?$/i;
const NO_TIMEOUT = () => undefined;

const OK_TRAILERS: Readonly<Record<string, string>> = Object.freeze({ 'grpc-status': '0' });

/** The response compression for a grpc-accept-encoding value, kept per value (clients send one of a few). */
const negotiations = new WeakMap<readonly Compression[], Map<string, Compression | null>>();
function negotiated(compressions: readonly Compression[], accept: string | string[] | undefined): Compression | null {
  const key = typeof accept === 'string' ? accept : '';
  let known = negotiations.get(compressions);
  if (known === undefined) negotiations.set(compressions, (known = new Map()));
  let c = known.get(key);
  if (c === undefined) {
    c = compressionNegotiate([...compressions], null, key === '' ? null : key, 'grpc-accept-encoding').response;
    if (known.size < 64) known.set(key, c);
  }
  return c;
}

/** Whether a request can take the unary path (headers only; the body decides the rest). */
export function plainGrpc(req: Http2ServerRequest): boolean {
  const h = req.headers;
  const enc = h['grpc-encoding'];
  return req.method === 'POST' && GRPC_BINARY.test(String(h['content-type'] ?? '')) && (enc === undefined || enc === 'identity') && h['grpc-timeout'] === undefined;
}

/** The request body, up to `limit` bytes; `rest` is the unread stream when the body was longer. */
function readBody(req: Http2ServerRequest, limit: number): Promise<{ chunks: Buffer[]; length: number; rest?: AsyncIterable<Buffer> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      length += c.length;
      if (length > limit) {
        done();
        req.pause();
        resolve({ chunks, length, rest: req as unknown as AsyncIterable<Buffer> });
      }
    };
    const onEnd = () => (done(), resolve({ chunks, length }));
    const onError = (e: Error) => (done(), reject(e));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

async function* replay(chunks: Buffer[], rest?: AsyncIterable<Buffer>): AsyncIterable<Uint8Array> {
  yield* chunks;
  if (rest) yield* rest;
}

function webHeaders(h: Http2ServerRequest['headers']): Headers {
  const out = new Headers();
  for (const k in h) {
    if (k.charCodeAt(0) === 58 /* : */) continue;
    const v = h[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.append(k, x);
    else out.set(k, v);
  }
  return out;
}

function frame(data: Uint8Array, compressed: boolean): Buffer {
  const out = Buffer.allocUnsafe(5 + data.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(data.length, 1);
  out.set(data, 5);
  return out;
}

/**
 * Serves one unary call; when the body is not exactly one plain message (none, several, compressed,
 * too large, undecodable), calls `fallback` with the body as read so far plus the rest, so Connect
 * answers it as it would have.
 */
export async function serveUnary(
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  path: string,
  m: UnaryMethod,
  values: ContextValues,
  preset: Record<string, string | number | string[] | undefined>,
  o: UnaryOptions,
  fallback: (body: AsyncIterable<Uint8Array>) => Promise<void>,
): Promise<void> {
  const body = await readBody(req, o.maxBytes + 5);
  if (body.rest) return fallback(replay(body.chunks, body.rest));
  const buf = body.chunks.length === 1 ? body.chunks[0] : Buffer.concat(body.chunks, body.length);
  if (buf.length < 5 || buf[0] !== 0 || buf.readUInt32BE(1) !== buf.length - 5) return fallback(replay([buf]));
  let input: unknown;
  try {
    input = fromBinary(m.method.input, buf.subarray(5));
  } catch {
    return fallback(replay([buf]));
  }
  let requestHeader: Headers | undefined;
  let responseTrailer: Headers | undefined;
  const ctx: HandlerContext = {
    method: m.method,
    service: m.method.parent,
    signal: o.signal,
    timeoutMs: NO_TIMEOUT,
    requestMethod: 'POST',
    // built when read (a principal from metadata); most calls were authenticated by the edge already
    get requestHeader() {
      return (requestHeader ??= webHeaders(req.headers));
    },
    responseHeader: new Headers(),
    // built when a method sets a trailer (none of the collections' do); a plain OK is one constant line
    get responseTrailer() {
      return (responseTrailer ??= new Headers());
    },
    protocolName: 'grpc',
    values,
    url: path,
  };
  const response = negotiated(o.compressions, req.headers['grpc-accept-encoding']);
  let out: Buffer | undefined;
  let error: ConnectError | undefined;
  try {
    const msg = await m.impl(input, ctx);
    let bytes = toBinary(m.method.output, isMessage(msg, m.method.output) ? msg : create(m.method.output, msg as never));
    if (bytes.length > o.maxBytes) throw new ConnectError(`message size ${bytes.length} is larger than configured writeMaxBytes ${o.maxBytes}`, Code.ResourceExhausted);
    const compress = response !== null && bytes.length >= (o.compressMinBytes ?? 1024);
    if (compress) bytes = await response.compress(bytes);
    out = frame(bytes, compress);
  } catch (e) {
    error = o.toError(e);
    if (error.code === Code.Internal) o.onInternal(error, path);
  }
  const headers: OutgoingHttpHeaders = {};
  for (const k in preset) if (preset[k] !== undefined) headers[k] = preset[k];
  headers['content-type'] = 'application/grpc+proto';
  if (response) headers['grpc-encoding'] = response.name;
  ctx.responseHeader.forEach((v, k) => (headers[k] = v));
  let trailers: Record<string, string> = OK_TRAILERS;
  if (error !== undefined || responseTrailer !== undefined) {
    trailers = {};
    setTrailerStatus(ctx.responseTrailer, error).forEach((v, k) => (trailers[k] = v));
  }
  res.writeHead(200, headers);
  if (out) res.write(out);
  res.addTrailers(trailers);
  await new Promise<void>((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
    res.end();
  });
}
