// The gateway's fast lane (src/gateway/fast-lane.ts, docs/gateway.md "Speed"): in-memory static
// answers written before Fastify are the answers the Fastify path gives (status, header fields,
// body), with the request id, security headers, access line and metrics; requests the WAF
// flags, CORS requests, second Host headers and bodies take the Fastify path. Each request is
// sent with the lane off and on, and the lane's own count shows which path answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';

interface Res { status: number; headers: IncomingHttpHeaders; body: Buffer }

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function rawStatus(port: number, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(text));
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1])));
    s.on('error', reject);
  });
}

/** Everything but the fields that differ per response. */
function comparable(r: Res): { status: number; headers: Record<string, unknown>; body: string } {
  const { date: _d, 'x-request-id': _id, 'keep-alive': _k, connection: _c, ...headers } = r.headers;
  return { status: r.status, headers, body: r.body.toString('base64') };
}

async function serve(t: import('node:test').TestContext, settings: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-gw-fast-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const www = join(dataDir, 'www');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(www);
  writeFileSync(join(www, '1k.bin'), Buffer.alloc(1024, 7));
  const css = 'body { color: red; }\n'.repeat(100);
  writeFileSync(join(www, 'site.css'), css);
  writeFileSync(join(www, 'site.css.gz'), gzipSync(css));
  writeFileSync(join(www, 'index.html'), '<p>home</p>');
  writeFileSync(join(dataDir, 'strata.yaml'), `gateway:\n  sites: [{ name: www, root: ${JSON.stringify(www)} }]\n  routes:\n    - { name: site, prefix: /, site: www }\n`);
  const { config } = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.enabled': false, ...settings } });
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const server = await createServer(config, log);
  await server.start();
  t.after(() => server.stop());
  const lane = server.edge.fastLane;
  let taken = 0;
  const counting = lane && ((req: Parameters<typeof lane>[0], res: Parameters<typeof lane>[1]) => lane(req, res) && ++taken > 0);
  server.edge.setFastLane(counting);
  const port = Number(new URL(server.edge.urls()[0].url).port);
  return {
    port,
    lines,
    taken: () => taken,
    laneSet: lane !== undefined,
    /** The request answered by the Fastify path (lane off), then by the lane's side (lane on). */
    async both(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ slow: Res; fast: Res; viaLane: boolean }> {
      server.edge.setFastLane(undefined);
      const slow = await get(port, path, headers, method);
      server.edge.setFastLane(counting);
      const before = taken;
      const fast = await get(port, path, headers, method);
      return { slow, fast, viaLane: taken > before };
    },
  };
}

