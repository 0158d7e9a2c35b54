// WebSockets over HTTP/2 (RFC 8441 extended CONNECT) through the gateway to `ws` upstreams:
// a real node:http2 client exchanging frames, over h2c and through the edge's HTTPS listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { createProxy, gatewayRoutes, UpstreamPool } from '../src/gateway/index.js';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { startUpstream, type TestUpstream } from './gateway-helpers.js';

/** One client frame (RFC 6455 §5.2): FIN set, masked as clients must. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([head, mask, body]);
}

/** Reads unmasked server frames from the stream as { opcode, payload }. */
function frames(stream: ClientHttp2Stream): () => Promise<{ opcode: number; payload: Buffer }> {
  let buf = Buffer.alloc(0);
  const waiting: Array<() => void> = [];
  stream.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    waiting.splice(0).forEach((w) => w());
  });
  const parse = () => {
    if (buf.length < 2) return undefined;
    let len = buf[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (buf.length < 4) return undefined;
      len = buf.readUInt16BE(2);
      off = 4;
    }
    if (buf.length < off + len) return undefined;
    const f = { opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) };
    buf = buf.subarray(off + len);
    return f;
  };
  return async function next() {
    for (;;) {
      const f = parse();
      if (f) return f;
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        stream.once('end', () => reject(new Error('stream ended')));
      });
    }
  };
}

function settingsOf(session: ClientHttp2Session): Promise<http2.Settings> {
  return new Promise((resolve) => session.once('remoteSettings', resolve));
}

function open(session: ClientHttp2Session, path: string, authority: string, extra: Record<string, string> = {}): Promise<{ stream: ClientHttp2Stream; headers: IncomingHttpHeaders }> {
  const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path, ':authority': authority, 'sec-websocket-version': '13', ...extra });
  return new Promise((resolve, reject) => {
    stream.once('response', (headers) => resolve({ stream, headers }));
    stream.once('error', reject);
  });
}

async function body(stream: ClientHttp2Stream): Promise<string> {
  let s = '';
  for await (const c of stream) s += String(c);
  return s;
}

function echoServer(up: TestUpstream): { wss: WebSocketServer; seen: Array<Record<string, string | string[] | undefined>> } {
  const seen: Array<Record<string, string | string[] | undefined>> = [];
  const wss = new WebSocketServer({ server: up.server, handleProtocols: (p) => (p.has('chat') ? 'chat' : false) });
  wss.on('connection', (ws, req) => {
    seen.push(req.headers);
    ws.send(`hello ${req.url} ${req.headers['x-forwarded-for']}`);
    ws.on('message', (m, binary) => ws.send(binary ? m : `echo:${m}`, { binary }));
  });
  return { wss, seen };
}

/** Talks one WebSocket session over an open extended CONNECT stream. */
async function converse(stream: ClientHttp2Stream): Promise<string[]> {
  const next = frames(stream);
  const got: string[] = [];
  got.push(String((await next()).payload));
  stream.write(frame(0x1, Buffer.from('ping')));
  got.push(String((await next()).payload));
  const big = randomBytes(300);
  stream.write(frame(0x2, big));
  const back = await next();
  got.push(back.opcode === 0x2 && back.payload.equals(big) ? 'binary 300 ok' : `binary mismatch ${back.opcode}`);
  stream.write(frame(0x8, Buffer.from([0x03, 0xe8]))); // close 1000
  const close = await next();
  got.push(`close ${close.opcode} ${close.payload.readUInt16BE(0)}`);
  await new Promise<void>((resolve) => (stream.readableEnded ? resolve() : stream.once('close', () => resolve()).resume()));
  return got;
}

