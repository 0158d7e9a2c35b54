// SIGTERM while a slow request is in flight: the request completes, new
// connections are refused, the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
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

/** A raw HTTP/1.1 connection: GET requests written by hand, answers read by content-length. */
function rawConnection(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  let buf = '';
  let waiting: (() => void) | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (d) => ((buf += d), waiting?.()));
  const closed = new Promise<boolean>((resolve) => socket.once('close', resolve));
  return {
    socket,
    closed,
    async get(path: string): Promise<{ status: number; connection?: string }> {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        const head = end < 0 ? '' : buf.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (end >= 0 && buf.length >= end + 4 + length) {
          buf = buf.slice(end + 4 + length);
          return { status: Number(head.split(' ')[1]), connection: /\r\nconnection: *([^\r]*)/i.exec(head)?.[1] };
        }
        await new Promise<void>((resolve, reject) => {
          waiting = resolve;
          socket.once('close', () => reject(new Error(`connection closed before the answer: ${buf}`)));
        });
      }
    },
  };
}

test('SIGTERM: a request sent on a keep-alive connection left open is answered (Connection: close); a connection that sends nothing is closed after server.keepAliveTimeout', async () => {
  const s = await startStrata({ script: FIXTURE, env: { STRATA_SERVER_SHUTDOWN_GRACE: '15000', STRATA_SERVER_KEEP_ALIVE_TIMEOUT: '3000' } });
  const port = Number(new URL(s.http!).port);
  try {
    const used = rawConnection(port);
    const idle = rawConnection(port);
    assert.deepEqual(await used.get('/readyz'), { status: 200, connection: 'keep-alive' });
    assert.deepEqual(await idle.get('/readyz'), { status: 200, connection: 'keep-alive' });
    let slowDone = false;
    const slow = get(`${s.http}/slow?ms=8000`).then((r) => ((slowDone = true), r));
    await new Promise((r) => setTimeout(r, 200)); // the slow request is in flight
    s.proc.kill('SIGTERM');
    // new connections are refused
    for (;;) {
      const refused = await new Promise<boolean>((resolve) => {
        const c = net.connect({ host: '127.0.0.1', port }, () => (c.destroy(), resolve(false)));
        c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
      });
      if (refused) break;
      await new Promise((r) => setImmediate(r));
    }
    // ...but a request on a connection that is open is answered: not ready (draining), and the connection ends
    assert.deepEqual(await used.get('/readyz'), { status: 503, connection: 'close' });
    assert.equal(await used.closed, false);
    // the connection that sent nothing is closed cleanly by the drain, while the slow request still runs
    assert.equal(await idle.closed, false);
    assert.equal(slowDone, false);
    assert.equal((await slow).status, 200);
    assert.equal(await s.exited, 0);
  } finally {
    await s.stop('SIGKILL');
  }
});
