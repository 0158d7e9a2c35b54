// HTTPS upstreams: certificates verified against a configured CA (the dev CA helper signs a
// real upstream's certificate), a fixed SNI name, health checks and WebSockets (wss) over TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { request } from 'undici';
import { WebSocketServer } from 'ws';
import { loadConfig } from '../src/config/index.js';
import { ensureDevCertificate } from '../src/edge/index.js';
import { createGateway } from '../src/gateway/index.js';
import { wsGreetingAndEcho } from './gateway-helpers.js';

interface Seen {
  url: string;
  host: string;
  sni: string | false;
}

async function httpsUpstream(certPath: string, keyPath: string, maxVersion?: 'TLSv1.2'): Promise<{ server: Server; url: string; seen: Seen[]; connections: () => number; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath), maxVersion }, (req, res) => {
    seen.push({ url: req.url ?? '', host: req.headers.host ?? '', sni: (req.socket as TLSSocket).servername ?? false });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ url: req.url, host: req.headers.host }));
  });
  const sockets = new Set<import('node:net').Socket>();
  let connections = 0;
  server.on('secureConnection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    seen,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test('https upstreams: CA-verified, untrusted refused with 502, fixed SNI, health checks and wss over TLS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-gwtls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = await ensureDevCertificate(join(dir, 'tls'));
  const up = await httpsUpstream(cert.certPath, cert.keyPath);
  const old = await httpsUpstream(cert.certPath, cert.keyPath, 'TLSv1.2');
  t.after(() => old.close());
  const wss = new WebSocketServer({ server: up.server });
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.url} tls=${(req.socket as TLSSocket).encrypted === true}`);
    ws.on('message', (m) => ws.send(`echo:${m}`));
  });
  t.after(async () => {
    wss.close();
    await up.close();
  });
  writeFileSync(
    join(dir, 'strata.yaml'),
    `gateway:
  pools:
    - { name: trusted, upstreams: [{ url: "${up.url}/base" }], tls: { ca: ${JSON.stringify(cert.caPath)}, servername: localhost },
        healthCheck: { enabled: true, path: /healthz, intervalMs: 3600000, unhealthyThreshold: 1 } }
    - { name: byip, upstreams: [{ url: "${up.url}" }], tls: { ca: ${JSON.stringify(cert.caPath)} } }
    - { name: untrusted, upstreams: [{ url: "${up.url}" }], maxFails: 0,
        healthCheck: { enabled: true, path: /healthz, intervalMs: 3600000, unhealthyThreshold: 1 } }
    - { name: insecure, upstreams: [{ url: "${up.url}" }], tls: { rejectUnauthorized: false } }
    - { name: wrongname, upstreams: [{ url: "${up.url}" }], maxFails: 0, tls: { ca: ${JSON.stringify(cert.caPath)}, servername: other.example } }
    - { name: tls12, upstreams: [{ url: "${old.url}" }], tls: { ca: ${JSON.stringify(cert.caPath)} } }
    - { name: tls13only, upstreams: [{ url: "${old.url}" }], maxFails: 0, tls: { ca: ${JSON.stringify(cert.caPath)}, minVersion: TLSv1.3 } }
  routes:
    - { prefix: /tls12, pool: tls12, stripPrefix: true }
    - { prefix: /tls13only, pool: tls13only, stripPrefix: true, retries: 0 }
    - { prefix: /trusted, pool: trusted, stripPrefix: true }
    - { prefix: /byip, pool: byip, stripPrefix: true }
    - { prefix: /untrusted, pool: untrusted, stripPrefix: true, retries: 0 }
    - { prefix: /insecure, pool: insecure, stripPrefix: true }
    - { prefix: /wrongname, pool: wrongname, stripPrefix: true, retries: 0 }
`,
  );
  const { config } = loadConfig({ cwd: dir, env: {} });
  const gw = createGateway({ config: config.gateway });
  const app = Fastify();
  await app.register(gw.plugin);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    await app.close();
    await gw.stop();
  });

  // Trusted through the configured CA; the client's Host goes upstream, SNI stays the configured name.
  const ok = await request(`${base}/trusted/a?b=1`, { headers: { host: 'shop.example' } });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(await ok.body.json(), { url: '/base/a?b=1', host: 'shop.example' });
  const other = await request(`${base}/trusted/c`, { headers: { host: 'blog.example' } });
  assert.equal(other.statusCode, 200);
  await other.body.dump();
  assert.deepEqual(
    up.seen.map((s) => s.sni),
    ['localhost', 'localhost'],
  );
  // A different Host does not make undici reconnect with another SNI: one kept-alive connection.
  assert.equal(up.connections(), 1);

  // An IP upstream without servername: no SNI (RFC 6066), the certificate's IP SAN is checked.
  const ip = await request(`${base}/byip/x`, { headers: { host: 'shop.example' } });
  assert.equal(ip.statusCode, 200);
  await ip.body.dump();
  assert.equal(up.seen.at(-1)?.sni, false);

  // Untrusted certificate (no CA configured): 502 problem+json, the request never reaches the upstream.
  const before = up.seen.length;
  for (const path of ['/untrusted/x', '/wrongname/x']) {
    const bad = await request(`${base}${path}`);
    assert.equal(bad.statusCode, 502, path);
    assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
    const problem = (await bad.body.json()) as { type: string; status: number; detail: string };
    assert.equal(problem.type, 'strata/bad-gateway');
    assert.equal(problem.status, 502);
    assert.match(problem.detail, /certificate/);
  }
  assert.equal(up.seen.length, before);

  // minVersion: a TLS 1.2-only upstream is fine by default and refused (502) under TLSv1.3.
  const v12 = await request(`${base}/tls12/v`);
  assert.equal(v12.statusCode, 200);
  await v12.body.dump();
  const v13 = await request(`${base}/tls13only/v`);
  assert.equal(v13.statusCode, 502);
  assert.equal(((await v13.body.json()) as { type: string }).type, 'strata/bad-gateway');
  assert.equal(old.seen.length, 1);

  // rejectUnauthorized: false accepts it.
  const insecure = await request(`${base}/insecure/y`);
  assert.equal(insecure.statusCode, 200);
  await insecure.body.dump();

  // Active health checks over HTTPS: the trusted pool's probe arrives; the untrusted one fails verification.
  await gw.pools.get('trusted')!.checkHealth();
  await gw.pools.get('untrusted')!.checkHealth();
  assert.equal(up.seen.at(-1)?.url, '/base/healthz');
  assert.equal(gw.pools.get('trusted')!.ready(), true);
  assert.equal(gw.pools.get('untrusted')!.ready(), false);

  // WebSocket to a wss:// upstream through the https pool.
  const messages = await wsGreetingAndEcho(`${base.replace('http', 'ws')}/trusted/socket`);
  assert.deepEqual(messages, ['hello /base/socket tls=true', 'echo:ping']);
});
