// SIGTERM while a slow request is in flight: the request completes, new
// connections are refused, the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startStrata, ROOT } from './helpers/strata-process.js';

const FIXTURE = join(ROOT, 'test/fixtures/serve-slow-route.ts');

function get(url: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

test('SIGTERM drains an in-flight HTTP/1.1 request and refuses new connections', async () => {
  const s = await startStrata({ script: FIXTURE, env: { STRATA_SERVER_SHUTDOWN_GRACE: '15000' } });
  const slow = get(`${s.http}/slow?ms=1500`);
  await new Promise((r) => setTimeout(r, 300)); // the request is in flight
  s.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300)); // listeners are closed
  await assert.rejects(get(`${s.http}/healthz`), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  const r = await slow;
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { slept: 1500 });
  assert.equal(r.headers.connection, 'close');
  assert.equal(await s.exited, 0);
});

test('SIGTERM drains an in-flight HTTP/2 stream', async () => {
  const s = await startStrata({ script: FIXTURE });
  const session = http2.connect(s.https!.replace('127.0.0.1', 'localhost'), { ca: readFileSync(s.ca!) });
  const req = session.request({ ':path': '/slow?ms=1200' });
  let body = '';
  let status = 0;
  req.on('response', (h) => (status = Number(h[':status'])));
  req.on('data', (d) => (body += d));
  const done = new Promise((r) => req.on('end', r));
  await new Promise((r) => setTimeout(r, 300));
  s.proc.kill('SIGTERM');
  await done;
  session.close();
  assert.equal(status, 200);
  assert.deepEqual(JSON.parse(body), { slept: 1200 });
  assert.equal(await s.exited, 0);
});

test('a request longer than the grace period is cut and the process still exits 0', async () => {
  const s = await startStrata({ script: FIXTURE, env: { STRATA_SERVER_SHUTDOWN_GRACE: '500' } });
  const slow = get(`${s.http}/slow?ms=10000`);
  await new Promise((r) => setTimeout(r, 300));
  s.proc.kill('SIGTERM');
  await assert.rejects(slow, (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET' || /socket hang up/.test(e.message));
  assert.equal(await s.exited, 0);
  assert.match(s.output(), /grace period ended with requests in flight/);
});

test('idle keep-alive connections are closed on SIGTERM while a request drains', async () => {
  const s = await startStrata({ script: FIXTURE, env: { STRATA_SERVER_SHUTDOWN_GRACE: '5000' } });
  // Keep one connection open so a readiness probe can still be sent on it after SIGTERM.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const probe = () =>
    new Promise<number>((resolve, reject) => {
      http.get(`${s.http}/readyz`, { agent }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
    });
  assert.equal(await probe(), 200);
  const slow = get(`${s.http}/slow?ms=1500`);
  await new Promise((r) => setTimeout(r, 200));
  s.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  // The idle keep-alive connection was closed by the drain: a probe cannot get in.
  await assert.rejects(probe());
  await slow;
  agent.destroy();
  assert.equal(await s.exited, 0);
});
