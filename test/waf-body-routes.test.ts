// Every request body reaches the WAF, whatever answers it: a reverse-proxied gateway route
// (buffered, inspected, then forwarded byte for byte), a static site, a path no route
// serves, HTTP/2 without Content-Length and HTTP/1.1 chunked; bodies past the depth limit;
// a full batch of creates; and the order against 404/405/413/415. A real Strata server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { Readable } from 'node:stream';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';
import { startUpstream, type TestUpstream } from './gateway-helpers.js';

const UA = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', accept: 'application/json' };
const SQLI = "1' union select password from users--";
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** An upstream that answers `{ len, sha }` of the body it received. */
async function echoUpstream(): Promise<TestUpstream> {
  return startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const b = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ len: b.length, sha: sha(b), te: req.headers['transfer-encoding'] ?? null }));
    });
  });
}

interface Started { server: StrataServer; base: string; port: number; dir: string }

async function start(t: { after: (fn: () => Promise<void> | void) => void }, yaml: string, overrides: Record<string, unknown> = {}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-waf-body-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'index.html'), 'home');
  writeFileSync(join(dir, 'strata.yaml'), yaml.replaceAll('$WWW', JSON.stringify(join(dir, 'www'))));
  const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.https.enabled': false, 'server.http.h2c': true, 'waf.mode': 'block', ...overrides } }).config;
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const base = server.edge.urls()[0].url;
  return { server, base, port: Number(new URL(base).port), dir };
}

async function send(base: string, method: string, path: string, body?: string | Buffer, type?: string, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...UA, ...extra };
  if (type) headers['content-type'] = type;
  const res = await request(base + path, { method: method as 'POST', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: (() => { try { return JSON.parse(text) as Record<string, unknown>; } catch { return undefined; } })() };
}

const mp = (name: string, content: string, filename?: string) => ({
  type: 'multipart/form-data; boundary=BOUND',
  body: `--BOUND\r\nContent-Disposition: form-data; name="${name}"${filename !== undefined ? `; filename="${filename}"` : ''}\r\n\r\n${content}\r\n--BOUND--\r\n`,
});
/** An attack in each body type the WAF reads, and a benign body of the same type. */
const BODIES: Array<{ kind: string; attack: { body: string; type: string }; benign: { body: string; type: string } }> = [
  { kind: 'json', attack: { body: JSON.stringify({ a: SQLI }), type: 'application/json' }, benign: { body: JSON.stringify({ a: "O'Brien's note" }), type: 'application/json' } },
  { kind: 'urlencoded', attack: { body: `a=${encodeURIComponent(SQLI)}`, type: 'application/x-www-form-urlencoded' }, benign: { body: 'a=Tom+%26+Jerry', type: 'application/x-www-form-urlencoded' } },
  { kind: 'multipart', attack: mp('a', SQLI), benign: mp('file', '<script>file contents are not inspected</script>', 'photo.jpg') },
  { kind: 'xml', attack: { body: `<r><a>${SQLI}</a></r>`, type: 'application/xml' }, benign: { body: "<r><a>O'Brien &amp; sons</a></r>", type: 'application/xml' } },
];

