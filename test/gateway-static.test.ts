// Static sites: validators, ranges, codings, index/SPA, cache rules and traversal defence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync, brotliCompressSync, gzipSync } from 'node:zlib';
import { request } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { staticRoutes } from '../src/gateway/index.js';

const run = promisify(execFile);
let dir: string;
let outside: string;
let app: FastifyInstance;
let base: string;
const big = 'hello static world\n'.repeat(400); // ~7.6 KiB, compressible
const large = Buffer.alloc(600 * 1024, 7); // above the in-memory limit below

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-static-'));
  outside = mkdtempSync(join(tmpdir(), 'strata-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET');
  writeFileSync(join(dir, 'index.html'), '<h1>home</h1>');
  writeFileSync(join(dir, 'app.3f9a8b7c1d.js'), 'console.log(1)');
  writeFileSync(join(dir, 'big.txt'), big);
  writeFileSync(join(dir, 'style.css'), 'body{}'.repeat(300));
  writeFileSync(join(dir, 'style.css.br'), brotliCompressSync(Buffer.from('PRE-BR')));
  writeFileSync(join(dir, 'style.css.gz'), gzipSync(Buffer.from('PRE-GZ')));
  writeFileSync(join(dir, 'digits.txt'), '0123456789');
  writeFileSync(join(dir, 'large.bin'), large);
  writeFileSync(join(dir, '.env'), 'PASSWORD=x');
  mkdirSync(join(dir, '.well-known'));
  writeFileSync(join(dir, '.well-known', 'security.txt'), 'contact: me');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'index.html'), 'sub index');
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'data.json'), '{"a":1}');
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'leak.txt'));
  symlinkSync(outside, join(dir, 'leakdir'));
  symlinkSync(join(dir, 'digits.txt'), join(dir, 'alias.txt'));
  const old = new Date('2024-01-01T00:00:00Z');
  utimesSync(join(dir, 'digits.txt'), old, old);
  app = Fastify();
  app.register(staticRoutes({ root: dir, spaFallback: 'index.html', maxCachedFileBytes: 256 * 1024 }));
  app.register(staticRoutes({ root: dir, prefix: '/nocache', statTtlMs: 0, maxCachedFileBytes: 0, spaFallback: false }));
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** A request whose path goes out byte for byte (inject and fetch normalise dot segments). */
function rawGet(path: string): Promise<{ statusCode: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const get = (url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET') =>
  app.inject({ method, url, headers });

test('serves files with type, length, validators and 304s', async () => {
  const r = await get('/digits.txt');
  assert.equal(r.statusCode, 200);
  assert.equal(r.body, '0123456789');
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(r.headers['content-length'], '10');
  assert.equal(r.headers['last-modified'], 'Mon, 01 Jan 2024 00:00:00 GMT');
  const etag = String(r.headers.etag);
  assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.equal((await get('/digits.txt', { 'if-none-match': etag })).statusCode, 304);
  assert.equal((await get('/digits.txt', { 'if-none-match': `"nope", W/${etag}` })).statusCode, 304);
  assert.equal((await get('/digits.txt', { 'if-none-match': '"other"' })).statusCode, 200);
  assert.equal((await get('/digits.txt', { 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' })).statusCode, 304);
  assert.equal((await get('/digits.txt', { 'if-modified-since': 'Sun, 31 Dec 2023 00:00:00 GMT' })).statusCode, 200);
  assert.equal((await get('/digits.txt', { 'if-match': '"other"' })).statusCode, 412);
  const h = await get('/digits.txt', {}, 'HEAD');
  assert.equal(h.statusCode, 200);
  assert.equal(h.headers['content-length'], '10');
  assert.equal(h.body, '');
  assert.equal((await get('/digits.txt', {}, 'POST')).statusCode, 404, 'the plugin mounts GET and HEAD only');
  assert.equal((await get('/data.json')).headers['content-type'], 'application/json; charset=utf-8');
});

test('ranges: single, suffix, multi, If-Range, 416, on cached and streamed files', async () => {
  for (const prefix of ['', '/nocache']) {
    const one = await get(`${prefix}/digits.txt`, { range: 'bytes=2-4' });
    assert.equal(one.statusCode, 206);
    assert.equal(one.body, '234');
    assert.equal(one.headers['content-range'], 'bytes 2-4/10');
    assert.equal((await get(`${prefix}/digits.txt`, { range: 'bytes=-3' })).body, '789');
    const bad = await get(`${prefix}/digits.txt`, { range: 'bytes=50-60' });
    assert.equal(bad.statusCode, 416);
    assert.equal(bad.headers['content-range'], 'bytes */10');
    assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
    const multi = await get(`${prefix}/digits.txt`, { range: 'bytes=0-1,5-6' });
    assert.equal(multi.statusCode, 206);
    const m = /^multipart\/byteranges; boundary=(\w+)$/.exec(String(multi.headers['content-type']));
    assert.ok(m);
    assert.equal(Number(multi.headers['content-length']), Buffer.byteLength(multi.body));
    assert.match(multi.body, /Content-Range: bytes 0-1\/10\r\n\r\n01\r\n/);
    assert.match(multi.body, /Content-Range: bytes 5-6\/10\r\n\r\n56\r\n--\w+--\r\n$/);
    const etag = String(one.headers.etag);
    assert.equal((await get(`${prefix}/digits.txt`, { range: 'bytes=0-0', 'if-range': etag })).statusCode, 206);
    const stale = await get(`${prefix}/digits.txt`, { range: 'bytes=0-0', 'if-range': '"old"' });
    assert.equal(stale.statusCode, 200);
    assert.equal(stale.body, '0123456789');
    assert.equal((await get(`${prefix}/digits.txt`, { range: 'garbage' })).statusCode, 200);
  }
  const tail = await get('/large.bin', { range: 'bytes=614300-' });
  assert.equal(tail.statusCode, 206);
  assert.equal(tail.rawPayload.length, 600 * 1024 - 614300);
});

test('precompressed variants and on-the-fly compression by Accept-Encoding', async () => {
  const br = await get('/style.css', { 'accept-encoding': 'gzip, br' });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(brotliDecompressSync(br.rawPayload).toString(), 'PRE-BR');
  assert.equal(br.headers.vary, 'Accept-Encoding');
  const gz = await get('/style.css', { 'accept-encoding': 'gzip, br;q=0' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.rawPayload).toString(), 'PRE-GZ');
  assert.notEqual(gz.headers.etag, br.headers.etag);
  const plain = await get('/style.css');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body, 'body{}'.repeat(300));

  for (const prefix of ['', '/nocache']) {
    const fly = await get(`${prefix}/big.txt`, { 'accept-encoding': 'br' });
    assert.equal(fly.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(fly.rawPayload).toString(), big);
    const again = await get(`${prefix}/big.txt`, { 'accept-encoding': 'gzip', 'if-none-match': String(fly.headers.etag) });
    assert.equal(again.statusCode, 200, 'a br ETag does not validate the gzip representation');
    assert.equal(gunzipSync(again.rawPayload).toString(), big);
    const nm = await get(`${prefix}/big.txt`, { 'accept-encoding': 'gzip', 'if-none-match': String(again.headers.etag) });
    assert.equal(nm.statusCode, 304);
  }
  assert.equal((await get('/digits.txt', { 'accept-encoding': 'br' })).headers['content-encoding'], undefined, 'below threshold');
  assert.equal((await get('/large.bin', { 'accept-encoding': 'br' })).headers['content-encoding'], undefined, 'not compressible');
  assert.equal((await get('/big.txt', { 'accept-encoding': 'br', range: 'bytes=0-4' })).body, 'hello', 'ranges use identity');
});

test('directory index, redirect, SPA fallback and Cache-Control rules', async () => {
  const root = await get('/');
  assert.equal(root.body, '<h1>home</h1>');
  assert.equal(root.headers['cache-control'], 'no-cache');
  const redirect = await get('/sub?x=1');
  assert.equal(redirect.statusCode, 301);
  assert.equal(redirect.headers.location, '/sub/?x=1');
  assert.equal((await get('/sub/')).body, 'sub index');
  const spa = await get('/app/settings/profile');
  assert.equal(spa.statusCode, 200);
  assert.equal(spa.body, '<h1>home</h1>');
  assert.equal((await get('/missing.png')).statusCode, 404);
  assert.equal((await get('/nocache/app/settings')).statusCode, 404);
  assert.equal((await get('/nocache/empty/')).statusCode, 404);
  assert.equal((await get('/app.3f9a8b7c1d.js')).headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal((await get('/digits.txt')).headers['cache-control'], 'public, max-age=0');
});

test('traversal, dotfiles and symlinks out of the root are refused', async () => {
  const attempts = [
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/%252e%252e/%252e%252e/etc/passwd',
    '/..%2f..%2fetc/passwd',
    '/..%5c..%5cetc/passwd',
    '/sub/..\\..\\etc\\passwd',
    '/digits.txt%00.png',
    '/%c0%ae%c0%ae/etc/passwd',
    '/.env',
    '/sub/../.env',
    '/%2eenv',
    '/leak.txt',
    '/leakdir/secret.txt',
  ];
  for (const url of attempts) {
    const r = await rawGet(url);
    assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${url} -> ${r.statusCode}`);
    assert.doesNotMatch(r.body, /root:|TOP SECRET|PASSWORD/, url);
  }
  assert.equal((await get('/.well-known/security.txt')).body, 'contact: me');
  assert.equal((await get('/alias.txt')).body, '0123456789', 'symlinks inside the root are served');
  // curl with --path-as-is sends the dot segments unnormalised over a real socket.
  const out = (await run('curl', ['-s', '--path-as-is', '-o', '/dev/null', '-w', '%{http_code}', `${base}/../../etc/passwd`])).stdout;
  assert.equal(out, '400');
});

test('curl: compressed download and ranges over a real socket', async () => {
  const body = (await run('curl', ['-s', '--compressed', `${base}/big.txt`])).stdout;
  assert.equal(body, big);
  const headers = (await run('curl', ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Range: bytes=0-3', `${base}/digits.txt`])).stdout;
  assert.match(headers, /^HTTP\/1.1 206/);
  assert.match(headers, /content-range: bytes 0-3\/10/i);
});
