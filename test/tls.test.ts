// TLS: protocol floor, certificate reload without dropping connections, and
// an independent scan with testssl.sh when it is installed (always in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import http2 from 'node:http2';
import { copyFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureDevCertificate } from '../src/edge/index.js';
import { startStrata, tempDir } from './helpers/strata-process.js';

function peer(port: number, ca: Buffer, opts: tls.ConnectionOptions = {}): Promise<{ serial: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', servername: 'localhost', port, ca, ...opts }, () => {
      const r = { serial: s.getPeerCertificate().serialNumber, protocol: s.getProtocol() };
      s.end();
      resolve(r);
    });
    s.on('error', reject);
  });
}

test('TLS 1.0 and 1.1 are refused; 1.3 is preferred; 1.2 works', async () => {
  const s = await startStrata({ args: ['serve', '--no-http', '--https-port', '0'] });
  try {
    const port = Number(new URL(s.https!).port);
    const ca = readFileSync(s.ca!);
    assert.equal((await peer(port, ca)).protocol, 'TLSv1.3');
    assert.equal((await peer(port, ca, { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
    for (const v of ['TLSv1', 'TLSv1.1'] as const) {
      await assert.rejects(peer(port, ca, { minVersion: v, maxVersion: v, ciphers: 'DEFAULT:@SECLEVEL=0' }));
    }
    // A weak TLS 1.2 suite (CBC, no forward secrecy) is refused.
    await assert.rejects(peer(port, ca, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' }));
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('certificate reload on SIGHUP and on file change keeps open connections', async () => {
  const dir = tempDir();
  const a = await ensureDevCertificate(join(dir, 'a'));
  const b = await ensureDevCertificate(join(dir, 'b'));
  const c = await ensureDevCertificate(join(dir, 'c'));
  copyFileSync(a.certPath, join(dir, 'cert.pem'));
  copyFileSync(a.keyPath, join(dir, 'key.pem'));
  writeFileSync(join(dir, 'strata.yaml'), `server:\n  https:\n    cert: ${join(dir, 'cert.pem')}\n    key: ${join(dir, 'key.pem')}\n`);
  const s = await startStrata({ cwd: dir, args: ['serve', '--no-http', '--https-port', '0'] });
  try {
    const port = Number(new URL(s.https!).port);
    const caA = readFileSync(a.caPath);
    const first = await peer(port, caA);

    const session = http2.connect(`https://localhost:${port}`, { ca: caA });
    const ask = () =>
      new Promise<number>((resolve, reject) => {
        const r = session.request({ ':path': '/healthz' });
        r.on('response', (h) => resolve(Number(h[':status'])));
        r.on('error', reject);
        r.resume();
        r.end();
      });
    assert.equal(await ask(), 200);

    copyFileSync(b.certPath, join(dir, 'cert.pem'));
    copyFileSync(b.keyPath, join(dir, 'key.pem'));
    s.proc.kill('SIGHUP');
    let second = first;
    for (let i = 0; i < 50 && second.serial === first.serial; i++) {
      await new Promise((r) => setTimeout(r, 100));
      second = await peer(port, readFileSync(b.caPath), { rejectUnauthorized: false });
    }
    assert.notEqual(second.serial, first.serial, 'SIGHUP loaded the new certificate');
    assert.equal(await ask(), 200, 'the open HTTP/2 session survived the reload');

    // A broken pair is refused and the current one stays.
    writeFileSync(join(dir, 'cert.pem'), 'not a certificate');
    s.proc.kill('SIGHUP');
    for (let i = 0; i < 50 && !/reload failed/.test(s.output()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(s.output(), /TLS certificate reload failed; keeping the previous one/);
    assert.equal((await peer(port, readFileSync(b.caPath))).serial, second.serial);

    // File change alone (no signal) is picked up by the watcher.
    copyFileSync(c.keyPath, join(dir, 'key.pem'));
    copyFileSync(c.certPath, join(dir, 'cert.pem'));
    let third = second;
    for (let i = 0; i < 80 && third.serial === second.serial; i++) {
      await new Promise((r) => setTimeout(r, 100));
      third = await peer(port, readFileSync(c.caPath), { rejectUnauthorized: false });
    }
    assert.notEqual(third.serial, second.serial, 'the file watcher loaded the new certificate');
    assert.equal(await ask(), 200);
    session.close();
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

const testssl = ['/usr/bin/testssl', '/usr/bin/testssl.sh'].find((p) => existsSync(p));
test(
  'testssl.sh finds no weak protocol, no weak cipher and HSTS present',
  { skip: !testssl && process.env.CI !== 'true' ? 'testssl.sh is not installed (apt-get install testssl.sh)' : false },
  async () => {
    assert.ok(testssl, 'testssl.sh must be installed in CI');
    const s = await startStrata({ args: ['serve', '--no-http', '--https-port', '0'] });
    try {
      const port = new URL(s.https!).port;
      const out = join(tempDir(), 'testssl.json');
      const r = spawnSync(testssl, ['--quiet', '--color', '0', '--warnings', 'off', '--protocols', '--std', '--headers', '--jsonfile', out, `localhost:${port}`], {
        encoding: 'utf8',
        timeout: 240_000,
      });
      assert.ok(existsSync(out), `testssl.sh wrote no report: ${r.stdout}\n${r.stderr}`);
      const findings = JSON.parse(readFileSync(out, 'utf8')) as Array<{ id: string; severity: string; finding: string }>;
      const byId = (id: string) => findings.find((f) => f.id === id);
      for (const id of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) assert.match(byId(id)?.finding ?? '', /not offered/, id);
      assert.match(byId('TLS1_3')?.finding ?? '', /offered/);
      const bad = findings.filter((f) => /^(cipherlist_|HSTS)/.test(f.id) && ['MEDIUM', 'HIGH', 'CRITICAL', 'WARN'].includes(f.severity));
      assert.deepEqual(bad, [], 'no weak cipher class offered and HSTS fine');
      assert.equal(byId('HSTS_time')?.severity, 'OK', 'HSTS present with a long max-age');
      assert.equal(byId('cipherlist_AVERAGE')?.finding, 'not offered');
      assert.equal(byId('cipherlist_3DES_IDEA')?.finding, 'not offered');
      assert.equal(byId('ALPN_HTTP2')?.finding, 'h2');
    } finally {
      assert.equal(await s.stop(), 0);
    }
  },
);
