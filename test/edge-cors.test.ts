// CORS (server.cors) from a real browser: headless Chromium opens a page served from another origin,
// which calls REST, auth, Connect, gRPC-Web and SSE on Strata with fetch/EventSource; a page from an
// origin not listed is refused by the browser; with no origins configured there is no CORS at all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery staple 42';

async function startStrata(dir: string, overrides: Record<string, unknown>): Promise<{ server: StrataServer; base: string }> {
  writeFileSync(join(dir, 'strata.yaml'), 'collections:\n  - name: posts\n    fields:\n      - { name: title, type: text }\n    rules: { list: "", view: "", create: "", update: "", delete: "" }\n');
  const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.https.enabled': false, 'server.shutdownGrace': 1000, ...overrides } }).config;
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  return { server, base: server.edge.urls().find((u) => u.kind === 'http')!.url };
}

/** A page server on its own port (another origin than Strata's). */
function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>other origin</title>'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

describe('CORS', { skip: !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `${CHROMIUM} is missing` : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cors-'));
  const offDir = mkdtempSync(join(tmpdir(), 'strata-cors-off-'));
  let strata: { server: StrataServer; base: string };
  let off: { server: StrataServer; base: string };
  let page: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };
  let ctx: BrowserContext;

  before(async () => {
    page = await pageServer();
    stranger = await pageServer();
    // Strata on localhost, the page on 127.0.0.1: different origins (host and port).
    strata = await startStrata(dir, { 'server.cors.origins': [page.origin], 'server.cors.credentials': true });
    strata.base = strata.base.replace('127.0.0.1', 'localhost');
    off = await startStrata(offDir, {});
    ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'strata-cors-chrome-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  after(async () => {
    await ctx?.close();
    await strata?.server.stop();
    await off?.server.stop();
    page?.server.close();
    stranger?.server.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(offDir, { recursive: true, force: true });
  });

  test('a listed origin: REST, auth, Connect, gRPC-Web and SSE from the page, with exposed headers and readable errors', async () => {
    const tab = await ctx.newPage();
    await tab.goto(page.origin);
    const email = `cors-${Date.now()}@example.com`;
    const out = await tab.evaluate(
      async ({ api, email, password }) => {
        const json = { 'content-type': 'application/json' };
        const r: Record<string, unknown> = {};
        // REST: a JSON create (preflighted), its Location and ETag, a read, an error body.
        const made = await fetch(`${api}/api/collections/posts/records`, { method: 'POST', headers: { ...json, 'x-client': 'page' }, body: JSON.stringify({ title: 'from the page' }) });
        r.createStatus = made.status;
        r.location = made.headers.get('location');
        r.etag = made.headers.get('etag');
        r.requestId = made.headers.get('x-request-id');
        const id = ((await made.json()) as { id: string }).id;
        const got = await fetch(`${api}/api/collections/posts/records/${id}`);
        r.getTitle = ((await got.json()) as { title: string }).title;
        const missing = await fetch(`${api}/api/collections/posts/records/zzzzzzzzzzzzzzzzzzzz`);
        r.missing = [missing.status, ((await missing.json()) as { type: string }).type];
        // Auth: sign-up, login, then the bearer token on /auth/me (Authorization is preflighted).
        r.signup = (await fetch(`${api}/api/collections/users/records`, { method: 'POST', headers: json, body: JSON.stringify({ email, password, passwordConfirm: password }) })).status;
        const login = await fetch(`${api}/api/collections/users/auth/login`, { method: 'POST', headers: json, credentials: 'include', body: JSON.stringify({ identity: email, password }) });
        r.login = login.status;
        const token = ((await login.json()) as { token: string }).token;
        const me = await fetch(`${api}/api/collections/users/auth/me`, { headers: { authorization: `Bearer ${token}` } });
        r.me = [me.status, ((await me.json()) as { record?: { email?: string } }).record?.email];
        // Connect (JSON) and gRPC-Web (binary frame: an empty ListRequest).
        const list = await fetch(`${api}/strata.posts.RecordService/List`, { method: 'POST', headers: json, body: '{}' });
        r.connect = [list.status, ((await list.json()) as { items?: unknown[] }).items?.length];
        const web = await fetch(`${api}/strata.posts.RecordService/List`, { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' }, body: new Uint8Array([0, 0, 0, 0, 0]) });
        r.grpcWeb = [web.status, (await web.arrayBuffer()).byteLength > 0];
        // SSE: an EventSource to the other origin, with credentials.
        r.sse = await new Promise((resolve) => {
          const es = new EventSource(`${api}/api/realtime/sse?subscribe=${encodeURIComponent(JSON.stringify([{ id: 's', collection: 'posts' }]))}`, { withCredentials: true });
          es.onmessage = (m) => {
            es.close();
            resolve((JSON.parse(m.data) as { type: string }).type);
          };
          es.onerror = () => {
            es.close();
            resolve('error');
          };
        });
        return r;
      },
      { api: strata.base, email, password: PASSWORD },
    );
    assert.equal(out.createStatus, 201, JSON.stringify(out));
    assert.match(String(out.location), /^\/api\/collections\/posts\/records\//, 'Location is exposed');
    assert.ok(out.etag, 'ETag is exposed');
    assert.ok(out.requestId, 'X-Request-Id is exposed');
    assert.equal(out.getTitle, 'from the page');
    assert.deepEqual(out.missing, [404, 'strata/not-found'], 'errors carry CORS headers too');
    assert.equal(out.signup, 201);
    assert.equal(out.login, 200);
    assert.deepEqual(out.me, [200, email]);
    assert.deepEqual(out.connect, [200, 1]);
    assert.deepEqual(out.grpcWeb, [200, true]);
    assert.equal(out.sse, 'welcome');
    await tab.close();
  });

  test('an origin not listed: the browser refuses the answer', async () => {
    const tab = await ctx.newPage();
    await tab.goto(stranger.origin);
    const out = await tab.evaluate(async (api) => {
      try {
        await fetch(`${api}/api/collections/posts/records`);
        return 'read';
      } catch (e) {
        return (e as Error).name;
      }
    }, strata.base);
    assert.equal(out, 'TypeError');
    await tab.close();
  });

  test('preflight answers, and CORS is off by default', async () => {
    const pre = (base: string, origin: string) =>
      fetch(`${base}/api/collections/posts/records`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
    const ok = await pre(strata.base, page.origin);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), page.origin);
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(ok.headers.get('access-control-allow-headers'), 'content-type, authorization');
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(ok.headers.get('access-control-max-age'), '600');
    assert.equal(ok.headers.get('x-content-type-options'), 'nosniff');
    const other = await pre(strata.base, stranger.origin);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    await other.body?.cancel();
    const offPre = await pre(off.base, page.origin);
    assert.equal(offPre.headers.get('access-control-allow-origin'), null, 'no origins configured: no CORS');
    await offPre.body?.cancel();
    const offGet = await fetch(`${off.base}/api/collections/posts/records`, { headers: { origin: page.origin } });
    assert.equal(offGet.headers.get('access-control-allow-origin'), null);
    await offGet.body?.cancel();
  });
});
