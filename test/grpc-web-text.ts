// gRPC-Web text mode written by hand from grpc/grpc doc/PROTOCOL-WEB.md, for tests: the body of
// `application/grpc-web-text` is base64 of the gRPC-Web byte stream, which is length-prefixed frames
// (flag byte, 4-byte big-endian length; flag 0x80 = the trailer frame, "key: value\r\n" lines). The
// server may send several padded base64 chunks back to back, so the text is read chunk by chunk.

/** One gRPC-Web frame: 0x00 data or 0x80 trailers. */
export function frame(flag: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Splits base64 text into its padded chunks and decodes each on its own. Throws on anything else. */
export function decodeChunks(text: string): { bytes: Buffer; chunks: number } {
  const clean = text.replace(/\s+/g, '');
  const parts = clean.match(/[A-Za-z0-9+/]*(?:==|=)?/g)!.filter(Boolean);
  if (parts.join('') !== clean) throw new Error(`not base64: ${clean.slice(0, 80)}`);
  for (const p of parts) if (p.length % 4 !== 0) throw new Error(`a chunk that is not padded to 4: ${p.slice(0, 40)}`);
  return { bytes: Buffer.concat(parts.map((p) => Buffer.from(p, 'base64'))), chunks: parts.length };
}

export interface Frames {
  messages: Buffer[];
  trailers: Record<string, string>;
  /** The trailer frame came last and nothing followed it. */
  trailerLast: boolean;
}

/** Parses a whole gRPC-Web byte stream. */
export function parseFrames(bytes: Buffer): Frames {
  const out: Frames = { messages: [], trailers: {}, trailerLast: false };
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 5) throw new Error('a truncated frame header');
    const flag = bytes[at];
    const len = bytes.readUInt32BE(at + 1);
    const payload = bytes.subarray(at + 5, at + 5 + len);
    if (payload.length !== len) throw new Error('a truncated frame');
    at += 5 + len;
    if (flag === 0x80) {
      for (const line of payload.toString('utf8').split('\r\n')) {
        if (!line) continue;
        const i = line.indexOf(':');
        const key = line.slice(0, i);
        if (key !== key.toLowerCase()) throw new Error(`trailer names are lower-case: ${key}`);
        out.trailers[key] = line.slice(i + 1).trim();
      }
      out.trailerLast = at === bytes.length;
    } else if (flag === 0x00) out.messages.push(Buffer.from(payload));
    else throw new Error(`unexpected frame flag ${flag}`);
  }
  return out;
}

/** A ReadableStream of base64 text chunks → the bytes they encode (partial quads carried over). */
function decodingStream(): TransformStream<Uint8Array, Uint8Array> {
  let rest = '';
  return new TransformStream({
    transform(chunk, ctl) {
      rest += Buffer.from(chunk).toString('latin1');
      const whole = rest.length - (rest.length % 4);
      if (whole === 0) return;
      const { bytes } = decodeChunks(rest.slice(0, whole));
      rest = rest.slice(whole);
      if (bytes.length) ctl.enqueue(new Uint8Array(bytes));
    },
    flush() {
      if (rest.replace(/\s+/g, '')) throw new Error('base64 text ended mid-quad');
    },
  });
}

/**
 * A fetch for @connectrpc/connect-web's gRPC-Web transport that speaks text mode on the wire: the
 * request body goes as base64 (split in two padded chunks, as a client may), the answer must come back
 * as `application/grpc-web-text+proto` and is decoded for the transport, which only reads binary.
 */
export function grpcWebTextFetch(seen?: { textAnswers: number }): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('content-type', 'application/grpc-web-text+proto');
    headers.set('accept', 'application/grpc-web-text');
    const raw = Buffer.from(init?.body as Uint8Array);
    const cut = Math.min(2, raw.length);
    const body = raw.subarray(0, cut).toString('base64') + raw.subarray(cut).toString('base64');
    const res = await fetch(input, { ...init, headers, body });
    const type = res.headers.get('content-type') ?? '';
    if (!/^application\/grpc-web(-text)?\+proto$/.test(type)) return res; // a non-gRPC answer (415, problem+json) as it is
    if (type !== 'application/grpc-web-text+proto') throw new Error(`a text request got a ${type} answer`);
    if (seen) seen.textAnswers++;
    const h = new Headers(res.headers);
    h.set('content-type', 'application/grpc-web+proto');
    return new Response(res.body ? res.body.pipeThrough(decodingStream()) : null, { status: res.status, statusText: res.statusText, headers: h });
  };
}
