// Strata as a user runs it: a child process on free ports and a temp data dir,
// talked to with node's own HTTP/1.1 and HTTP/2 clients.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStrata, type StrataProcess, ROOT } from './helpers/strata-process.js';

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function h1(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function h2(base: string, ca: Buffer, path: string, headers: Record<string, string> = {}): Promise<Res & { alpn?: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(base.replace('127.0.0.1', 'localhost'), { ca });
    session.on('error', reject);
    const req = session.request({ ':path': path, ...headers });
    let body = '';
    let h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader = {};
    req.setEncoding('utf8');
    req.on('response', (x) => (h = x));
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const alpn = (session.socket as unknown as { alpnProtocol?: string }).alpnProtocol;
      session.close();
      resolve({ status: Number(h[':status']), headers: h as http.IncomingHttpHeaders, body, alpn });
    });
    req.on('error', reject);
    req.end();
  });
}

let s: StrataProcess;
before(async () => {
  s = await startStrata({ env: { STRATA_SERVER_BODY_LIMIT: '1024' }, script: join(ROOT, 'test/fixtures/serve-slow-route.ts') });
});
after(async () => {
  assert.equal(await s.stop(), 0);
});

test('banner names the HTTP and HTTPS URLs, health and metrics, and the dev CA', () => {
  assert.match(s.output(), /listening on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(s.output(), /listening on https:\/\/127\.0\.0\.1:\d+ {2}\(HTTP\/2 and HTTP\/1\.1 over TLS\)/);
  assert.match(s.output(), /health: +http:\/\/127\.0\.0\.1:\d+\/healthz/);
  assert.match(s.output(), /metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/);
  assert.ok(s.ca && readFileSync(s.ca, 'utf8').includes('BEGIN CERTIFICATE'));
});

test('HTTP/1.1: health, security headers, no HSTS on plain HTTP', async () => {
  const r = await h1(`${s.http}/healthz`);
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['x-frame-options'], 'DENY');
  assert.equal(r.headers['referrer-policy'], 'strict-origin-when-cross-origin');
  assert.equal(r.headers['content-security-policy'], "frame-ancestors 'none'");
  assert.equal(r.headers['strict-transport-security'], undefined);
});