test('RFC 8441: extended CONNECT over h2c is proxied to a ws upstream, frames both ways', async (t) => {
  const up = await startUpstream((req, res) => res.end('http'));
  const { wss, seen } = echoServer(up);
  const pool = new UpstreamPool({ name: 'p', upstreams: [{ url: up.url }] });
  const down = new UpstreamPool({ name: 'down', upstreams: [{ url: 'http://127.0.0.1:1' }], maxFails: 0 });
  const app = Fastify({ http2: true });
  await app.register(
    gatewayRoutes({
      routes: [
        { match: { prefix: '/app' }, target: { type: 'proxy', proxy: createProxy({ pool }) } },
        { match: { prefix: '/nows' }, target: { type: 'proxy', proxy: createProxy({ pool }), websocket: false } },
        { match: { prefix: '/down' }, target: { type: 'proxy', proxy: createProxy({ pool: down }) } },
      ],
    }),
  );
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const session = http2.connect(base);
  t.after(async () => {
    session.close();
    wss.close();
    await app.close();
    await Promise.all([pool.stop(), down.stop(), up.close()]);
  });
  const settings = await settingsOf(session);
  assert.equal(settings.enableConnectProtocol, true, 'the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL');
  const authority = new URL(base).host;

  const { stream, headers } = await open(session, '/app/socket?x=1', authority, { 'sec-websocket-protocol': 'chat' });
  assert.equal(headers[':status'], 200);
  assert.equal(headers['sec-websocket-protocol'], 'chat');
  assert.equal(headers['sec-websocket-accept'], undefined, 'HTTP/1.1 handshake headers stay upstream');
  assert.deepEqual(await converse(stream), ['hello /app/socket?x=1 127.0.0.1', 'echo:ping', 'binary 300 ok', 'close 8 1000']);
  assert.equal(seen[0].host, authority);
  assert.equal(seen[0]['sec-websocket-protocol'], 'chat');

  // Refusals are problem+json on the stream.
  const nows = await open(session, '/nows/socket', authority);
  assert.equal(nows.headers[':status'], 404);
  assert.equal(JSON.parse(await body(nows.stream)).type, 'strata/not-found');
  const bad = await open(session, '/down/socket', authority);
  assert.equal(bad.headers[':status'], 502);
  assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(JSON.parse(await body(bad.stream)).type, 'strata/bad-gateway');
  const v8 = await open(session, '/app/socket', authority, { 'sec-websocket-version': '8' });
  assert.equal(v8.headers[':status'], 426);
  assert.equal(v8.headers['sec-websocket-version'], '13');
  await body(v8.stream);
  // Not a gateway route: what Node answers by itself (405).
  const elsewhere = await open(session, '/elsewhere', authority);
  assert.equal(elsewhere.headers[':status'], 405);
  await body(elsewhere.stream);
  // Ordinary requests on the same session still work.
  const plain = session.request({ ':path': '/app/plain' });
  const plainHeaders = await new Promise<IncomingHttpHeaders>((r) => plain.once('response', r));
  assert.equal(plainHeaders[':status'], 200);
  assert.equal(await body(plain), 'http');
});

test('RFC 8441 through the edge: HTTPS + HTTP/2 listener from strata.yaml, wss-style session over h2', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-gw-h2ws-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const up = await startUpstream((req, res) => res.end('http'));
  const { wss } = echoServer(up);
  t.after(async () => {
    wss.close();
    await up.close();
  });
  writeFileSync(
    join(dataDir, 'strata.yaml'),
    `gateway:
  pools: [{ name: up, upstreams: [{ url: "${up.url}" }] }]
  routes:
    - { prefix: /ws, pool: up }
`,
  );
  const loaded = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.enabled': false, 'server.https.port': 0, 'server.https.host': '127.0.0.1' } }).config;
  const server = await createServer(loaded, pino({ level: 'silent' }));
  await server.start();
  t.after(() => server.stop());
  const base = server.edge.urls()[0].url;
  assert.match(base, /^https:/);
  const session = http2.connect(base, { ca: readFileSync(server.edge.tls!.ca!) });
  t.after(() => session.close());
  const settings = await settingsOf(session);
  assert.equal(settings.enableConnectProtocol, true);
  const { stream, headers } = await open(session, '/ws/live', new URL(base).host);
  assert.equal(headers[':status'], 200);
  assert.deepEqual(await converse(stream), ['hello /ws/live 127.0.0.1', 'echo:ping', 'binary 300 ok', 'close 8 1000']);

  // Browsers that saw the setting use it for every WebSocket to the origin: Strata's own realtime
  // endpoint answers over the same HTTP/2 session through the bridge to its upgrade listener.
  const rt = await open(session, '/api/realtime', new URL(base).host);
  assert.equal(rt.headers[':status'], 200);
  assert.equal(rt.headers['sec-websocket-accept'], undefined);
  const next = frames(rt.stream);
  const welcome = JSON.parse(String((await next()).payload)) as { type: string; transport: string };
  assert.equal(welcome.type, 'welcome');
  assert.equal(welcome.transport, 'websocket');
  rt.stream.write(frame(0x8, Buffer.from([0x03, 0xe8])));
  const closed = await next();
  assert.equal(closed.opcode, 0x8);
  // A refused handshake keeps its status and problem body (the HTTP/1.1 answer turned into HTTP/2).
  const refused = await open(session, '/api/realtime', new URL(base).host, { authorization: 'Bearer not-a-token' });
  if (Number(refused.headers[':status']) === 200) refused.stream.close();
  assert.equal(refused.headers[':status'], 401);
  assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
  assert.equal((JSON.parse(await body(refused.stream)) as { status: number }).status, 401);
  // Plain CONNECT (a tunnel request) is still refused as Node does.
  const tunnel = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
  const tunnelHeaders = await new Promise<IncomingHttpHeaders>((r) => tunnel.once('response', r));
  assert.equal(tunnelHeaders[':status'], 405);
  await body(tunnel);
});
