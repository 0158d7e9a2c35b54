// A client that writes its whole request and then half-closes its side (FIN, `socket.end()`) still
// reads the answer of a slow handler (sign-up hashes a password with argon2id), over HTTP and
// HTTP/1.1 on TLS (issue 15). Raw sockets: no client library keeps the socket open for us. (A client that
// closes instead is told apart by the 103 probe: test/functions.test.ts, "the client going away aborts ctx.signal".)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';

function halfClosed(url: string, request: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = u.protocol === 'https:' ? tls.connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], allowHalfOpen: true } as tls.ConnectionOptions) : net.connect({ port: Number(u.port), host: u.hostname, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => sock.end(request));
  });
}

describe('half-closed requests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-half-close-'));
  let server: StrataServer;
  let http = '';
  let https = '';
  before(async () => {
    writeFileSync(join(dir, 'strata.yaml'), 'collections: []\n');
    const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.https.port': 0, 'server.shutdownGrace': 1000 } }).config;
    server = await createServer(config, pino({ level: 'silent' }));
    await server.start();
    http = server.edge.urls().find((u) => u.kind === 'http')!.url;
    https = server.edge.urls().find((u) => u.kind === 'https')!.url;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, base] of [['HTTP', () => http], ['HTTPS', () => https]] as const) {
    test(`${name}: a sign-up sent and half-closed gets its 201 and the account`, async () => {
      const email = `half-${name.toLowerCase()}-${Date.now()}@example.com`;
      const body = JSON.stringify({ email, password: 'correct horse battery staple 42', passwordConfirm: 'correct horse battery staple 42' });
      const raw = await halfClosed(base(), `POST /api/collections/users/records HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      // A slow answer may come after interim 103s (the probe that tells a half-closed client from a gone one).
      const interim = /^(HTTP\/1\.1 103 Early Hints\r\n\r\n)*/.exec(raw)![0];
      assert.match(raw.slice(interim.length), /^HTTP\/1\.1 201 /, raw.slice(0, 300) || '(no bytes)');
      assert.match(raw, new RegExp(email.replace(/[.]/g, '\\.')));
    });

    test(`${name}: a GET half-closed gets its answer, and the connection then closes`, async () => {
      const raw = await halfClosed(base(), 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      assert.match(raw, /^(HTTP\/1\.1 103 Early Hints\r\n\r\n)*HTTP\/1\.1 200 /, raw || '(no bytes)');
    });
  }
});
