// Issue 13, the account-safety holes, replayed over HTTPS against a real Strata process per engine (run by
// test/auth-account-safety-{sqlite,postgres}.test.ts): each test performs the attack and asserts it now fails.
// Hole 5 (a read-only API key changes account security), 7 (MFA codes not throttled), 8 (the login throttle
// raced), 9 (API keys not revocable over HTTP), 11 (email change without confirmation or notice), and the
// minor items (sign-up enumeration, failed-login audit without the account, reset requests without the ip).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import * as OTPAuth from 'otpauth';
import type { ParsedMail } from 'mailparser';
import { linkToken, smtpCapture } from './helpers/smtp-capture.js';
import { runStrata, startStrata, tempDir, type StrataProcess } from './helpers/strata-process.js';

const PW = 'correct horse battery staple 42';
/** `auth.recentLogin` here: short, so one test can outlive it. */
const RECENT = 15;

const CONFIG = (data: string, smtpPort: number) => `
${data ? `data:\n${data}\n` : ''}auth:
  recentLogin: ${RECENT}
  email:
    from: "Strata Test <no-reply@example.com>"
    linkBase: https://app.example.com
    pollInterval: 100
    smtp: { host: 127.0.0.1, port: ${smtpPort}, security: none }
  throttle:
    accountFreeAttempts: 50
    accountLockoutAfter: 10
    ipFreeAttempts: 1000
collections:
  - name: users
    type: auth
    fields:
      - { name: name, type: text }
    rules:
      list: "id = @request.auth.id"
      view: "id = @request.auth.id"
      create: ""
      update: "id = @request.auth.id"
      delete: "id = @request.auth.id"
  - name: notes
    fields:
      - { name: body, type: text }
      - { name: owner, type: relation, collection: users }
    rules:
      list: "owner = @request.auth.id"
      view: "owner = @request.auth.id"
      create: "owner = @request.auth.id"
`;

