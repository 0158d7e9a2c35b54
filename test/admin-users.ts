// The superuser API for accounts of auth collections (/api/admin/users) over HTTP against a real Strata, run on
// SQLite and PostgreSQL by admin-users-{sqlite,postgres}.test.ts: the guard (401/403), 404 for unknown
// collections and accounts, search and pages, and each action's effect seen from the account's side: the
// verified flag over REST, the reset mail arriving and its link working, a revoked session's token and a
// revoked API key refused, a disabled second factor no longer asked for; every change is in the audit log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { startStrata, tempDir, type StrataProcess } from './helpers/strata-process.js';
import { linkToken, smtpCapture } from './helpers/smtp-capture.js';

const PASS = 'correct horse battery staple 42';
const PASS2 = 'violet umbrella marching north 7';
const ROOT_EMAIL = 'root@example.com';
const U = '/api/admin/users';

interface Res {
  status: number;
  body: Record<string, unknown>;
  text: string;
  contentType: string;
}

export function adminUsersSuite(name: string, data: () => { url: string; tablePrefix: string } | undefined, skip: string | false, cleanup?: () => Promise<void>): void {
  describe(`admin users API (${name})`, { skip: skip || undefined, timeout: 300_000 }, () => {
    const dir = tempDir('strata-admin-users-');
    const smtp = smtpCapture();
    let s: StrataProcess;
    let base = '';
    let root = '';
    const ids: Record<string, string> = {};
    const call = async (method: string, path: string, opts: { body?: unknown; token?: string | null } = {}): Promise<Res> => {
      const headers: Record<string, string> = {};
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const token = opts.token === undefined ? root : opts.token;
      if (token) headers.authorization = `Bearer ${token}`;
      const r = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
      const text = await r.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      return { status: r.status, body, text, contentType: r.headers.get('content-type') ?? '' };
    };
    const login = async (email: string, password = PASS) => call('POST', '/api/collections/users/auth/login', { body: { identity: email, password }, token: null });
    const tokenOf = async (email: string, password = PASS) => {
      const r = await login(email, password);
      assert.equal(r.status, 200, r.text);
      return String(r.body.token);
    };
    const me = (token: string) => call('GET', '/api/collections/users/auth/me', { token });

    before(async () => {
      const port = await smtp.start();
      const d = data();
      writeFileSync(
        join(dir, 'strata.yaml'),
        `${d ? `data:\n  url: ${JSON.stringify(d.url)}\n  tablePrefix: ${d.tablePrefix}\n` : ''}auth:
  email:
    from: "Strata Test <no-reply@example.com>"
    linkBase: https://app.example.com
    pollInterval: 100
    smtp: { host: 127.0.0.1, port: ${port}, security: none }
  throttle:
    accountFreeAttempts: 50
    ipFreeAttempts: 1000
collections:
  - name: users
    type: auth
    fields:
      - { name: name, type: text }
  - name: staff
    type: auth
    auth: { mfa: required }
  - name: posts
    fields:
      - { name: title, type: text }
`,
      );
      s = await startStrata({ cwd: dir, args: ['serve', '--port', '0', '--no-https', '--data-dir', join(dir, 'data')] });
      base = s.http!;
      const setup = /_strata\/setup#(\S+)/.exec(s.output())?.[1];
      assert.ok(setup, s.output());
      const made = await call('POST', '/_strata/setup', { body: { token: decodeURIComponent(setup), email: ROOT_EMAIL, password: PASS }, token: null });
      assert.equal(made.status, 201, made.text);
      const r = await call('POST', '/api/collections/_superusers/auth/login', { body: { identity: ROOT_EMAIL, password: PASS }, token: null });
      root = String(r.body.token);
      for (const who of ['alice', 'bob', 'carol']) {
        const c = await call('POST', '/api/collections/users/records', { body: { email: `${who}@example.com`, password: PASS, passwordConfirm: PASS, name: who } });
        assert.equal(c.status, 201, c.text);
        ids[who] = String(c.body.id);
      }
    });
    after(async () => {
      await s?.stop();
      await smtp.stop();
      rmSync(dir, { recursive: true, force: true });
      await cleanup?.();
    });

    test('the guard: 401 without credentials, 403 for an account that is not a superuser (every route)', async () => {
      const alice = await tokenOf('alice@example.com');
      const routes: Array<[string, string, unknown?]> = [
        ['GET', U],
        ['GET', `${U}/users`],
        ['GET', `${U}/users/${ids.bob}`],
        ['PATCH', `${U}/users/${ids.bob}`, { verified: true }],
        ['POST', `${U}/users/${ids.bob}/password-reset`, {}],
        ['POST', `${U}/users/${ids.bob}/revoke-sessions`, {}],
        ['GET', `${U}/users/${ids.bob}/api-keys`],
        ['DELETE', `${U}/users/${ids.bob}/api-keys/abc`],
        ['DELETE', `${U}/users/${ids.bob}/mfa`],
      ];
      for (const [m, p, body] of routes) {
        const anon = await call(m, p, { body, token: null });
        assert.equal(anon.status, 401, `${m} ${p}: ${anon.text}`);
        assert.equal(anon.body.type, 'strata/unauthorized');
        const user = await call(m, p, { body, token: alice });
        assert.equal(user.status, 403, `${m} ${p}: ${user.text}`);
        assert.equal(user.body.type, 'strata/forbidden');
      }
      assert.equal((await call('GET', `${U}/users/${ids.bob}`)).body.verified, false, 'nothing changed');
    });

    test('404 for an unknown collection, a collection that is not an auth collection, an unknown account or key', async () => {
      for (const p of [`${U}/nope`, `${U}/posts`, `${U}/nope/${ids.bob}`, `${U}/users/nosuchaccount`, `${U}/users/nosuchaccount/api-keys`]) {
        const r = await call('GET', p);
        assert.equal(r.status, 404, `${p}: ${r.text}`);
        assert.equal(r.body.type, 'strata/not-found');
      }
      for (const [m, p] of [['PATCH', `${U}/users/nosuchaccount`], ['POST', `${U}/users/nosuchaccount/password-reset`], ['POST', `${U}/users/nosuchaccount/revoke-sessions`], ['DELETE', `${U}/users/nosuchaccount/mfa`], ['DELETE', `${U}/users/${ids.bob}/api-keys/nosuchkey`]]) {
        const r = await call(m, p, { body: m === 'PATCH' ? { verified: true } : undefined });
        assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
      }
    });

    test('list: the auth collections; every account sorted by email, search by email, pages with a total; bad input is 400', async () => {
      const colls = await call('GET', U);
      assert.equal(colls.status, 200, colls.text);
      const names = (colls.body.items as Array<{ name: string }>).map((c) => c.name);
      assert.ok(names.includes('users') && names.includes('_superusers') && !names.includes('posts'), colls.text);
      const mfaOf = Object.fromEntries((colls.body.items as Array<{ name: string; mfa: string }>).map((c) => [c.name, c.mfa]));
      assert.equal(mfaOf.staff, 'required');
      assert.equal(mfaOf.users, 'optional');
      const all = await call('GET', `${U}/users`);
      assert.equal(all.status, 200, all.text);
      assert.deepEqual((all.body.items as Array<{ email: string }>).map((a) => a.email), ['alice@example.com', 'bob@example.com', 'carol@example.com']);
      assert.equal(all.body.totalItems, 3);
      const item = (all.body.items as Array<Record<string, unknown>>)[0];
      assert.deepEqual(Object.keys(item).sort(), ['created', 'email', 'id', 'mfa', 'updated', 'verified']);
      const found = await call('GET', `${U}/users?q=CAR`);
      assert.deepEqual((found.body.items as Array<{ id: string }>).map((a) => a.id), [ids.carol]);
      const page2 = await call('GET', `${U}/users?perPage=2&page=2`);
      assert.deepEqual((page2.body.items as Array<{ id: string }>).map((a) => a.id), [ids.carol]);
      assert.equal(page2.body.totalItems, 3);
      for (const q of ['a"b', 'a\\b']) assert.equal((await call('GET', `${U}/users?q=${encodeURIComponent(q)}`)).status, 400, `a quote or backslash cannot end the search string: ${q}`);
      assert.equal((await call('GET', `${U}/users?perPage=1000`)).status, 400);
      assert.equal((await call('GET', `${U}/users?colour=red`)).status, 400);
    });

    test('verify and unverify: the flag changes on the account, seen over REST', async () => {
      const v = await call('PATCH', `${U}/users/${ids.bob}`, { body: { verified: true } });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.body.verified, true);
      const bob = await tokenOf('bob@example.com');
      assert.equal(((await me(bob)).body.record as { verified: unknown }).verified, true, 'the account sees it');
      assert.equal((await call('PATCH', `${U}/users/${ids.bob}`, { body: { verified: 'yes' } })).status, 400);
      assert.equal((await call('PATCH', `${U}/users/${ids.bob}`, { body: { verified: false, email: 'x@example.com' } })).status, 400, 'only the flag');
      assert.equal((await call('PATCH', `${U}/users/${ids.bob}`, { body: { verified: false } })).body.verified, false);
      assert.equal((await call('GET', `/api/collections/users/records/${ids.bob}`)).body.verified, false, 'the records API too');
    });

    test('password reset: the mail arrives and its link sets a new password', async () => {
      const r = await call('POST', `${U}/users/${ids.carol}/password-reset`, { body: {} });
      assert.equal(r.status, 202, r.text);
      const m = await smtp.mailTo('carol@example.com', /Reset/);
      assert.match(m.text ?? '', /https:\/\/app\.example\.com\/auth\/reset-password\?token=/);
      const done = await call('POST', '/api/collections/users/auth/confirm-password-reset', { body: { token: linkToken(m), password: PASS2 }, token: null });
      assert.equal(done.status, 204, done.text);
      assert.equal((await login('carol@example.com')).status, 401, 'the old password is gone');
      assert.equal((await login('carol@example.com', PASS2)).status, 200);
    });

    test('revoke sessions: the account\'s token and API keys are refused at once; a new login works', async () => {
      const t = await tokenOf('alice@example.com');
      const key = String((await call('POST', '/api/collections/users/auth/api-keys', { body: { name: 'old' }, token: t })).body.key);
      assert.equal((await me(t)).status, 200);
      assert.equal((await me(key)).status, 200);
      assert.equal((await call('POST', `${U}/users/${ids.alice}/revoke-sessions`, { body: {} })).status, 204);
      assert.equal((await me(t)).status, 401);
      assert.equal((await me(key)).status, 401, 'API keys end too');
      assert.equal((await me(await tokenOf('alice@example.com'))).status, 200);
    });

    test('API keys: listed without secrets; a revoked key is refused; another account\'s key id is 404', async () => {
      const t = await tokenOf('alice@example.com');
      const made = await call('POST', '/api/collections/users/auth/api-keys', { body: { name: 'ci' }, token: t });
      assert.equal(made.status, 201, made.text);
      const key = String(made.body.key);
      assert.equal((await me(key)).status, 200);
      const list = await call('GET', `${U}/users/${ids.alice}/api-keys`);
      assert.equal(list.status, 200);
      const items = list.body.items as Array<Record<string, unknown>>;
      const byName = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.name).localeCompare(String(b.name));
      assert.deepEqual([...items].sort(byName).map((k) => [k.name, k.revokedAt === null]), [['ci', true], ['old', false]], 'the one revoke-sessions ended is marked revoked');
      assert.equal(items.find((k) => k.name === 'ci')?.id, made.body.id);
      assert.ok(!list.text.includes(key.slice(-20)) && !/secretHash|userId/.test(list.text), 'no secret');
      assert.deepEqual((await call('GET', `${U}/users/${ids.alice}`)).body.apiKeys, items, 'the account view lists them too');
      assert.equal((await call('DELETE', `${U}/users/${ids.bob}/api-keys/${String(made.body.id)}`)).status, 404, "bob does not own alice's key");
      assert.equal((await me(key)).status, 200);
      assert.equal((await call('DELETE', `${U}/users/${ids.alice}/api-keys/${String(made.body.id)}`)).status, 204);
      assert.equal((await me(key)).status, 401);
      const after = (await call('GET', `${U}/users/${ids.alice}/api-keys`)).body.items as Array<{ id: unknown; revokedAt: unknown }>;
      assert.equal(typeof after.find((k) => k.id === made.body.id)?.revokedAt, 'number');
    });

    test('disable MFA: the account then logs in with its password alone; 409 when there is none', async () => {
      const t = await tokenOf('bob@example.com');
      const enrol = await call('POST', '/api/collections/users/auth/mfa/totp', { body: {}, token: t });
      assert.equal(enrol.status, 200, enrol.text);
      const totp = OTPAuth.URI.parse(String(enrol.body.uri)) as OTPAuth.TOTP;
      assert.equal((await call('POST', '/api/collections/users/auth/mfa/totp/confirm', { body: { code: totp.generate() }, token: t })).status, 200);
      const asked = await login('bob@example.com');
      assert.equal(asked.status, 401);
      assert.equal(asked.body.type, 'strata/mfa-required');
      assert.equal((await call('GET', `${U}/users?q=bob`)).text.includes('"mfa":true'), true);
      assert.equal((await call('DELETE', `${U}/users/${ids.bob}/mfa`)).status, 204);
      const plain = await login('bob@example.com');
      assert.equal(plain.status, 200, plain.text);
      assert.equal(typeof plain.body.token, 'string');
      assert.equal((await call('GET', `${U}/users/${ids.bob}`)).body.mfa, false);
      const again = await call('DELETE', `${U}/users/${ids.bob}/mfa`);
      assert.equal(again.status, 409);
      assert.equal(again.body.type, 'strata/conflict');
    });

    test('disable MFA in a collection with auth.mfa: required is refused (409, the reason named); the factor stays', async () => {
      const made = await call('POST', '/api/collections/staff/records', { body: { email: 'dana@example.com', password: PASS, passwordConfirm: PASS } });
      assert.equal(made.status, 201, made.text);
      const id = String(made.body.id);
      const staffLogin = () => call('POST', '/api/collections/staff/auth/login', { body: { identity: 'dana@example.com', password: PASS }, token: null });
      const first = await staffLogin();
      assert.equal(first.body.type, 'strata/mfa-enrollment-required', first.text);
      const enrolToken = String(first.body.enrollmentToken);
      const enrol = await call('POST', '/api/collections/staff/auth/mfa/totp', { body: {}, token: enrolToken });
      assert.equal(enrol.status, 200, enrol.text);
      const totp = OTPAuth.URI.parse(String(enrol.body.uri)) as OTPAuth.TOTP;
      assert.equal((await call('POST', '/api/collections/staff/auth/mfa/totp/confirm', { body: { code: totp.generate() }, token: enrolToken })).status, 200);
      assert.equal((await call('GET', `${U}/staff/${id}`)).body.mfa, true);
      const refused = await call('DELETE', `${U}/staff/${id}/mfa`);
      assert.equal(refused.status, 409, refused.text);
      assert.match(refused.contentType, /^application\/problem\+json/);
      assert.equal(refused.body.type, 'strata/conflict');
      assert.match(String(refused.body.detail), /requires a second factor \(auth\.mfa: required\)/);
      assert.equal((await call('GET', `${U}/staff/${id}`)).body.mfa, true, 'still on');
      assert.equal((await staffLogin()).body.type, 'strata/mfa-required', 'the password alone still does not sign in');
    });

    test('every change a superuser made here is in the audit log; reads are not', async () => {
      // The audit entry is written once the answer is sent (onResponse), so the last one may land a moment
      // after the client saw its 409: read until it is there, for at most 10 s.
      type Entry = { target?: string; action: string; outcome: string };
      let targets: Entry[] = [];
      for (const deadline = Date.now() + 10_000; ; ) {
        const audit = await call('GET', '/api/admin/audit?limit=500');
        assert.equal(audit.status, 200, audit.text);
        targets = (audit.body.items as Entry[]).filter((e) => String(e.target).startsWith(U));
        if (targets.some((e) => e.target === `${U}/users/${ids.bob}/mfa` && e.outcome === 'failure') || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const p of [`${U}/users/${ids.bob}/mfa`, `${U}/users/${ids.alice}/revoke-sessions`, `${U}/users/${ids.carol}/password-reset`, `${U}/users/${ids.bob}`]) {
        assert.ok(targets.some((e) => e.target === p && e.outcome === 'success' && e.action === 'superuser.request'), p);
      }
      assert.ok(targets.some((e) => e.target === `${U}/users/${ids.bob}/mfa` && e.outcome === 'failure'), 'the refused second disable too');
      assert.ok(!targets.some((e) => e.target === `${U}/users`), 'a list is a read');
    });
  });
}
