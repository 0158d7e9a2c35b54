// Errors raised before any route runs (Fastify's router, Node's HTTP/1.1 parser) answer like every
// other error: problem+json, X-Request-Id and the security headers (HSTS on HTTPS); a request with
// two Host headers is 400 (RFC 9112 §3.2). Raw sockets, so nothing normalizes the request (issue 15).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http2 from 'node:http2';
import tls from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';

interface RawRes {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes as they are and reads the answer until the server closes or the response is whole. */
export function rawRequest(url: string, bytes: string | Buffer): Promise<RawRes> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = u.protocol === 'https:' ? tls.connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }) : net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    const parse = (): RawRes | undefined => {
      const all = Buffer.concat(chunks).toString('latin1');
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [line, ...rest] = all.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of rest) {
        const i = h.indexOf(':');
        headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
      }
      const body = Buffer.from(all.slice(end + 4), 'latin1');
      const len = Number(headers['content-length'] ?? NaN);
      if (!Number.isNaN(len) && body.length < len) return undefined;
      return { status: Number(line.split(' ')[1]), headers, body: body.toString('utf8') };
    };
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      const r = parse();
      if (r && r.headers['content-length'] !== undefined) {
        sock.destroy();
        resolve(r);
      }
    });
    sock.on('error', (e) => (chunks.length ? undefined : reject(e)));
    sock.on('close', () => {
      const r = parse();
      if (r) resolve(r);
      else reject(new Error(`no answer: ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    });
    sock.write(bytes);
  });
}

describe('errors before routing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-edge-errors-'));
  let server: StrataServer;
  let http = '';
  let https = '';
  before(async () => {
    writeFileSync(join(dir, 'strata.yaml'), 'collections:\n  - name: posts\n    fields:\n      - { name: title, type: text }\n    rules: { list: "", view: "" }\n');
    const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.http.h2c': true, 'server.https.port': 0, 'server.shutdownGrace': 1000 } }).config;
    server = await createServer(config, pino({ level: 'silent' }));
    await server.start();
    http = server.edge.urls().find((u) => u.kind === 'http')!.url;
    https = server.edge.urls().find((u) => u.kind === 'https')!.url;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const P = '/api/collections/posts/records';
  function assertProblem(r: RawRes, status: number, type: string, overTls: boolean, what: string): void {
    assert.equal(r.status, status, `${what}: ${r.body}`);
    assert.match(r.headers['content-type'] ?? '', /^application\/problem\+json/, what);
    const p = JSON.parse(r.body) as { type: string; status: number; title: string };
    assert.equal(p.type, type, what);
    assert.equal(p.status, status, what);
    assert.match(r.headers['x-request-id'] ?? '', /^[A-Za-z0-9._:@=+/-]{1,128}$/, `${what}: x-request-id`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
    assert.ok(r.headers['content-security-policy'], `${what}: CSP`);
    assert.ok(r.headers['x-frame-options'], `${what}: X-Frame-Options`);
    if (overTls) assert.match(r.headers['strict-transport-security'] ?? '', /max-age=/, `${what}: HSTS`);
    else assert.equal(r.headers['strict-transport-security'], undefined, `${what}: no HSTS on plain HTTP`);
  }
  const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

  for (const [name, overTls] of [['HTTP', false], ['HTTPS (HTTP/1.1)', true]] as const) {
    const base = () => (overTls ? https : http);
    test(`${name}: a URL that is not valid percent-encoded UTF-8 is 400 problem+json`, async () => {
      assertProblem(await rawRequest(base(), get(`${P}/%c0%ae`)), 400, 'strata/bad-request', overTls, '%c0%ae');
      const viaFetch = await fetch(`${http}${P}/%c0%ae`);
      assert.equal(viaFetch.headers.get('content-type')?.startsWith('application/problem+json'), true);
      await viaFetch.body?.cancel();
    });

    test(`${name}: a 200-character id is 414 problem+json (not Fastify's own body)`, async () => {
      const r = await rawRequest(base(), get(`${P}/${'a'.repeat(200)}`));
      assertProblem(r, 414, 'strata/uri-too-long', overTls, 'long id');
      assert.doesNotMatch(r.body, /FST_ERR/);
    });

    test(`${name}: a header block over server.maxHeaderSize is 431 problem+json`, async () => {
      assertProblem(await rawRequest(base(), get('/healthz', `x-big: ${'a'.repeat(20_000)}\r\n`)), 431, 'strata/headers-too-large', overTls, '20 KB header');
    });

    test(`${name}: a request the HTTP parser refuses is 400 problem+json`, async () => {
      assertProblem(await rawRequest(base(), 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n'), 400, 'strata/bad-request', overTls, 'malformed header line');
      assertProblem(await rawRequest(base(), 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx'), 400, 'strata/bad-request', overTls, 'two Content-Lengths');
    });

    test(`${name}: two Host headers are 400 (RFC 9112 §3.2), one is fine`, async () => {
      assertProblem(await rawRequest(base(), `GET ${P} HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n`), 400, 'strata/bad-request', overTls, 'two Host headers');
      assertProblem(await rawRequest(base(), `GET ${P} HTTP/1.1\r\nHost: localhost\r\nhOsT: localhost\r\n\r\n`), 400, 'strata/bad-request', overTls, 'two Host headers, same value');
      const ok = await rawRequest(base(), `GET ${P} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      assert.equal(ok.status, 200, ok.body);
    });
  }

  /** One request on a fresh HTTP/2 session (its first frame after the preface: before any SETTINGS ack), then a second one on it. */
  async function h2First(base: string, headers: Record<string, string>): Promise<{ first: RawRes; second: number; goaway?: number }> {
    const session = http2.connect(base, { rejectUnauthorized: false, maxSendHeaderBlockLength: 1 << 20 } as http2.SecureClientSessionOptions);
    let goaway: number | undefined;
    session.on('goaway', (code) => (goaway = code));
    session.on('error', () => undefined);
    const one = (h: Record<string, string>) =>
      new Promise<RawRes>((resolve, reject) => {
        const req = session.request(h);
        let status = 0;
        const out: Record<string, string> = {};
        let body = '';
        req.on('response', (hd) => {
          status = Number(hd[':status']);
          for (const [k, v] of Object.entries(hd)) if (!k.startsWith(':')) out[k] = String(v);
        });
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('end', () => resolve({ status, headers: out, body }));
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await one(headers);
      const second = (await one({ ':path': '/healthz' })).status;
      return { first, second, goaway };
    } finally {
      session.close();
    }
  }

  for (const [name, overTls] of [['HTTP/2 cleartext (h2c)', false], ['HTTP/2 over TLS', true]] as const) {
    const base = () => (overTls ? https : http);
    test(`${name}: server.maxHeaderSize holds from the first request of a connection: 431 problem+json, the connection stays usable`, async () => {
      const spread = (total: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-pad-${i}`, 'a'.repeat(Math.floor(total / n))]));
      const cases: [string, Record<string, string>][] = [
        ['one 20 KB header', { ':path': '/healthz', 'x-big': 'a'.repeat(20_000) }],
        ['64 KB in 16 headers', { ':path': '/healthz', ...spread(64_000, 16) }],
        ['132 KB in 33 headers', { ':path': '/healthz', ...spread(132_000, 33) }],
        ['a 49 KB URL with 10,000 parameters', { ':path': `/healthz?${Array.from({ length: 10_000 }, (_, i) => `p${i}=1`).join('&')}`.slice(0, 49_000) }],
      ];
      for (const [what, headers] of cases) {
        const r = await h2First(base(), headers).catch((e: Error) => { throw new Error(`${what}: ${e.message}`); });
        assertProblem(r.first, 431, 'strata/headers-too-large', overTls, `${name}: ${what}`);
        assert.equal(r.second, 200, `${what}: the next request on the connection is served`);
        assert.equal(r.goaway, undefined, `${what}: no GOAWAY`);
      }
      const fine = await h2First(base(), { ':path': '/healthz', 'x-small': 'a'.repeat(1000) });
      assert.equal(fine.first.status, 200);
    });
  }

  /**
   * A session that has acknowledged the server's SETTINGS, with a stream open beside the probe (an SSE
   * stream that never ends on its own): what the probe got, whether the open stream survived it, and
   * whether the session still serves a request.
   */
  async function h2Beside(base: string, probe: Record<string, string>): Promise<{ probe: RawRes | { reset: number } | { sessionError: string }; besideAlive: boolean; after?: number; goaway?: number }> {
    const session = http2.connect(base, { rejectUnauthorized: false, maxSendHeaderBlockLength: 1 << 24 } as http2.SecureClientSessionOptions);
    let goaway: number | undefined;
    session.on('goaway', (code) => (goaway = code));
    session.on('error', () => undefined);
    await new Promise((r) => session.once('remoteSettings', r));
    const beside = session.request({ ':path': '/api/realtime/sse?subscribe=posts' });
    let besideAlive = true;
    beside.on('close', () => (besideAlive = false));
    beside.on('error', () => (besideAlive = false));
    await new Promise((r) => beside.once('response', r));
    const one = (h: Record<string, string>) =>
      new Promise<RawRes | { reset: number } | { sessionError: string }>((resolve) => {
        const req = session.request(h);
        let status = 0;
        const out: Record<string, string> = {};
        let body = '';
        req.on('response', (hd) => {
          status = Number(hd[':status']);
          for (const [k, v] of Object.entries(hd)) if (!k.startsWith(':')) out[k] = String(v);
        });
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('end', () => resolve({ status, headers: out, body }));
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ERR_HTTP2_STREAM_ERROR' ? { reset: req.rstCode ?? -1 } : { sessionError: `${e.code} ${goaway ?? ''}` }));
        req.on('close', () => status === 0 && resolve({ reset: req.rstCode ?? -1 }));
        req.end();
      });
    try {
      const got = await one(probe);
      // Let a GOAWAY or reset reach the other stream before looking at it.
      await new Promise((r) => setTimeout(r, 100));
      const alive = besideAlive && !session.destroyed && !session.closed;
      const next = alive ? await one({ ':path': '/healthz' }) : undefined;
      return { probe: got, besideAlive: alive, after: next && 'status' in next ? next.status : undefined, goaway };
    } finally {
      beside.close();
      session.destroy();
    }
  }

  for (const [name, overTls] of [['HTTP/2 cleartext (h2c)', false], ['HTTP/2 over TLS', true]] as const) {
    const base = () => (overTls ? https : http);
    const many = (n: number, size: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-pad-${i}`, Array.from({ length: size }, (_, j) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[(i * 31 + j * 7 + j * j) % 62]).join('')]));
    test(`${name}: after the SETTINGS ack, heads over server.maxHeaderSize that nghttp2 can decode are 431 on their own stream; the other streams go on`, async () => {
      const cases: [string, Record<string, string>][] = [
        ['one 20 KB header', { ':path': '/healthz', ...many(1, 20_000) }],
        ['one 60 KB header', { ':path': '/healthz', ...many(1, 60_000) }],
        ['120 KB in 30 headers', { ':path': '/healthz', ...many(30, 4_000) }],
        ['1,500 small headers', { ':path': '/healthz', ...many(1_500, 8) }],
      ];
      for (const [what, headers] of cases) {
        const r = await h2Beside(base(), headers);
        assert.ok('status' in r.probe, `${what}: ${JSON.stringify(r.probe)}`);
        assertProblem(r.probe, 431, 'strata/headers-too-large', overTls, `${name}: ${what}`);
        assert.equal(r.besideAlive, true, `${what}: the stream beside it is not reset`);
        assert.equal(r.after, 200, `${what}: the session serves the next request`);
        assert.equal(r.goaway, undefined, `${what}: no GOAWAY`);
      }
    });

    test(`${name}: what nghttp2 refuses before any handler (documented in docs/edge.md)`, async () => {
      // More than 2,000 fields: this stream is reset, the session and its other streams go on.
      const pairs = await h2Beside(base(), { ':path': '/healthz', ...many(3_000, 1) });
      assert.deepEqual(pairs.probe, { reset: http2.constants.NGHTTP2_ENHANCE_YOUR_CALM }, '3,000 fields');
      assert.equal(pairs.besideAlive, true, '3,000 fields: the other stream goes on');
      assert.equal(pairs.after, 200, '3,000 fields: the session serves the next request');
      // 1,900 copies of one 200-byte field: a few KB encoded (HPACK indexes it), 390 KB decoded, past 256 KiB.
      const indexed = await h2Beside(base(), { ':path': '/healthz', 'x-rep': Array.from({ length: 1_900 }, () => 'r'.repeat(200)) as unknown as string });
      assert.deepEqual(indexed.probe, { reset: http2.constants.NGHTTP2_ENHANCE_YOUR_CALM }, 'an indexed list past 256 KiB');
      assert.equal(indexed.besideAlive, true, 'an indexed list past 256 KiB: the other stream goes on');
      assert.equal(indexed.after, 200, 'an indexed list past 256 KiB: the session serves the next request');
      // A header block of more than a HEADERS and 8 CONTINUATION frames, or one field past HPACK's 64 KiB:
      // nghttp2 ends the whole session with a GOAWAY (not settable from Node).
      for (const [what, headers, code] of [
        ['200 KB in 50 headers', many(50, 4_000), http2.constants.NGHTTP2_INTERNAL_ERROR],
        ['one 300 KB header', many(1, 300_000), http2.constants.NGHTTP2_COMPRESSION_ERROR],
      ] as const) {
        const r = await h2Beside(base(), { ':path': '/healthz', ...headers });
        assert.equal(r.goaway, code, `${what}: ${JSON.stringify(r.probe)}`);
        assert.equal(r.besideAlive, false, `${what}: the session is gone`);
      }
      // The server itself is fine: a new connection is served.
      const fresh = await h2Beside(base(), { ':path': '/healthz' });
      assert.ok('status' in fresh.probe && fresh.probe.status === 200);
    });
  }

  test('HTTP/1.1 refuses the same 49 KB URL (so HTTP/2 and HTTP/1.1 agree)', async () => {
    const url = `/healthz?${Array.from({ length: 10_000 }, (_, i) => `p${i}=1`).join('&')}`.slice(0, 49_000);
    assertProblem(await rawRequest(http, get(url)), 431, 'strata/headers-too-large', false, '49 KB URL over HTTP/1.1');
  });
});
