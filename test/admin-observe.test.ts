// The admin API behind the UI's metrics, logs and settings pages, against a real server (HTTPS with the
// development certificate, a real SMTP server): live figures per route family, this process's recent
// access lines with filters and no query strings, settings with every secret masked, a test mail that
// arrives (and a clear error when SMTP refuses). Superusers only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { appDir, startApp, type TestServer } from './functions-helpers.js';
import { smtpCapture } from './helpers/smtp-capture.js';
import { fieldKeyFile } from '../src/crypto/index.js';

const PASSWORD = 'correct horse battery staple 42';
const SMTP_PASSWORD = 'smtp-Pa55word-not-shown';
type Json = Record<string, any>;

describe('admin API: live metrics, access log, settings', () => {
  const smtp = smtpCapture();
  let dir = '';
  let s: TestServer;
  let root = '';
  let user = '';
  const call = async (method: string, path: string, o: { body?: unknown; token?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(s.url + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await r.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      /* empty */
    }
    return { status: r.status, type: r.headers.get('content-type') ?? '', json, text };
  };

  before(async () => {
    const port = await smtp.start();
    dir = appDir({}, `
collections:
  - { name: notes, type: base, fields: [{ name: body, type: text, encrypted: true }], rules: { list: "", view: "", create: "", update: "", delete: "" } }
auth:
  email:
    from: "Strata <no-reply@example.com>"
    smtp: { host: 127.0.0.1, port: ${port}, security: none, user: mailer, password: "${SMTP_PASSWORD}" }
log: { recent: 50 }
`);
    s = await startApp(dir, { 'server.https.enabled': true, 'server.https.port': 0 });
    assert.equal((await call('POST', '/_strata/setup', { body: { token: s.server.setupToken, email: 'root@example.com', password: PASSWORD } })).status, 201);
    root = String((await call('POST', '/api/collections/_superusers/auth/login', { body: { identity: 'root@example.com', password: PASSWORD } })).json.token);
    assert.equal((await call('POST', '/api/collections/users/records', { body: { email: 'ann@example.com', password: PASSWORD, passwordConfirm: PASSWORD } })).status, 201);
    user = String((await call('POST', '/api/collections/users/auth/login', { body: { identity: 'ann@example.com', password: PASSWORD } })).json.token);
  });
  after(async () => {
    await s?.server.stop();
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('superusers only: 401 anonymous, 403 a signed-in user', async () => {
    const routes: [string, string, unknown?][] = [['GET', '/api/admin/metrics/live'], ['GET', '/api/admin/logs/access'], ['GET', '/api/admin/settings'], ['POST', '/api/admin/settings/mail/test', { to: 'x@example.com' }]];
    for (const [m, p, body] of routes) {
      const anon = await call(m, p, { body });
      assert.equal(anon.status, 401, `${m} ${p}`);
      assert.match(anon.type, /^application\/problem\+json/);
      assert.equal((await call(m, p, { body, token: user })).status, 403, `${m} ${p}`);
    }
  });

  test('live metrics: requests a second, p50/p99 and error rate per route family between two reads', async () => {
    const first = (await call('GET', '/api/admin/metrics/live', { token: root })).json;
    assert.equal(first.enabled, true);
    assert.deepEqual(first.families, ['records', 'auth', 'files', 'rpc', 'realtime', 'gateway', 'admin', 'other']);
    // 6 record reads, 2 of them 404s: a 4xx is not an error of the server, so the error rate (5xx) is 0
    for (let i = 0; i < 4; i++) assert.equal((await call('GET', '/api/collections/notes/records')).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await call('GET', '/api/collections/notes/records/nope')).status, 404);
    // a second sample needs a second of history (reads within 1 s share a sample): poll until there is one
    let live: Json = {};
    for (let i = 0; i < 100 && !(live.points?.length > 0 && live.points.at(-1).families.find((f: Json) => f.family === 'records').requests >= 6); i++) {
      await new Promise((r) => setTimeout(r, 50));
      live = (await call('GET', '/api/admin/metrics/live', { token: root })).json;
    }
    const point = live.points.at(-1);
    const records = point.families.find((f: Json) => f.family === 'records');
    assert.equal(records.requests, 6, JSON.stringify(records));
    assert.ok(records.rps > 0 && records.rps === Math.round((6 / point.seconds) * 100) / 100, JSON.stringify(point));
    assert.ok(records.p50Ms > 0 && records.p99Ms >= records.p50Ms, JSON.stringify(records));
    assert.equal(records.errorRate, 0);
    const files = point.families.find((f: Json) => f.family === 'files');
    assert.deepEqual([files.requests, files.p50Ms, files.errorRate], [0, null, null]);
    const total = live.total.find((f: Json) => f.family === 'records');
    assert.ok(total.requests >= 6);
    assert.ok(live.total.find((f: Json) => f.family === 'auth').requests >= 3, 'sign-up and logins');
  });

  test('access log: the recent lines, newest first, filtered by status, method, path and time; no query string', async () => {
    const t0 = new Date().toISOString();
    assert.equal((await call('GET', '/api/collections/notes/records?filter=body%3D%22x%22&token=secret-in-query')).status, 400);
    assert.equal((await call('DELETE', '/api/collections/notes/records/missing', { token: root })).status, 404);
    const all = (await call('GET', '/api/admin/logs/access?limit=1000', { token: root })).json;
    assert.equal(all.enabled, true);
    assert.equal(all.size, 50);
    assert.ok(all.held <= 50 && all.items.length === all.held, JSON.stringify([all.held, all.items.length]));
    assert.ok(!JSON.stringify(all).includes('secret-in-query') && !JSON.stringify(all).includes('filter='), 'no query strings');
    const at = all.items.map((x: Json) => Date.parse(x.at));
    assert.deepEqual(at, [...at].sort((a: number, b: number) => b - a), 'newest first');
    const del = (await call('GET', `/api/admin/logs/access?method=delete&since=${t0}`, { token: root })).json.items;
    assert.equal(del.length, 1, JSON.stringify(del));
    assert.deepEqual({ ...del[0], at: undefined, ms: undefined, reqId: undefined }, { at: undefined, ms: undefined, reqId: undefined, ip: '127.0.0.1', method: 'DELETE', path: '/api/collections/notes/records/missing', status: 404 });
    const fours = (await call('GET', `/api/admin/logs/access?status=4xx&path=/notes/&since=${t0}`, { token: root })).json.items;
    assert.deepEqual(fours.map((x: Json) => x.status).sort(), [400, 404]);
    assert.equal((await call('GET', `/api/admin/logs/access?status=400&path=/notes/&since=${t0}`, { token: root })).json.items.length, 1);
    assert.equal((await call('GET', `/api/admin/logs/access?until=${t0}&path=/records/missing`, { token: root })).json.items.length, 0);
    for (const bad of ['status=6xx', 'since=yesterday', 'limit=0', `since=${new Date().toISOString()}&until=${t0}`]) {
      const r = await call('GET', `/api/admin/logs/access?${bad}`, { token: root });
      assert.equal(r.status, 400, bad);
      assert.match(r.type, /^application\/problem\+json/);
    }
  });

  test('settings: SMTP, TLS certificate, encryption keys and rotation, the effective config with secrets masked', async () => {
    const keyDir = dirname(fieldKeyFile(s.server.config));
    mkdirSync(keyDir, { recursive: true });
    writeFileSync(`${keyDir}/rotation.json`, JSON.stringify({ kid: 'k2', progress: { notes: true, posts: 'abc' } }));
    const r = await call('GET', '/api/admin/settings', { token: root });
    assert.equal(r.status, 200, r.text);
    const st = r.json;
    assert.deepEqual(st.smtp, { configured: true, host: '127.0.0.1', port: st.smtp.port, security: 'none', user: 'mailer', passwordSet: true, from: 'Strata <no-reply@example.com>' });
    assert.equal(st.tls.enabled, true);
    assert.equal(st.tls.source, 'development');
    assert.match(st.tls.subject, /CN=/);
    assert.match(st.tls.issuer, /CN=/);
    assert.ok(Date.parse(st.tls.validTo) > Date.now() && st.tls.daysLeft > 0, JSON.stringify(st.tls));
    assert.equal(st.encryption.source, 'file');
    assert.match(st.encryption.current, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(st.encryption.keyIds, [st.encryption.current]);
    assert.deepEqual(st.encryption.rotation, { kid: 'k2', inProgress: true, done: ['notes'], pending: ['posts'] });
    assert.equal(st.config.auth.email.smtp.password, '********');
    assert.equal(st.config.engines.rabbitmq.url, 'amqp://********@127.0.0.1:5672');
    assert.equal(st.config.auth.email.smtp.host, '127.0.0.1');
    assert.ok(!r.text.includes(SMTP_PASSWORD) && !r.text.includes('guest:guest'), 'no secret anywhere');
    rmSync(`${keyDir}/rotation.json`);
    assert.equal((await call('GET', '/api/admin/settings', { token: root })).json.encryption.rotation, null);
  });

  test('test mail: arrives through the configured SMTP; a bad address is a 400', async () => {
    const r = await call('POST', '/api/admin/settings/mail/test', { token: root, body: { to: 'ops@example.com' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { sent: true, to: 'ops@example.com' });
    const m = await smtp.mailTo('ops@example.com', /test mail/);
    assert.match(m.text ?? '', /SMTP works/);
    const audit = (await call('GET', '/api/admin/audit?action=superuser.request&limit=500', { token: root })).json.items as Json[];
    assert.ok(audit.some((x) => x.target === '/api/admin/settings/mail/test' && x.outcome === 'success'), 'the test mail is audited');
    for (const body of [{ to: 'not an address' }, { to: 'a@example.com\r\nBcc: b@example.com' }, {}]) {
      const bad = await call('POST', '/api/admin/settings/mail/test', { token: root, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
  });
});
