// The webhook target policy comes from config (issue 22 item 6): messaging.webhooks.allowHttp /
// allowLoopback let a served Strata deliver to a receiver on this machine; by default both stay off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as httpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';

async function startStrata(t: import('node:test').TestContext, overrides: Record<string, unknown>): Promise<{ server: StrataServer; base: string; admin: Record<string, string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-wh-policy-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // The WAF's remote-file-inclusion rules score any URL in a body; the admin webhook API takes URLs by
  // design (its own target policy judges them), which an operator says with this exclusion.
  const exclusions = [{ route: '/api/admin/webhooks', parameter: 'body:url' }];
  const { config } = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.enabled': false, 'waf.exclusions': exclusions, ...overrides } });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  t.after(() => server.stop());
  const token = (await server.auth.services.accessTokens.issue({ sub: 'root', col: '_superusers' })).token;
  return { server, base: server.edge.urls()[0].url, admin: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
}

test('by default webhook URLs must be https and may not target loopback', async (t) => {
  const { base, admin } = await startStrata(t, {});
  const http = await fetch(`${base}/api/admin/webhooks`, { method: 'POST', headers: admin, body: JSON.stringify({ topics: 'demo.*', url: 'http://example.com/hook' }) });
  assert.equal(http.status, 400);
  assert.match(((await http.json()) as { detail: string }).detail, /https/);
  const loop = await fetch(`${base}/api/admin/webhooks`, { method: 'POST', headers: admin, body: JSON.stringify({ topics: 'demo.*', url: 'https://[::1]/hook' }) });
  assert.equal(loop.status, 400);
  assert.match(((await loop.json()) as { detail: string }).detail, /not allowed/);
});

test('messaging.webhooks.allowHttp + allowLoopback: a local http receiver gets the signed delivery', async (t) => {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  const receiver = httpServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => receiver.close(() => r())));
  const port = (receiver.address() as AddressInfo).port;

  const { server, base, admin } = await startStrata(t, { 'messaging.webhooks.allowHttp': true, 'messaging.webhooks.allowLoopback': true });
  // `localhost` resolves to loopback: allowed now at create time and at delivery time.
  const created = await fetch(`${base}/api/admin/webhooks`, { method: 'POST', headers: admin, body: JSON.stringify({ topics: 'demo.*', url: `http://localhost:${port}/hook` }) });
  assert.equal(created.status, 201, await created.clone().text());
  const hook = (await created.json()) as { id: string };
  await server.messaging.bus.publish('demo.ping', { hello: 'local' });
  const end = Date.now() + 30_000;
  while (received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.equal(received.length, 1, 'the receiver got one delivery');
  assert.ok(received[0].headers['webhook-signature'], 'signed (Standard Webhooks)');
  assert.deepEqual((JSON.parse(received[0].body) as { data: unknown }).data, { hello: 'local' });
  const log = await fetch(`${base}/api/admin/webhooks/${hook.id}/deliveries`, { headers: admin });
  const items = ((await log.json()) as { items: { status: number | null; error: string | null }[] }).items;
  assert.ok(items.some((i) => i.status === 200), JSON.stringify(items));
});
