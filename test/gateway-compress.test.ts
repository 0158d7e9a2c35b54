// Compression of proxied and cached responses: negotiated, thresholded, never re-encoding,
// honouring no-transform; the cache compresses a stored body once per coding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { request } from 'undici';
import { createProxy, createResponseCache, gatewayRoutes, UpstreamPool } from '../src/gateway/index.js';
import { startUpstream } from './gateway-helpers.js';

const text = 'compress me please '.repeat(200);

test('proxied and cached responses are compressed when it helps', async (t) => {
  const up = await startUpstream((req, res) => {
    const path = req.url ?? '/';
    if (path === '/small') return res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '4' }).end('tiny');
    if (path === '/png') return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(5000));
    if (path === '/gz') return res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipSync(text));
    if (path === '/nt') return res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-transform' }).end(text);
    if (path === '/cached') return res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'max-age=60', etag: '"e1"' }).end(text);
    res.writeHead(200, { 'content-type': 'application/json', etag: '"x"' });
    res.write(text.slice(0, 100));
    res.end(text.slice(100));
  });
  const pool = new UpstreamPool({ name: 'z', upstreams: [{ url: up.url }] });
  const proxy = createProxy({ pool, compress: true });
  const app = Fastify();
  app.register(gatewayRoutes({ routes: [{ match: { prefix: '/cached' }, target: { type: 'proxy', proxy, cache: createResponseCache() } }, { match: {}, target: { type: 'proxy', proxy } }] }));
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    await app.close();
    await pool.stop();
    await up.close();
  });
  const get = async (path: string, ae = 'br, gzip') => {
    const r = await request(`${base}${path}`, { headers: { 'accept-encoding': ae } });
    return { h: r.headers, body: Buffer.from(await r.body.arrayBuffer()) };
  };
  const br = await get('/stream');
  assert.equal(br.h['content-encoding'], 'br');
  assert.equal(br.h.vary, 'Accept-Encoding');
  assert.equal(br.h.etag, 'W/"x"');
  assert.equal(br.h['content-length'], undefined);
  assert.equal(brotliDecompressSync(br.body).toString(), text);
  const gz = await get('/stream', 'gzip');
  assert.equal(gunzipSync(gz.body).toString(), text);
  assert.equal((await get('/stream', 'identity')).h['content-encoding'], undefined);
  assert.equal((await get('/small')).h['content-encoding'], undefined, 'below the threshold');
  assert.equal((await get('/png')).h['content-encoding'], undefined, 'not compressible');
  const pre = await get('/gz');
  assert.equal(pre.h['content-encoding'], 'gzip', 'already encoded: untouched');
  assert.equal(gunzipSync(pre.body).toString(), text);
  assert.equal((await get('/nt')).h['content-encoding'], undefined, 'no-transform');
  const c1 = await get('/cached');
  assert.equal(c1.h['x-cache'], 'MISS');
  assert.equal(c1.h['content-encoding'], 'br');
  assert.equal(brotliDecompressSync(c1.body).toString(), text);
  const c2 = await get('/cached', 'gzip');
  assert.equal(c2.h['x-cache'], 'HIT');
  assert.equal(c2.h['content-encoding'], 'gzip');
  assert.equal(Number(c2.h['content-length']), c2.body.length);
  assert.equal(gunzipSync(c2.body).toString(), text);
  const c3 = await get('/cached', 'identity');
  assert.equal(c3.body.toString(), text, 'the stored body stays identity');
  assert.equal(up.hits >= 1, true);
});
