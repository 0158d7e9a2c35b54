// Edge options a deployment flips: trusted proxies for the client address,
// HTTP→HTTPS redirects, extra headers, listening on IPv6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStrata } from './helpers/strata-process.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => (res.resume(), resolve({ status: res.statusCode!, headers: res.headers }))).on('error', reject);
  });
}

async function logLine(s: { output: () => string }, id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 30; i++) {
    const line = s.output().split('\n').find((l) => l.includes(id));
    if (line) return JSON.parse(line);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no log line for ${id}`);
}

test('trustProxy decides the logged client address', async () => {
  const off = await startStrata({ args: ['serve', '--port', '0', '--no-https'] });
  const on = await startStrata({ args: ['serve', '--port', '0', '--no-https', '--set', 'server.trustProxy=127.0.0.1'] });
  try {
    await get(`${off.http}/healthz`, { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'tp-off' });
    assert.equal((await logLine(off, 'tp-off')).ip, '127.0.0.1', 'untrusted X-Forwarded-For is ignored');
    await get(`${on.http}/healthz`, { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'tp-on' });
    assert.equal((await logLine(on, 'tp-on')).ip, '203.0.113.9', 'trusted proxy supplies the client address');
  } finally {
    assert.equal(await off.stop(), 0);
    assert.equal(await on.stop(), 0);
  }
});

test('redirectToHttps answers 308 to the HTTPS port, except health probes; extra headers apply', async () => {
  const s = await startStrata({ args: ['serve', '--port', '0', '--https-port', '0', '--set', 'server.redirectToHttps=true', '--set', 'headers.extra={"Permissions-Policy":"camera=()"}'] });
  try {
    const httpsPort = new URL(s.https!).port;
    const r = await get(`${s.http}/some/page?q=1`, { host: 'example.test:8080' });
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, `https://example.test:${httpsPort}/some/page?q=1`);
    const h = await get(`${s.http}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(h.headers['permissions-policy'], 'camera=()');
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('listens on IPv6 loopback when asked', async (t) => {
  const probe = http.createServer();
  const v6 = await new Promise<boolean>((r) => probe.once('error', () => r(false)).listen(0, '::1', () => (probe.close(), r(true))));
  if (!v6) return t.skip('no IPv6 loopback on this machine');
  const s = await startStrata({ args: ['serve', '--host', '::1', '--port', '0', '--https-port', '0'] });
  try {
    assert.match(s.http!, /^http:\/\/\[::1\]:\d+$/);
    assert.equal((await get(`${s.http}/healthz`)).status, 200);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
