// Sends corpus requests byte for byte over raw TCP (duplicate headers, odd framing and
// unencoded payloads reach both servers exactly alike) and keeps each response status.
import { connect } from 'node:net';
import type { AnchorRequest } from './waf-anchor-corpus.js';

/** The status of the response, or 0 for a connection closed / timed out without one. */
export type Outcome = number;

/** The bytes of one request: Host, Content-Length (or a final chunk) and `Connection: close` added when missing. */
export function requestBytes(r: AnchorRequest): Buffer {
  const has = (n: string) => r.headers.some(([k]) => k.toLowerCase() === n);
  const lines = [`${r.method} ${r.path} HTTP/1.1`];
  if (!has('host')) lines.push('Host: app.example.com');
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  const chunked = r.headers.some(([k, v]) => k.toLowerCase() === 'transfer-encoding' && /chunked/i.test(v));
  let body = r.body ?? Buffer.alloc(0);
  if (chunked) body = Buffer.concat([body.length > 0 ? Buffer.from(`${body.length.toString(16)}\r\n`) : Buffer.alloc(0), body, Buffer.from(body.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n')]);
  else if (!has('content-length') && (body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(r.method))) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close');
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

/** Sends one request to 127.0.0.1:port and resolves with the response status (0: none). */
export function replayOne(port: number, r: AnchorRequest, timeoutMs = 5_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let head = '';
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => finish(0), timeoutMs);
    sock.on('connect', () => sock.write(requestBytes(r)));
    sock.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (m) finish(Number(m[1]));
      else if (head.length > 64) finish(0);
    });
    sock.on('error', () => finish(0));
    sock.on('close', () => finish(0));
  });
}

/** Replays every request with `concurrency` in flight; outcomes in corpus order. */
export async function replayAll(port: number, reqs: AnchorRequest[], concurrency = 8): Promise<Outcome[]> {
  const out: Outcome[] = new Array(reqs.length);
  let next = 0;
  const worker = async () => {
    while (next < reqs.length) {
      const i = next++;
      out[i] = await replayOne(port, reqs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, reqs.length) }, worker));
  return out;
}