test('reverse-proxied route: attack bodies of every type are refused before the upstream; others arrive byte for byte', async (t) => {
  const up = await echoUpstream();
  t.after(() => up.close());
  const s = await start(t, `gateway:\n  pools: [{ name: app, upstreams: [{ url: "${up.url}" }] }]\n  routes: [{ prefix: /, pool: app }]\n`);
  // the reported bypass: the same string in the query was refused, in the body it reached the upstream
  assert.equal((await send(s.base, 'GET', `/x?a=${encodeURIComponent(SQLI)}`)).status, 403);
  for (const b of BODIES) {
    const hits = up.hits;
    const r = await send(s.base, 'POST', '/anything', b.attack.body, b.attack.type);
    assert.equal(r.status, 403, `${b.kind} attack: ${r.text}`);
    assert.equal(r.json?.type, 'strata/waf-blocked');
    assert.equal(up.hits, hits, `${b.kind} attack never reaches the upstream`);
    const ok = await send(s.base, 'POST', '/anything', b.benign.body, b.benign.type);
    assert.equal(ok.status, 200, `${b.kind} benign: ${ok.text}`);
    assert.deepEqual({ len: ok.json?.len, sha: ok.json?.sha }, { len: Buffer.byteLength(b.benign.body), sha: sha(b.benign.body) });
  }
  // a tus creation proxied to an upstream tus server: its Upload-Metadata values are inspected (decoded) too
  const tusMeta = (filename: string) => ({ 'tus-resumable': '1.0.0', 'upload-length': '10', 'upload-metadata': `filename ${Buffer.from(filename).toString('base64')}` });
  const tusHits = up.hits;
  assert.equal((await send(s.base, 'POST', '/files', undefined, undefined, tusMeta('<script>alert(1)</script>.png'))).status, 403);
  assert.equal(up.hits, tusHits, 'a refused tus creation never reaches the upstream');
  assert.equal((await send(s.base, 'POST', '/files', undefined, undefined, tusMeta("O'Brien CV.pdf"))).status, 200);
  // HTTP/2 without Content-Length through the proxy: inspected too, forwarded whole
  const h2hits = up.hits;
  assert.equal((await h2post(s.port, '/h2', BODIES[0].attack.body, 'application/json')).status, 403);
  assert.equal(up.hits, h2hits);
  const h2ok = await h2post(s.port, '/h2', BODIES[0].benign.body, 'application/json');
  assert.equal(h2ok.status, 200, h2ok.text);
  assert.equal((JSON.parse(h2ok.text) as { sha: string }).sha, sha(BODIES[0].benign.body));
  // a body within waf.limits.maxBodyBytes (1 MiB), sent chunked: the exact bytes arrive
  const big = Buffer.alloc(900_000, 'abcdefghij'.repeat(10));
  const r = await request(`${s.base}/upload`, { method: 'PUT', headers: { ...UA, 'content-type': 'application/octet-stream' }, body: Readable.from((function* () { for (let i = 0; i < big.length; i += 65_536) yield big.subarray(i, i + 65_536); })()) });
  const got = (await r.body.json()) as { len: number; sha: string };
  assert.equal(r.statusCode, 200);
  assert.deepEqual({ len: got.len, sha: got.sha }, { len: big.length, sha: sha(big) });
  // past the limit: 413 (bodyOverflow: reject, the default) and nothing forwarded
  const hits = up.hits;
  const over = await send(s.base, 'POST', '/upload', Buffer.alloc(1_200_000, 'a'), 'application/octet-stream');
  assert.equal(over.status, 413, over.text);
  assert.equal(over.json?.type, 'strata/payload-too-large');
  assert.equal(up.hits, hits);
});

