// Cleartext HTTP/2 (h2c, prior knowledge) beside HTTP/1.1 on the plain port (server.http.h2c), and
// the shutdown of open Watch streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { grpc, recordClient, startServer } from './rpc-helpers.js';

test('h2c and HTTP/1.1 share the plain port; a preface split across packets still works; a silent client is cut', async (t) => {
  const s = await startServer(t, { 'server.headersTimeout': 1000 });
  const port = Number(new URL(s.base).port);

  const h1 = await fetch(`${s.base}/healthz`);
  assert.equal(h1.status, 200);
  await h1.body?.cancel();

  // HTTP/2 whose first packet holds 2 bytes of the preface.
  const session = http2.connect(s.base, {
    createConnection: () => {
      const sock = net.connect(port, '127.0.0.1');
      const write = sock.write.bind(sock);
      let first = true;
      sock.write = ((chunk: Buffer, ...rest: unknown[]) => {
        if (first && Buffer.isBuffer(chunk) && chunk.length > 2) {
          first = false;
          write(chunk.subarray(0, 2));
          return (write as (...a: unknown[]) => boolean)(chunk.subarray(2), ...rest);
        }
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof sock.write;
      return sock;
    },
  });
  t.after(() => session.close());
  const status = await new Promise<number>((resolve, reject) => {
    const req = session.request({ ':path': '/healthz' });
    req.on('response', (h) => resolve(Number(h[':status'])));
    req.on('error', reject);
    req.resume();
    req.end();
  });
  assert.equal(status, 200);

  // A connection that sends nothing is closed (server.headersTimeout), not kept forever.
  const silent = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => silent.once('close', () => resolve()));
  assert.equal(silent.destroyed, true);
});

test('stopping the server ends open Watch streams instead of waiting out the grace period', async (t) => {
  const s = await startServer(t, { 'server.shutdownGrace': 60_000 });
  const c = await recordClient(s.target, 'posts');
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${await s.token('root', '_superusers')}`);
  const call = (c.Watch as (r: unknown, m: grpc.Metadata) => grpc.ClientReadableStream<Record<string, unknown>>).call(c, {}, md);
  const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
    call.once('data', resolve);
    call.once('error', reject);
  });
  assert.equal(first.action, 'subscribed');
  const ended = new Promise<string>((resolve) => {
    call.on('error', (e: grpc.ServiceError) => resolve(`error ${e.code} ${e.details}`));
    call.on('end', () => resolve('end'));
  });
  // The stream is ended by the server (UNAVAILABLE: watch again elsewhere), not cut when the 60 s grace runs out.
  await s.server.stop();
  assert.match(await ended, new RegExp(`^error ${grpc.status.UNAVAILABLE} The server is shutting down`));
  c.close();
});