interface Res {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

/** `http`: the attacks over HTTP; `ops`: the operator commands (strata keys list|revoke|rotate) on the same data. */
export function accountSafety(engine: string, data: () => Promise<string>, skip: false | string, part: 'http' | 'ops' = 'http'): void {
  describe(`account safety (${part}) over HTTPS: ${engine}`, { skip, timeout: 300_000 }, () => {
    let s: StrataProcess;
    let base = '';
    let agent: Agent;
    const dir = tempDir('strata-safety-');
    const smtp = smtpCapture();
    const mailTo = smtp.mailTo;
    async function call(method: string, path: string, opts: { body?: unknown; token?: string; cookie?: string } = {}): Promise<Res> {
      const headers: Record<string, string> = {};
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.cookie) Object.assign(headers, { cookie: opts.cookie, origin: base });
      const r = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), dispatcher: agent });
      const text = await r.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      return { status: r.status, body, text };
    }
    const A = '/api/collections/users/auth';
    const signup = (email: string) => call('POST', '/api/collections/users/records', { body: { email, password: PW, passwordConfirm: PW, name: email.split('@')[0] } });
    const login = (email: string, password = PW) => call('POST', `${A}/login`, { body: { identity: email, password } });
    async function account(email: string): Promise<{ id: string; token: string; refreshToken: string }> {
      const made = await signup(email);
      assert.equal(made.status, 201, made.text);
      const l = await login(email);
      assert.equal(l.status, 200, l.text);
      return { id: String(made.body.id), token: String(l.body.token), refreshToken: String(l.body.refreshToken) };
    }
    async function enrolTotp(token: string): Promise<OTPAuth.TOTP> {
      const start = await call('POST', `${A}/mfa/totp`, { token });
      assert.equal(start.status, 200, start.text);
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(String(start.body.secret)), digits: 6, period: 30 });
      const ok = await call('POST', `${A}/mfa/totp/confirm`, { token, body: { code: totp.generate() } });
      assert.equal(ok.status, 200, ok.text);
      return totp;
    }
    /** A fresh, recent sign-in with password and TOTP (enrolling ends the tokens issued before it). */
    async function signInWithTotp(email: string, totp: OTPAuth.TOTP): Promise<string> {
      const first = await login(email);
      assert.equal(first.status, 401, first.text);
      // The next step's code: the enrolment used this step's, and a used step is not accepted twice.
      const r = await call('POST', `${A}/mfa`, { body: { mfaToken: first.body.mfaToken, code: totp.generate({ timestamp: Date.now() + 30_000 }) } });
      assert.equal(r.status, 200, r.text);
      return String(r.body.token);
    }
    /** A 6-digit code that is none of the codes valid around now. */
    const wrongCode = (totp: OTPAuth.TOTP, i: number) => {
      const valid = new Set([-60_000, -30_000, 0, 30_000, 60_000].map((d) => totp.generate({ timestamp: Date.now() + d })));
      for (let n = i; ; n++) {
        const c = String((n * 7919 + 123_457) % 1_000_000).padStart(6, '0');
        if (!valid.has(c)) return c;
      }
    };

    before(async () => {
      const d = await data();
      writeFileSync(join(dir, 'strata.yaml'), CONFIG(d, await smtp.start()));
      s = await startStrata({ cwd: dir, args: ['serve', '--no-http', '--https-port', '0', '--data-dir', join(dir, 'data')] });
      base = s.https!;
      agent = new Agent({ connect: { ca: readFileSync(s.ca!) } });
    });
    after(async () => {
      await s?.stop();
      await agent?.close();
      await smtp.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    if (part === 'http') test('hole 5: an API key scoped records:notes:read cannot enrol TOTP, log out everywhere or touch keys, password or email', async () => {
      const alice = await account('alice5@example.com');
      const made = await call('POST', `${A}/api-keys`, { token: alice.token, body: { name: 'reader', scopes: ['records:notes:read'] } });
      assert.equal(made.status, 201, made.text);
      const key = String(made.body.key);
      assert.equal((await call('GET', '/api/collections/notes/records', { token: key })).status, 200, 'the key still does what its scope allows');
      const attempts: Array<[string, string, unknown?]> = [
        ['POST', `${A}/mfa/totp`],
        ['POST', `${A}/mfa/totp/confirm`, { code: '123456' }],
        ['DELETE', `${A}/mfa/totp`, { code: '123456' }],
        ['POST', `${A}/logout-all`],
        ['POST', `${A}/api-keys`, { name: 'more' }],
        ['GET', `${A}/api-keys`],
        ['DELETE', `${A}/api-keys/${String(made.body.id)}`],
        ['POST', `${A}/request-email-change`, { newEmail: 'thief@example.com', password: PW }],
        ['PATCH', `/api/collections/users/records/${alice.id}`, { password: 'another strong passphrase 9', oldPassword: PW }],
        ['POST', '/api/collections/notes/records', { body: 'by key', owner: alice.id }],
        ['GET', '/api/admin/audit'],
      ];
      for (const [method, path, body] of attempts) {
        const r = await call(method, path, { token: key, body });
        assert.equal(r.status, 403, `${method} ${path} with a read-only key: ${r.text}`);
      }
      const me = await call('GET', `${A}/me`, { token: alice.token });
      assert.equal(me.body.mfa, false, 'no TOTP was enrolled');
      assert.equal((await call('POST', `${A}/refresh`, { body: { refreshToken: alice.refreshToken } })).status, 200, 'logout-all did not run');
      assert.equal((await login('alice5@example.com')).status, 200, 'the password is unchanged');
    });

    if (part === 'http') test('hole 5: account-security routes need a recent login (auth.recentLogin); a refreshed token or an old session is not one', async () => {
      const bob = await account('bob5@example.com');
      const refreshed = await call('POST', `${A}/refresh`, { body: { refreshToken: bob.refreshToken } });
      assert.equal(refreshed.status, 200);
      const stale = await call('POST', `${A}/mfa/totp`, { token: String(refreshed.body.token) });
      assert.equal(stale.status, 403, stale.text);
      assert.match(String(stale.body.type), /recent-login-required$/);
      assert.equal((await call('GET', `${A}/api-keys`, { token: bob.token })).status, 200, 'the login token is recent');
      const session = await fetch(`${base}${A}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: 'bob5@example.com', password: PW, mode: 'session' }), dispatcher: agent });
      assert.equal(session.status, 200);
      const cookie = String(session.headers.get('set-cookie')).split(';')[0];
      assert.equal((await call('GET', `${A}/api-keys`, { cookie })).status, 200, 'a fresh session is recent');
      await sleep((RECENT + 1) * 1000);
      for (const cred of [{ token: bob.token }, { cookie }]) {
        const r = await call('POST', `${A}/logout-all`, cred);
        assert.equal(r.status, 403, `after ${RECENT}s: ${r.text}`);
        assert.match(String(r.body.type), /recent-login-required$/);
      }
      assert.equal((await call('GET', `${A}/me`, { token: bob.token })).status, 200, 'other routes do not need a recent login');
    });

    if (part === 'http') test('hole 7: 30 wrong MFA codes, each after a fresh password login, lock the second factor; the right code is then refused too', async () => {
      const carol = await account('carol7@example.com');
      const totp = await enrolTotp(carol.token);
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const first = await login('carol7@example.com');
        assert.equal(first.status, 401, first.text);
        const r = await call('POST', `${A}/mfa`, { body: { mfaToken: first.body.mfaToken, code: i % 3 === 2 ? `abcde-${String(i).padStart(5, '0')}` : wrongCode(totp, i) } });
        statuses.push(r.status);
      }
      assert.deepEqual(statuses, [...Array(10).fill(401), ...Array(20).fill(429)], 'locked after 10 wrong codes (TOTP and recovery codes alike)');
      const last = await login('carol7@example.com');
      const right = await call('POST', `${A}/mfa`, { body: { mfaToken: last.body.mfaToken, code: totp.generate() } });
      assert.equal(right.status, 429, 'the right code is not accepted while locked');
      assert.ok(!('token' in right.body));
    });

    if (part === 'http') test('hole 7: DELETE auth/mfa/totp with 30 concurrent wrong codes checks 10 and locks; TOTP stays on', async () => {
      const dan = await account('dan7@example.com');
      const totp = await enrolTotp(dan.token);
      const token = await signInWithTotp('dan7@example.com', totp);
      // All at once (within the recent-login window, and a race on the MFA counter too).
      const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => call('DELETE', `${A}/mfa/totp`, { token, body: { code: wrongCode(totp, i) } })));
      const count = (st: number) => rs.filter((r) => r.status === st).length;
      assert.deepEqual({ checked: count(401), refused: count(429) }, { checked: 10, refused: 20 }, rs.map((r) => r.status).join(' '));
      assert.equal((await call('DELETE', `${A}/mfa/totp`, { token, body: { code: totp.generate() } })).status, 429);
      assert.equal((await call('GET', `${A}/me`, { token })).body.mfa, true);
    });

    if (part === 'http') test('hole 8: 30 and 60 concurrent wrong passwords for one account get exactly 10 checked', async () => {
      for (const n of [30, 60]) {
        const email = `erin${n}@example.com`;
        assert.equal((await signup(email)).status, 201);
        const rs = await Promise.all(Array.from({ length: n }, (_, i) => login(email, `wrong guess number ${i}`)));
        const count = (st: number) => rs.filter((r) => r.status === st).length;
        assert.deepEqual({ checked: count(401), refused: count(429) }, { checked: 10, refused: n - 10 }, `n=${n}`);
        assert.equal((await login(email)).status, 429, 'and the account is locked');
      }
    });

    if (part === 'http') test('hole 9: API keys are listed and revoked over HTTP; a revoked key stops working; others cannot revoke it', async () => {
      const fay = await account('fay9@example.com');
      const gus = await account('gus9@example.com');
      const k1 = await call('POST', `${A}/api-keys`, { token: fay.token, body: { name: 'one', scopes: ['records:read'] } });
      const k2 = await call('POST', `${A}/api-keys`, { token: fay.token, body: { name: 'two' } });
      assert.equal(k1.status, 201);
      const list = await call('GET', `${A}/api-keys`, { token: fay.token });
      assert.equal(list.status, 200, list.text);
      const items = list.body.items as Array<Record<string, unknown>>;
      assert.deepEqual(items.map((k) => k.name).sort(), ['one', 'two']);
      for (const k of items) for (const secret of ['key', 'secretHash', 'secret_hash', 'userId']) assert.ok(!(secret in k), secret);
      assert.ok(!list.text.includes(String(k1.body.key).slice(20)));
      const id1 = String(k1.body.id);
      assert.equal((await call('GET', '/api/collections/notes/records', { token: String(k1.body.key) })).status, 200);
      assert.equal((await call('DELETE', `${A}/api-keys/${id1}`, { token: gus.token })).status, 404, "someone else's key is not found");
      assert.equal((await call('DELETE', `${A}/api-keys/nosuchkey123`, { token: fay.token })).status, 404);
      assert.equal((await call('GET', '/api/collections/notes/records', { token: String(k1.body.key) })).status, 200, 'still valid');
      assert.equal((await call('DELETE', `${A}/api-keys/${id1}`, { token: fay.token })).status, 204);
      assert.equal((await call('GET', '/api/collections/notes/records', { token: String(k1.body.key) })).status, 401, 'revoked');
      assert.equal((await call('GET', '/api/collections/notes/records', { token: String(k2.body.key) })).status, 200, 'the other key lives');
      const after = (await call('GET', `${A}/api-keys`, { token: fay.token })).body.items as Array<{ id: string; revokedAt: number | null }>;
      assert.ok(after.find((k) => k.id === id1)?.revokedAt);
    });

    if (part === 'ops') test('hole 9: an operator lists and revokes an account\'s API keys with strata keys list|revoke', async () => {
      const ivy = await account('ivy9@example.com');
      assert.equal((await signup('other9@example.com')).status, 201);
      const made = await Promise.all(['ci', 'deploy', 'spare'].map((name) => call('POST', `${A}/api-keys`, { token: ivy.token, body: { name, scopes: ['records:read'] } })));
      const [ci, deploy] = made.map((m) => ({ id: String(m.body.id), key: String(m.body.key) }));
      const cli = (...args: string[]) => runStrata({ cwd: dir, args: ['keys', ...args, '--data-dir', join(dir, 'data')] });
      const list = await cli('list', '--account', 'IVY9@example.com');
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /3 API key\(s\) of users\//);
      for (const m of made) assert.match(list.stdout, new RegExp(`${String(m.body.id)}\\s+"${String(m.body.name)}".*active`));
      for (const m of made) assert.ok(!list.stdout.includes(String(m.body.key).slice(16)), 'no secrets');
      const one = await cli('revoke', ci.id, '--account', ivy.id);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, new RegExp(`revoked ${ci.id}`));
      assert.equal((await call('GET', '/api/collections/notes/records', { token: ci.key })).status, 401, 'revoked at once, server still running');
      assert.equal((await call('GET', '/api/collections/notes/records', { token: deploy.key })).status, 200);
      const other = await cli('revoke', deploy.id, '--account', 'other9@example.com');
      assert.equal(other.code, 1, 'a key of another account is not revoked');
      const all = await cli('revoke', '--all', '--account', 'ivy9@example.com');
      assert.equal(all.code, 0, all.stderr);
      assert.equal((await call('GET', '/api/collections/notes/records', { token: deploy.key })).status, 401);
      assert.match((await cli('list', '--account', 'ivy9@example.com')).stdout, /revoked .*\n.*revoked .*\n.*revoked /);
      const usage = await cli('revoke', '--account', 'ivy9@example.com');
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /needs key ids or --all/);
      assert.equal((await cli('list', '--account', 'nobody@example.com')).code, 1);
    });

    if (part === 'http') test('hole 11: email change needs the password or a recent login, is confirmed through the new address and tells the old one', async () => {
      const hal = await account('hal11@example.com');
      await mailTo('hal11@example.com', /Verify/);
      const patch = await call('PATCH', `/api/collections/users/records/${hal.id}`, { token: hal.token, body: { email: 'hal-new@example.com' } });
      assert.equal(patch.status, 400, 'no direct change through PATCH');
      const refreshed = String((await call('POST', `${A}/refresh`, { body: { refreshToken: hal.refreshToken } })).body.token);
      assert.equal((await call('POST', `${A}/request-email-change`, { body: { newEmail: 'not an address' } })).status, 401, 'anonymous: refused before its body is judged');
      assert.equal((await call('POST', `${A}/request-email-change`, { token: refreshed, body: { newEmail: 'hal-new@example.com' } })).status, 403, 'no recent login, no password');
      assert.equal((await call('POST', `${A}/request-email-change`, { token: refreshed, body: { newEmail: 'hal-new@example.com', password: 'not the password 77' } })).status, 400, 'wrong password');
      const asked = await call('POST', `${A}/request-email-change`, { token: refreshed, body: { newEmail: 'HAL-new@example.com', password: PW } });
      assert.equal(asked.status, 204, asked.text);
      assert.equal(((await call('GET', `${A}/me`, { token: hal.token })).body.record as { email: string }).email, 'hal11@example.com', 'nothing changes before the link is followed');
      const link = await mailTo('hal-new@example.com', /Confirm your new/);
      assert.match(link.text ?? '', /https:\/\/app\.example\.com\/auth\/confirm-email-change\?token=/);
      const token = linkToken(link);
      assert.equal((await call('POST', `${A}/confirm-email-change`, { body: { token: 'x'.repeat(43) } })).status, 401);
      assert.equal((await call('POST', `${A}/confirm-email-change`, { body: { token } })).status, 204);
      assert.equal((await call('POST', `${A}/confirm-email-change`, { body: { token } })).status, 401, 'single use');
      const notice = await mailTo('hal11@example.com', /email address was changed/);
      assert.match(notice.text ?? '', /hal-new@example\.com/);
      assert.equal((await login('hal11@example.com')).status, 401);
      const now = await login('hal-new@example.com');
      assert.equal(now.status, 200);
      assert.equal((now.body.record as { verified: boolean }).verified, true, 'the link proved the new address');
    });

    if (part === 'ops') test('minor: the failed-login audit entry names the account; a reset request keeps the caller ip', async () => {
      const kim = await account('kim13@example.com');
      assert.equal((await login('kim13@example.com', 'not the password 99')).status, 401);
      assert.equal((await login('nobody13@example.com', 'not the password 99')).status, 401);
      assert.equal((await call('POST', `${A}/request-password-reset`, { body: { email: 'kim13@example.com' } })).status, 204);
      await mailTo('kim13@example.com', /Reset/);
      const link = /setup: .* at (\S+)\/_strata\/setup#(\S+)/.exec(s.output());
      assert.ok(link, s.output());
      assert.equal((await call('POST', '/_strata/setup', { body: { token: link![2], email: 'root13@example.com', password: PW } })).status, 201);
      const su = String((await call('POST', '/api/collections/_superusers/auth/login', { body: { identity: 'root13@example.com', password: PW } })).body.token);
      type Entry = { action: string; target: string; ip: string | null; actor: { id: string } | null; details: Record<string, unknown> };
      let items: Entry[] = [];
      for (let i = 0; i < 50 && !items.some((x) => x.action === 'auth.password.reset.request'); i++) {
        items = (await call('GET', '/api/admin/audit?action=auth&limit=500', { token: su })).body.items as Entry[];
        await sleep(50);
      }
      const failures = items.filter((x) => x.action === 'auth.login.failure');
      assert.ok(failures.some((x) => x.target === `users/${kim.id}`), JSON.stringify(failures));
      assert.ok(failures.some((x) => x.target === 'users'), 'an unknown account is not named (nor the identity typed)');
      assert.ok(!JSON.stringify(failures).includes('nobody13'));
      const reset = items.find((x) => x.action === 'auth.password.reset.request');
      assert.ok(reset, JSON.stringify(items.map((x) => x.action)));
      assert.match(String(reset!.ip), /127\.0\.0\.1/, 'the reset request keeps the caller ip');
    });

    if (part === 'ops') test('minor: strata keys rotate re-encrypts TOTP secrets too; with only the new key left, TOTP still works', async () => {
      const jo = await account('jo13@example.com');
      const totp = await enrolTotp(jo.token);
      await s.stop();
      const rotated = await runStrata({ cwd: dir, args: ['keys', 'rotate', '--data-dir', join(dir, 'data')] });
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /TOTP secrets (\d+)\/\1 re-encrypted/);
      // Drop every old key: a secret left under one of them would no longer decrypt.
      const keyFile = join(dir, 'data', 'keys', 'encryption.json');
      const keys = JSON.parse(readFileSync(keyFile, 'utf8')) as { current: string; keys: Record<string, string> };
      writeFileSync(keyFile, JSON.stringify({ ...keys, keys: { [keys.current]: keys.keys[keys.current] } }), { mode: 0o600 });
      s = await startStrata({ cwd: dir, args: ['serve', '--no-http', '--https-port', '0', '--data-dir', join(dir, 'data')] });
      base = s.https!;
      await agent.close();
      agent = new Agent({ connect: { ca: readFileSync(s.ca!) } });
      const first = await login('jo13@example.com');
      assert.equal(first.status, 401, first.text);
      const done = await call('POST', `${A}/mfa`, { body: { mfaToken: first.body.mfaToken, code: totp.generate({ timestamp: Date.now() + 30_000 }) } });
      assert.equal(done.status, 200, done.text);
    });
  });
}
