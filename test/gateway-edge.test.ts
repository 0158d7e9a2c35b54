// The gateway inside the real Strata server (edge listeners, security headers, request ids).
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
import { createGateway } from '../src/gateway/index.js';
import { startUpstream } from './gateway-helpers.js';

test('gateway routes served through the edge: static, proxy, WebSocket, health untouched', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-gw-edge-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  mkdirSync(join(dataDir, 'www'));
  writeFileSync(join(dataDir, 'www', 'index.html'), 'edge home');
  const up = await startUpstream((req, res) => res.end(`up ${req.url}`));
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
    - { prefix: /up, pool: up, stripPrefix: true }
    - { prefix: /, site: www }
`,
  );
  const loaded = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.enabled': false } }).config;
  const server = await createServer(loaded, pino({ level: 'silent' }));
  const gateway = createGateway({ config: loaded.gateway, reservedPrefixes: ['/_strata', '/healthz', '/readyz', '/metrics'] });
  await server.edge.app.register(gateway.plugin);
  await gateway.start();
  await server.start();
  t.after(async () => {
    await server.stop();
    await gateway.stop();
  });
  const base = server.edge.urls()[0].url;
  const home = await request(`${base}/`);
  assert.equal(await home.body.text(), 'edge home');
  assert.ok(home.headers['x-request-id'], 'edge hooks still run');
  assert.equal(home.headers['x-content-type-options'], 'nosniff');
  const proxied = await request(`${base}/up/a?b=1`);
  assert.equal(await proxied.body.text(), 'up /a?b=1');
  const health = await request(`${base}/healthz`);
  assert.equal(health.statusCode, 200);
  await health.body.dump();
  const msg = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/up/socket`);
    ws.on('message', (m) => {
      ws.close();
      resolve(String(m));
    });
    ws.on('error', reject);
  });
  assert.equal(msg, 'ws ok');
});
