// Forward proxy: absolute-form requests and CONNECT tunnels through curl, auth, privacy
// mode and the default denial of private, loopback and metadata addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { createForwardPolicy, createForwardProxy, hashProxyPassword, type ForwardProxyOptions } from '../src/gateway/index.js';
import { startUpstream } from './gateway-helpers.js';

const run = promisify(execFile);

async function curl(args: string[], out = '%{http_code}'): Promise<{ code: string; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', `\n${out}`, ...args]).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
  const i = stdout.lastIndexOf('\n');
  return { code: stdout.slice(i + 1), body: stdout.slice(0, i) };
}

async function withProxy(opts: ForwardProxyOptions, fn: (proxy: string) => Promise<void>): Promise<void> {
  const fwd = createForwardProxy({ port: 0, ...opts });
  await fwd.start();
  try {
    await fn(`http://127.0.0.1:${fwd.address().port}`);
  } finally {
    await fwd.stop();
  }
}

test('policy: private, loopback and metadata ranges denied by default', () => {
  const p = createForwardPolicy({ allowPorts: ['*'] });
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', 'fd00::1', '0.0.0.0', '::ffff:127.0.0.1', '100.64.0.1']) {
    assert.equal(p.checkAddress(ip).ok, false, ip);
  }
  for (const ip of ['93.184.216.34', '2606:4700::1111']) assert.equal(p.checkAddress(ip).ok, true, ip);
  assert.equal(p.checkTarget('metadata.google.internal', 80).ok, false);
  const loop = createForwardPolicy({ allowCidrs: ['loopback'], allowPorts: [80, 443, 8080], denyPorts: [8080], denyHosts: ['*.evil.test'], denyCidrs: ['93.184.0.0/16'] });
  assert.equal(loop.checkAddress('127.0.0.1').ok, true);
  assert.equal(loop.checkAddress('169.254.169.254').ok, false, 'allowing loopback does not allow metadata');
  assert.equal(loop.checkTarget('x.test', 8080).ok, false, 'denied port');
  assert.equal(loop.checkTarget('x.test', 22).ok, false, 'not an allowed port');
  assert.equal(loop.checkTarget('a.evil.test', 80).ok, false);
  assert.equal(loop.checkAddress('93.184.216.34').ok, false);
  const only = createForwardPolicy({ allowHosts: ['*.example.com'] });
  assert.equal(only.checkTarget('api.example.com', 443).ok, true);
  assert.equal(only.checkTarget('example.org', 443).ok, false);
});

test('absolute-form proxying with privacy mode and header rules; loopback denied unless allowed', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  await withProxy({ allowPorts: ['*'] }, async (proxy) => {
    const r = await curl(['-x', proxy, `${up.url}/x`]);
    assert.equal(r.code, '403');
    assert.match(r.body, /strata\/forbidden/);
    assert.equal(up.hits, 0);
  });
  await withProxy({ allowPorts: ['*'], allowCidrs: ['loopback'], privacy: true, requestHeaders: { set: { 'x-via-proxy': '1' } } }, async (proxy) => {
    const r = await curl(['-x', proxy, '-H', 'X-Forwarded-For: 1.2.3.4', '-H', 'Forwarded: for=1.2.3.4', '-H', 'X-Real-IP: 1.2.3.4', '-H', 'Via: 1.0 corp', `${up.url}/path?q=1`]);
    assert.equal(r.code, '200');
    const got = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    assert.equal(got.url, '/path?q=1');
    for (const h of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'via', 'proxy-connection']) assert.equal(got.headers[h], undefined, h);
    assert.equal(got.headers['x-via-proxy'], '1');
    assert.equal(got.headers.host, `127.0.0.1:${up.port}`);
  });
  await withProxy({ allowPorts: ['*'], allowCidrs: ['loopback'] }, async (proxy) => {
    const r = await curl(['-x', proxy, `${up.url}/p`]);
    const got = JSON.parse(r.body) as { headers: Record<string, string> };
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(got.headers.via, '1.1 strata');
  });
});

test('CONNECT tunnels allowed and denied', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  await withProxy({ allowPorts: [up.port], allowCidrs: ['loopback'] }, async (proxy) => {
    const r = await curl(['-p', '-x', proxy, `${up.url}/tunnel`]);
    assert.equal(r.code, '200');
    assert.equal((JSON.parse(r.body) as { url: string }).url, '/tunnel');
    // Port not in the allow list.
    const denied = await curl(['-p', '-x', proxy, 'http://127.0.0.1:9/'], '%{http_connect}');
    assert.equal(denied.code, '403');
  });
  await withProxy({ allowPorts: ['*'] }, async (proxy) => {
    const status = await new Promise<string>((resolve) => {
      const s = connect(Number(new URL(proxy).port), '127.0.0.1', () => s.write(`CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: 169.254.169.254:80\r\n\r\n`));
      let buf = '';
      s.on('data', (c) => (buf += c));
      s.on('close', () => resolve(buf.split('\r\n')[0]));
    });
    assert.equal(status, 'HTTP/1.1 403 Forbidden');
  });
});

test('Proxy-Authorization basic with hashed credentials', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const passwordHash = await hashProxyPassword('s3cret', 1024);
  assert.match(passwordHash, /^scrypt\$1024\$8\$1\$/);
  await withProxy({ allowPorts: ['*'], allowCidrs: ['loopback'], users: [{ username: 'ci', passwordHash }] }, async (proxy) => {
    assert.equal((await curl(['-x', proxy, `${up.url}/`])).code, '407');
    assert.equal((await curl(['-x', proxy, '-U', 'ci:wrong', `${up.url}/`])).code, '407');
    assert.equal((await curl(['-x', proxy, '-U', 'nobody:s3cret', `${up.url}/`])).code, '407');
    const ok = await curl(['-x', proxy, '-U', 'ci:s3cret', `${up.url}/`]);
    assert.equal(ok.code, '200');
    assert.equal((JSON.parse(ok.body) as { headers: Record<string, string> }).headers['proxy-authorization'], undefined, 'credentials never go upstream');
    assert.equal((await curl(['-p', '-x', proxy, `${up.url}/`], '%{http_connect}')).code, '407');
    assert.equal((await curl(['-p', '-x', proxy, '-U', 'ci:s3cret', `${up.url}/`])).code, '200');
  });
});
