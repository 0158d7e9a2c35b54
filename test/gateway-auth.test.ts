// Strata's auth and gateway routes (issue 22 item 1): Authorization headers and cookies on static and
// proxied routes belong to the site or upstream and pass through untouched, unless the route opts in
// with `auth: required`; Strata's own routes still judge every credential.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { startUpstream } from './gateway-helpers.js';

test('gateway routes pass foreign credentials through; auth: required routes need Strata credentials', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-gw-auth-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  mkdirSync(join(dataDir, 'www'));
  writeFileSync(join(dataDir, 'www', 'index.html'), 'static home');
  // The upstream echoes the credentials it received.
  const up = await startUpstream((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null }));
  });
  const wss = new WebSocketServer({ server: up.server });
  wss.on('connection', (ws) => ws.send('ws ok'));
  t.after(async () => {
    wss.close();
    await up.close();
  });
  writeFileSync(
    join(dataDir, 'strata.yaml'),
    `gateway:
  sites: [{ name: www, root: ${JSON.stringify(join(dataDir, 'www'))} }]
  pools: [{ name: up, upstreams: [{ url: "${up.url}" }] }]
  routes:
    - { prefix: /rr, pool: up, stripPrefix: true }
    - { prefix: /private, pool: up, stripPrefix: true, auth: required }
    - { prefix: /www, site: www, stripPrefix: true }
    - { prefix: /members, site: www, stripPrefix: true, auth: required }
`,
  );
  const loaded = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.enabled': false } }).config;
  const server = await createServer(loaded, pino({ level: 'silent' }));
  await server.start();
  t.after(() => server.stop());
  const base = server.edge.urls()[0].url;
  const strataToken = (await server.auth.services.accessTokens.issue({ sub: 'u1', col: 'users' })).token;

  const echo = async (path: string, headers: Record<string, string>) => {
    const r = await request(`${base}${path}`, { headers });
    const text = await r.body.text();
    return { status: r.statusCode, headers: r.headers, body: text ? JSON.parse(text) : null };
  };

  await t.test('a proxied route forwards Bearer, Basic and cookies untouched', async () => {
    const bearer = await echo('/rr/whoami', { authorization: 'Bearer upstream-token-123' });
    assert.equal(bearer.status, 200);
    assert.equal(bearer.body.authorization, 'Bearer upstream-token-123');
    const basic = await echo('/rr/whoami', { authorization: 'Basic dXNlcjpwYXNz' });
    assert.equal(basic.status, 200);
    assert.equal(basic.body.authorization, 'Basic dXNlcjpwYXNz');
    const cookie = await echo('/rr/whoami', { cookie: 'strata_session=not-a-session; app=1' });
    assert.equal(cookie.status, 200);
    assert.equal(cookie.body.cookie, 'strata_session=not-a-session; app=1');
    // A Strata token is just another header to a route that did not opt in.
    const strata = await echo('/rr/whoami', { authorization: `Bearer ${strataToken}` });
    assert.equal(strata.body.authorization, `Bearer ${strataToken}`);
  });

  await t.test('a static route ignores foreign credentials', async () => {
    const r = await request(`${base}/www/`, { headers: { authorization: 'Bearer upstream-token-123' } });
    assert.equal(r.statusCode, 200);
    assert.equal(await r.body.text(), 'static home');
  });

  await t.test("Strata's own routes still reject a credential that is not Strata's", async () => {
    const r = await echo('/api/collections/users/auth/me', { authorization: 'Bearer upstream-token-123' });
    assert.equal(r.status, 401);
    assert.equal(r.body.type, 'strata/invalid-token');
  });

  await t.test('auth: required routes need a valid Strata credential and still forward it', async () => {
    const anonymous = await echo('/private/whoami', {});
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.type, 'strata/unauthorized');
    assert.match(String(anonymous.headers['content-type']), /application\/problem\+json/);
    const foreign = await echo('/private/whoami', { authorization: 'Bearer upstream-token-123' });
    assert.equal(foreign.status, 401);
    assert.equal(foreign.body.type, 'strata/invalid-token');
    const ok = await echo('/private/whoami', { authorization: `Bearer ${strataToken}` });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.authorization, `Bearer ${strataToken}`);
    const site = await request(`${base}/members/`);
    assert.equal(site.statusCode, 401);
    await site.body.dump();
    const siteOk = await request(`${base}/members/`, { headers: { authorization: `Bearer ${strataToken}` } });
    assert.equal(siteOk.statusCode, 200);
    assert.equal(await siteOk.body.text(), 'static home');
  });

  await t.test('WebSockets: proxied on a pass-through route, refused on an auth: required one', async () => {
    const open = (path: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, { headers: { authorization: 'Bearer upstream-token-123' } });
        ws.on('message', (m) => {
          ws.close();
          resolve(`message ${String(m)}`);
        });
        ws.on('unexpected-response', (_req, res) => {
          res.resume();
          resolve(`status ${res.statusCode}`);
        });
        ws.on('error', (e) => resolve(`error ${e.message}`));
      });
    assert.equal(await open('/rr/socket'), 'message ws ok');
    assert.equal(await open('/private/socket'), 'status 401');
  });
});