test('reverse-proxied route, bodyOverflow partial: a big upload streams through whole, an attack in the inspected prefix is refused', async (t) => {
  const up = await echoUpstream();
  t.after(() => up.close());
  const s = await start(t, `gateway:\n  pools: [{ name: app, upstreams: [{ url: "${up.url}" }] }]\n  routes: [{ prefix: /, pool: app }]\n`, { 'waf.limits.maxBodyBytes': 65_536, 'waf.limits.bodyOverflow': 'partial' });
  const big = Buffer.alloc(5_000_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const r = await request(`${s.base}/upload`, { method: 'POST', headers: { ...UA, 'content-type': 'application/octet-stream' }, body: big });
  const got = (await r.body.json()) as { len: number; sha: string };
  assert.equal(r.statusCode, 200);
  assert.deepEqual({ len: got.len, sha: got.sha }, { len: big.length, sha: sha(big) });
  const hostile = `a=${encodeURIComponent(SQLI)}&pad=${'x'.repeat(200_000)}`;
  assert.equal((await send(s.base, 'POST', '/form', hostile, 'application/x-www-form-urlencoded')).status, 403);
});

test('static site at / and paths no route serves: the body is inspected first, then 405 / 404', async (t) => {
  const site = await start(t, `gateway:\n  sites: [{ name: www, root: $WWW }]\n  routes: [{ prefix: /, site: www }]\n`);
  const bare = await start(t, '');
  for (const b of BODIES) {
    assert.equal((await send(site.base, 'POST', '/', b.attack.body, b.attack.type)).status, 403, `${b.kind} to the static site`);
    assert.equal((await send(site.base, 'POST', '/', b.benign.body, b.benign.type)).status, 405, `${b.kind} benign to the static site`);
    assert.equal((await send(site.base, 'POST', '/deep/page.html', b.attack.body, b.attack.type)).status, 403, `${b.kind} to a static path`);
    assert.equal((await send(bare.base, 'POST', '/nowhere', b.attack.body, b.attack.type)).status, 403, `${b.kind} to an unrouted path`);
    assert.equal((await send(bare.base, 'POST', '/nowhere', b.benign.body, b.benign.type)).status, 404, `${b.kind} benign to an unrouted path`);
  }
  assert.equal((await send(site.base, 'GET', '/')).text, 'home');
});

const POSTS = `collections:
  - name: posts
    fields:
      - { name: title, type: text, required: true, length: { max: 200 } }
      - { name: body, type: text }
      - { name: status, type: text }
      - { name: author, type: text }
      - { name: email, type: email }
      - { name: tags, type: json }
      - { name: price, type: number }
      - { name: stock, type: integer }
      - { name: published, type: boolean }
      - { name: meta, type: json }
    rules: { list: "", view: "", create: "", update: "", delete: "" }
`;

/** An HTTP/2 request (h2c prior knowledge) whose body is sent as DATA frames without Content-Length. */
async function h2post(port: number, path: string, body: string, type: string): Promise<{ status: number; text: string }> {
  const client = h2connect(`http://127.0.0.1:${port}`);
  try {
    const req = client.request({ ':method': 'POST', ':path': path, 'content-type': type, ...UA });
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    const status = new Promise<number>((resolve) => req.on('response', (h) => resolve(Number(h[':status']))));
    req.write(body.slice(0, 5));
    await new Promise((r) => setTimeout(r, 20));
    req.end(body.slice(5));
    await new Promise((r) => req.on('end', r));
    return { status: await status, text };
  } finally {
    client.close();
  }
}

/** A raw HTTP/1.1 chunked request. */
async function chunkedPost(port: number, path: string, body: string, type: string): Promise<number> {
  const sock = netConnect(port, '127.0.0.1');
  const half = Math.floor(body.length / 2);
  const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
  sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${UA['user-agent']}\r\nAccept: application/json\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk(body.slice(0, half))}${chunk(body.slice(half))}0\r\n\r\n`);
  let out = '';
  sock.on('data', (d) => (out += String(d)));
  await new Promise((r) => sock.on('close', r));
  return Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1]);
}

test('HTTP/2 bodies without Content-Length and HTTP/1.1 chunked bodies are inspected (records create)', async (t) => {
  const s = await start(t, POSTS);
  const xss = JSON.stringify({ title: '<script>alert(1)</script>' });
  const h2 = await h2post(s.port, '/api/collections/posts/records', xss, 'application/json');
  assert.equal(h2.status, 403, h2.text);
  assert.equal((await h2post(s.port, '/api/collections/posts/records', JSON.stringify({ title: 'fine over h2' }), 'application/json')).status, 201);
  assert.equal(await chunkedPost(s.port, '/api/collections/posts/records', xss, 'application/json'), 403);
  assert.equal(await chunkedPost(s.port, '/api/collections/posts/records', JSON.stringify({ title: 'fine chunked' }), 'application/json'), 201);
  const list = await send(s.base, 'GET', '/api/collections/posts/records');
  assert.deepEqual(((list.json?.items ?? []) as Array<{ title: string }>).map((r) => r.title).sort(), ['fine chunked', 'fine over h2']);
});

test('bodies nested past waf.limits.maxBodyDepth are refused: JSON, XML, MessagePack', async (t) => {
  const s = await start(t, POSTS);
  const nest = (n: number, leaf: unknown): unknown => (n === 0 ? leaf : { a: nest(n - 1, leaf) });
  const deep = JSON.stringify({ title: 'deep', meta: nest(70, 'harmless') });
  const r = await send(s.base, 'POST', '/api/collections/posts/records', deep, 'application/json');
  assert.equal(r.status, 403, r.text);
  const shallow = JSON.stringify({ title: 'shallow', meta: nest(20, 'harmless') });
  assert.equal((await send(s.base, 'POST', '/api/collections/posts/records', shallow, 'application/json')).status, 201);
  const xml = `<r>${'<a>'.repeat(70)}x${'</a>'.repeat(70)}</r>`;
  assert.equal((await send(s.base, 'POST', '/nowhere', xml, 'application/xml')).status, 403);
  assert.equal((await send(s.base, 'POST', '/nowhere', `<r>${'<a>'.repeat(10)}x${'</a>'.repeat(10)}</r>`, 'application/xml')).status, 404);
  const { Packr } = await import('msgpackr');
  const packed = new Packr({ useRecords: false }).pack({ title: 'deep', meta: nest(70, 'x') });
  assert.equal((await send(s.base, 'POST', '/api/collections/posts/records', packed, 'application/msgpack')).status, 403);
});

/** A realistic create: prose, names with apostrophes, an email, tags, numbers, a nested object. */
const realistic = (i: number) => ({
  title: `Order #${1000 + i}: O'Neil's weekly groceries`,
  body: `Hi team, please review item ${i} before Friday. It's the one we discussed (see the notes).`,
  status: i % 3 === 0 ? 'draft' : 'published',
  author: i % 2 === 0 ? "Siobhán O'Connor" : 'José Álvarez',
  email: `user${i}@example.com`,
  tags: ['grocery', 'weekly', `batch-${i}`],
  price: 19.99 + i,
  stock: i * 3,
  published: i % 2 === 0,
  meta: { source: 'import', row: i, region: 'eu-west' },
});