test('HTTP/2 over TLS with the generated CA: ALPN h2, HSTS', async () => {
  const r = await h2(s.https!, readFileSync(s.ca!), '/healthz');
  assert.equal(r.alpn, 'h2');
  assert.equal(r.status, 200);
  assert.equal(r.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
});

test('HTTPS falls back to HTTP/1.1 for clients without h2', async () => {
  const https = await import('node:https');
  const r = await new Promise<Res>((resolve, reject) => {
    https
      .get(`${s.https!.replace('127.0.0.1', 'localhost')}/healthz`, { ca: readFileSync(s.ca!), ALPNProtocols: ['http/1.1'], agent: false } as import('node:https').RequestOptions & { ALPNProtocols: string[] }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject);
  });
  assert.equal(r.status, 200);
  assert.match(String(r.headers['strict-transport-security']), /max-age=/);
});

test('request id: a valid incoming X-Request-Id is echoed, a bad one replaced', async () => {
  const good = await h1(`${s.http}/healthz`, { headers: { 'x-request-id': 'abc-123_trace.1' } });
  assert.equal(good.headers['x-request-id'], 'abc-123_trace.1');
  const bad = await h1(`${s.http}/healthz`, { headers: { 'x-request-id': 'bad id\u0001'.replace('\u0001', '') + '<script>' } });
  assert.match(String(bad.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const none = await h1(`${s.http}/healthz`);
  assert.match(String(none.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const h2r = await h2(s.https!, readFileSync(s.ca!), '/healthz', { 'x-request-id': 'from-h2' });
  assert.equal(h2r.headers['x-request-id'], 'from-h2');
  // The access log line carries it, without query strings.
  await h1(`${s.http}/healthz?token=SECRET123`, { headers: { 'x-request-id': 'logged-id-1' } });
  await new Promise((r) => setTimeout(r, 300));
  const line = s.output().split('\n').find((l) => l.includes('logged-id-1'));
  assert.ok(line, 'access log line present');
  const entry = JSON.parse(line!);
  assert.equal(entry.method, 'GET');
  assert.equal(entry.path, '/healthz');
  assert.equal(entry.status, 200);
  assert.equal(typeof entry.ms, 'number');
  assert.ok(!s.output().includes('SECRET123'), 'query strings are not logged');
});

const problems: Array<[string, { method?: string; path: string; headers?: Record<string, string>; body?: string }, number, string]> = [
  ['unknown path', { path: '/no/such/thing' }, 404, 'strata/not-found'],
  ['wrong method on a known path', { method: 'DELETE', path: '/healthz' }, 405, 'strata/method-not-allowed'],
  ['body over the limit', { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(4096) }) }, 413, 'strata/payload-too-large'],
  ['unsupported content type', { method: 'POST', path: '/echo', headers: { 'content-type': 'application/octet-stream' }, body: 'abc' }, 415, 'strata/unsupported-media-type'],
  // A media type outside waf.limits.allowedContentTypes: a route refuses it itself (415, after the WAF inspected the body);
  // where no route answers, the WAF's allow-list does.
  ['content type the WAF does not allow, on a route', { method: 'POST', path: '/echo', headers: { 'content-type': 'application/x-nope' }, body: 'abc' }, 415, 'strata/unsupported-media-type'],
  ['content type the WAF does not allow, no route', { method: 'POST', path: '/no/such/thing', headers: { 'content-type': 'application/x-nope' }, body: 'abc' }, 403, 'strata/waf-blocked'],
  ['malformed JSON', { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"a":' }, 400, 'strata/bad-request'],
  ['an unexpected error', { path: '/boom' }, 500, 'strata/internal'],
];
for (const [name, req, status, type] of problems) {
  test(`problem+json: ${name} → ${status}`, async () => {
    const r = await h1(`${s.http}${req.path}`, { method: req.method, headers: req.headers, body: req.body });
    assert.equal(r.status, status);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
    const p = JSON.parse(r.body);
    assert.equal(p.type, type);
    assert.equal(p.status, status);
    assert.equal(typeof p.title, 'string');
    assert.ok(!/\/etc\/passwd|at .*\.ts:\d+|node_modules/.test(r.body), 'no internals leak');
    if (status === 405) assert.equal(r.headers.allow, 'GET, HEAD');
    if (status === 500) assert.match(p.detail, new RegExp(p.eventId));
  });
}

test('/readyz reports ready with its components', async () => {
  const r = await h1(`${s.http}/readyz`);
  assert.equal(r.status, 200);
  const body = JSON.parse(r.body);
  assert.equal(body.status, 'ready');
  assert.equal(body.components.edge, 'ready');
});

test('/metrics is valid Prometheus text with request counts by route', async () => {
  await h1(`${s.http}/healthz`);
  const r = await h1(`${s.http}/metrics`);
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?\d+)?|NaN|[+-]Inf)( -?\d+)?$/;
  for (const line of r.body.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    assert.match(line, sample);
  }
  assert.match(r.body, /strata_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  assert.match(r.body, /strata_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/healthz",status="200"\} \d+/);
  assert.match(r.body, /strata_nodejs_eventloop_lag_seconds /);
  assert.match(r.body, /strata_process_resident_memory_bytes /);
});

test('a slowloris client sending headers byte by byte is cut off (HTTP and HTTP/1.1 over TLS)', async () => {
  const t = await startStrata({ env: { STRATA_SERVER_HEADERS_TIMEOUT: '1500' } });
  try {
    const tls = await import('node:tls');
    for (const base of [t.http!, t.https!]) {
      const url = new URL(base);
      const sock =
        url.protocol === 'http:'
          ? net.connect(Number(url.port), url.hostname)
          : tls.connect({ host: url.hostname, port: Number(url.port), servername: 'localhost', ca: readFileSync(t.ca!), ALPNProtocols: ['http/1.1'] });
      await new Promise((r) => sock.once(url.protocol === 'http:' ? 'connect' : 'secureConnect', r));
      let closed = false;
      let reply = '';
      sock.on('data', (d) => (reply += d));
      sock.on('close', () => (closed = true));
      sock.on('error', () => undefined);
      const payload = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(60);
      let sent = 0;
      while (!closed && sent < payload.length) {
        sock.write(payload[sent++]);
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(closed, `${base}: connection was not closed after ${sent} bytes`);
      assert.ok(sent < payload.length, `${base}: cut off before the headers could complete`);
      assert.match(reply, /^HTTP\/1\.1 408/, base);
    }
  } finally {
    assert.equal(await t.stop(), 0);
  }
});

test('as `npm start` runs it, the TypeScript sources through tsx (the other tests run them precompiled): starts and serves', async () => {
  // bin/strata.mjs takes tsx's path when STRATA_PRECOMPILED names no mirror of this checkout
  const s = await startStrata({ args: ['serve', '--port', '0', '--no-https'], env: { STRATA_PRECOMPILED: '' } });
  try {
    const health = await fetch(`${s.http}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${s.http}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const list = await fetch(`${s.http}/api/collections/users/records`);
    assert.equal(list.status, 200);
    assert.deepEqual((await list.json() as { items: unknown[] }).items, [], 'the records API answers (the owner-only rule shows an anonymous caller nothing)');
  } finally {
    await s.stop();
  }
});