test('fast lane: in-memory static answers equal the Fastify path (200, HEAD, 304, Range, precompressed), with request id and security headers', async (t) => {
  const s = await serve(t);
  assert.ok(s.laneSet, 'the lane is set for a gateway with a static route');
  const cases: Array<[string, Record<string, string>, string, number]> = [
    ['/1k.bin', {}, 'GET', 200],
    ['/1k.bin', {}, 'HEAD', 200],
    ['/1k.bin?v=3', {}, 'GET', 200],
    ['/1k.bin', { range: 'bytes=10-19' }, 'GET', 206],
    ['/1k.bin', { 'if-none-match': 'X' }, 'GET', 200],
    ['/site.css', { 'accept-encoding': 'gzip' }, 'GET', 200],
    ['/site.css', {}, 'GET', 200],
  ];
  for (const [path, headers, method, status] of cases) {
    const { slow, fast, viaLane } = await s.both(path, headers, method);
    assert.ok(viaLane, `${method} ${path} ${JSON.stringify(headers)} went through the lane`);
    assert.equal(fast.status, status);
    assert.deepEqual(comparable(fast), comparable(slow), `${method} ${path} ${JSON.stringify(headers)}`);
    assert.equal(fast.headers['x-content-type-options'], 'nosniff');
    assert.match(String(fast.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  }
  const gz = await s.both('/site.css', { 'accept-encoding': 'gzip' });
  assert.equal(gz.fast.headers['content-encoding'], 'gzip');
  const etag = String((await get(s.port, '/1k.bin')).headers.etag);
  const cond = await s.both('/1k.bin', { 'if-none-match': etag });
  assert.ok(cond.viaLane);
  assert.equal(cond.fast.status, 304);
  assert.deepEqual(comparable(cond.fast), comparable(cond.slow));
  const given = await get(s.port, '/1k.bin', { 'x-request-id': 'trace-42' });
  assert.equal(given.headers['x-request-id'], 'trace-42');
});

test('fast lane: access line and metrics for the requests it answers', async (t) => {
  const s = await serve(t);
  await get(s.port, '/1k.bin');
  const before = s.taken();
  const r = await get(s.port, '/1k.bin?secret=1', { 'x-request-id': 'lane-line-1' });
  assert.equal(r.status, 200);
  assert.equal(s.taken(), before + 1);
  const line = s.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.reqId === 'lane-line-1');
  assert.ok(line, 'an access line for the lane request');
  assert.equal(line.msg, 'request');
  assert.equal(line.path, '/1k.bin');
  assert.equal(line.status, 200);
  assert.equal(line.method, 'GET');
  assert.equal(line.ip, '127.0.0.1');
  const metrics = (await get(s.port, '/metrics')).body.toString();
  const count = Number(/strata_gateway_requests_total\{route="site",status="200"\} (\d+)/.exec(metrics)?.[1]);
  assert.ok(count >= 2, metrics.slice(0, 200));
  assert.match(metrics, /strata_http_requests_total\{(?=[^}]*method="GET")(?=[^}]*route="unmatched")(?=[^}]*status="200")[^}]*\}/);
});

test('fast lane: the WAF, a second Host header, bodies and unknown files take the Fastify path', async (t) => {
  const s = await serve(t);
  await get(s.port, '/1k.bin');
  const before = s.taken();
  const attack = await get(s.port, '/1k.bin?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
  assert.equal(attack.status, 403);
  assert.equal(JSON.parse(attack.body.toString()).type, 'strata/waf-blocked');
  const ua = await get(s.port, '/1k.bin', { 'user-agent': 'sqlmap/1.7' });
  assert.equal(ua.status, 403);
  assert.equal(await rawStatus(s.port, 'GET /1k.bin HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n'), 400);
  // A GET with a body: the WAF's Fastify path judges it (CRS refuses GET bodies).
  assert.equal(await rawStatus(s.port, 'GET /1k.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab'), 403);
  assert.equal((await get(s.port, '/missing.bin')).status, 404);
  assert.equal((await get(s.port, '/1k%2Ebin')).status, 200, 'a percent-encoded path is the site\'s, through Fastify');
  assert.equal((await get(s.port, '/1k.bin', {}, 'POST')).status, 405);
  assert.equal(s.taken(), before, 'none of these went through the lane');
});

test('fast lane: with CORS on, a request carrying Origin gets its CORS headers from the Fastify path', async (t) => {
  const s = await serve(t, { 'server.cors.origins': ['https://app.example'] });
  await get(s.port, '/1k.bin');
  const before = s.taken();
  const r = await get(s.port, '/1k.bin', { origin: 'https://app.example' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(s.taken(), before);
  await get(s.port, '/1k.bin');
  assert.equal(s.taken(), before + 1, 'without Origin the lane answers');
});

test('fast lane: off when the WAF rate-limits (every request goes through the limiter)', async (t) => {
  const s = await serve(t, { 'waf.rateLimit.rules': [{ name: 'all', limit: 1000, windowSeconds: 60 }] });
  await get(s.port, '/1k.bin');
  const r = await get(s.port, '/1k.bin');
  assert.equal(r.status, 200);
  assert.equal(s.taken(), 0);
});

test('fast lane: off with server.trustProxy (client addresses come from X-Forwarded-For)', async (t) => {
  const s = await serve(t, { 'server.trustProxy': true });
  assert.equal(s.laneSet, false);
  await get(s.port, '/1k.bin');
  assert.equal((await get(s.port, '/1k.bin')).status, 200);
  assert.equal(s.taken(), 0);
});