for (const paranoia of [1, 2]) {
  test(`a full batch (data.maxBatch = 100) of realistic creates passes the WAF defaults at PL${paranoia}`, async (t) => {
    const s = await start(t, POSTS, { 'waf.paranoia': paranoia });
    const operations = Array.from({ length: 100 }, (_, i) => ({ action: 'create', collection: 'posts', body: realistic(i) }));
    const r = await send(s.base, 'POST', '/api/batch', JSON.stringify({ operations }), 'application/json');
    assert.equal(r.status, 200, r.text.slice(0, 400));
    const over = await send(s.base, 'POST', '/api/batch', JSON.stringify({ operations: [...operations, operations[0]] }), 'application/json');
    assert.notEqual(over.status, 403, 'past maxBatch the API answers, not the WAF');
  });
}

test('a media type the route does not take: 415 from the route; an attack in readable text is still 403', async (t) => {
  const s = await start(t, POSTS);
  const csv = await send(s.base, 'POST', '/api/collections/posts/records', 'title,views\nhello,1\n', 'text/csv');
  assert.equal(csv.status, 415, csv.text);
  const hostile = await send(s.base, 'POST', '/api/collections/posts/records', `title\n${SQLI}\n`, 'text/csv');
  assert.equal(hostile.status, 403, hostile.text);
  // where no route answers, the allow-list still applies (no route to refuse it)
  assert.equal((await send(s.base, 'POST', '/nowhere', 'a,b\n1,2\n', 'text/csv')).status, 403);
});
