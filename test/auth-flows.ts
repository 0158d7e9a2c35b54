// Auth end to end over HTTPS against a real Strata process, run per engine by
// test/auth-flows-{sqlite,postgres}.test.ts: sign-up, login (tokens and cookie sessions), MFA,
// refresh rotation and reuse, API key scopes, superuser setup, access rules compiled to SQL,
// and the attacks the issue lists (forged JWTs, CSRF, fixation, enumeration, rule bypass, mass assignment).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import * as OTPAuth from 'otpauth';
import { SignJWT, generateKeyPair, UnsecuredJWT, decodeProtectedHeader } from 'jose';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { startStrata, tempDir, type StrataProcess } from './helpers/strata-process.js';

export interface FlowEngine {
  /** `data:` section lines for strata.yaml (indented by two spaces), or '' for the embedded SQLite. */
  data: string;
}

const STRONG = 'correct horse battery staple 42';
const STRONG2 = 'violet umbrella marching north 7';
const STRONG3 = 'seven quiet lanterns over harbor 3';

const CONFIG = (data: string, smtpPort: number) => `
${data ? `data:\n${data}\n` : ''}auth:
  email:
    from: "Strata Test <no-reply@example.com>"
    linkBase: https://app.example.com
    pollInterval: 100
    smtp: { host: 127.0.0.1, port: ${smtpPort}, security: none }
  throttle:
    accountFreeAttempts: 50
    ipFreeAttempts: 1000
collections:
  - name: users
    type: auth
    fields:
      - { name: name, type: text }
      - { name: role, type: select, values: [member, admin] }
    rules:
      list: "id = @request.auth.id || @request.auth.role = 'admin'"
      view: "id = @request.auth.id || @request.auth.role = 'admin'"
      create: "@request.body.role:isset = false"
      update: "id = @request.auth.id && @request.body.role:isset = false"
      delete: "id = @request.auth.id"
  - name: posts
    fields:
      - { name: title, type: text, required: true }
      - { name: secret, type: text }
      - { name: owner, type: relation, collection: users, onDelete: cascade }
    rules:
      list: "owner = @request.auth.id"
      view: "owner = @request.auth.id"
      create: "@request.auth.id != '' && owner = @request.auth.id"
      update: "owner = @request.auth.id && (@request.body.owner:isset = false || @request.body.owner = @request.auth.id)"
      delete: "owner = @request.auth.id"
  - name: notes
    fields:
      - { name: body, type: text }
`;

interface Res {
  status: number;
  headers: { get(name: string): string | null };
  body: Record<string, unknown>;
  text: string;
}

export function authFlows(engine: string, setup: () => Promise<FlowEngine>, skip: false | string): void {
  describe(`auth flows over HTTPS: ${engine}`, { skip, timeout: 300_000 }, () => {
    let s: StrataProcess;
    let base = '';
    let agent: Agent;
    const dir = tempDir('strata-auth-');
    const mail: ParsedMail[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, cb) {
        simpleParser(stream).then((m) => (mail.push(m), cb()), cb);
      },
    });
    /** The link token of the next email to `to` whose subject matches. */
    async function mailTo(to: string, subject: RegExp): Promise<{ token: string; mail: ParsedMail }> {
      for (let i = 0; i < 400; i++) {
        const m = mail.find((x) => x.to && JSON.stringify(x.to).includes(to) && subject.test(x.subject ?? ''));
        if (m) {
          mail.splice(mail.indexOf(m), 1);
          const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(m.text ?? '')?.[1];
          assert.ok(token, m.text);
          return { token: token!, mail: m };
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no email to ${to} matching ${subject}`);
    }

    async function call(method: string, path: string, opts: { body?: unknown; token?: string; cookie?: string; headers?: Record<string, string>; raw?: string } = {}): Promise<Res> {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.cookie) headers.cookie = opts.cookie;
      const r = await fetch(base + path, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)), dispatcher: agent });
      const text = await r.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      return { status: r.status, headers: r.headers, body, text };
    }
    const signup = (email: string, extra: Record<string, unknown> = {}) =>
      call('POST', '/api/collections/users/records', { body: { email, password: STRONG, passwordConfirm: STRONG, name: email.split('@')[0], ...extra } });
    const login = (email: string, password = STRONG) => call('POST', '/api/collections/users/auth/login', { body: { identity: email, password } });

    const ids: Record<string, string> = {};
    const tokens: Record<string, string> = {};

    before(async () => {
      const e = await setup();
      await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
      writeFileSync(join(dir, 'strata.yaml'), CONFIG(e.data, (smtp.server.address() as { port: number }).port));
      s = await startStrata({ cwd: dir, args: ['serve', '--no-http', '--https-port', '0', '--data-dir', join(dir, 'data')] });
      base = s.https!;
      agent = new Agent({ connect: { ca: readFileSync(s.ca!) } });
    });
    after(async () => {
      await s?.stop();
      await agent?.close();
      await new Promise<void>((r) => smtp.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    });

    test('sign-up stores a hashed password and never returns it; bad input and mass assignment are refused', async () => {
      const weak = await signup('weak@example.com', { password: 'password1234', passwordConfirm: 'password1234' });
      assert.equal(weak.status, 400);
      assert.ok((weak.body.errors as { field: string }[]).some((x) => x.field === 'password'));
      const mismatch = await signup('mm@example.com', { passwordConfirm: 'something else entirely 9' });
      assert.equal(mismatch.status, 400);
      const role = await signup('role@example.com', { role: 'admin' });
      assert.equal(role.status, 403, 'the create rule refuses a role chosen by the client');
      const verified = await signup('ver@example.com', { verified: true });
      assert.equal(verified.status, 400);
      assert.deepEqual((verified.body.errors as { field: string }[]).map((x) => x.field), ['verified']);
      const created = await signup('x1@example.com', { created: '2020-01-01T00:00:00Z' });
      assert.equal(created.status, 400);

      const a = await signup('Alice@Example.com');
      assert.equal(a.status, 201, a.text);
      assert.equal(a.body.email, 'alice@example.com');
      assert.equal(a.body.verified, false);
      for (const k of ['password', 'passwordConfirm', 'password_hash', 'passwordHash']) assert.ok(!(k in a.body), k);
      assert.ok(!a.text.includes(STRONG));
      ids.alice = String(a.body.id);
      const b = await signup('bob@example.com');
      assert.equal(b.status, 201);
      ids.bob = String(b.body.id);
      // A registered address answers as a new one would (no enumeration); nothing is kept, the owner is mailed.
      const dup = await signup('ALICE@example.com', { password: STRONG2, passwordConfirm: STRONG2 });
      assert.equal(dup.status, 201, dup.text);
      assert.deepEqual(Object.keys(dup.body).sort(), Object.keys(b.body).sort());
      assert.equal(dup.body.email, 'alice@example.com');
      assert.equal(dup.body.verified, false);
      assert.notEqual(dup.body.id, ids.alice);
      assert.match(String(dup.headers.get('location')), new RegExp(`/records/${String(dup.body.id)}$`));
      assert.equal((await login('alice@example.com', STRONG2)).status, 401, 'the password of the attempt opens nothing');
      assert.equal((await call('GET', `/api/collections/users/records/${String(dup.body.id)}`, { token: String((await login('bob@example.com')).body.token) })).status, 404, 'no record was kept');
      for (let i = 0; i < 400 && !mail.some((m) => JSON.stringify(m.to).includes('alice@example.com') && /account/.test(m.subject ?? '') && /exists already/.test(m.text ?? '')); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const told = mail.find((m) => JSON.stringify(m.to).includes('alice@example.com') && /exists already/.test(m.text ?? ''));
      assert.ok(told, 'the owner is told someone tried to sign up with the address');
      assert.ok(!/token=/.test(told!.text ?? ''), 'and gets no link');
      mail.splice(mail.indexOf(told!), 1);
    });

    test('email verification: the sign-up mail carries a one-time link that verifies the address', async () => {
      const { token, mail: m } = await mailTo('alice@example.com', /Verify/);
      assert.match(m.text ?? '', /https:\/\/app\.example\.com\/auth\/verify-email\?token=/);
      assert.equal((await call('POST', '/api/collections/users/auth/confirm-verification', { body: { token: 'x'.repeat(43) } })).status, 401);
      assert.equal((await call('POST', '/api/collections/users/auth/confirm-verification', { body: { token } })).status, 204);
      assert.equal((await call('POST', '/api/collections/users/auth/confirm-verification', { body: { token } })).status, 401, 'single use');
      const unknown = await call('POST', '/api/collections/users/auth/request-verification', { body: { email: 'nobody@example.com' } });
      assert.equal(unknown.status, 204, 'the same answer for an unknown address');
    });

    test('login gives the same answer for a wrong password and an unknown account', async () => {
      const wrong = await login('alice@example.com', 'not the password at all 1');
      const unknown = await login('nobody@example.com', 'not the password at all 1');
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, 401);
      const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined });
      assert.deepEqual(strip(wrong.body), strip(unknown.body));
      const ok = await login('ALICE@example.com');
      assert.equal(ok.status, 200, ok.text);
      assert.equal((ok.body.record as { id: string }).id, ids.alice);
      assert.equal(typeof ok.body.token, 'string');
      assert.equal(typeof ok.body.refreshToken, 'string');
      tokens.alice = String(ok.body.token);
      tokens.aliceRefresh = String(ok.body.refreshToken);
      const me = await call('GET', '/api/collections/users/auth/me', { token: tokens.alice });
      assert.equal(me.status, 200);
      assert.equal((me.body.record as { email: string }).email, 'alice@example.com');
      assert.equal((me.body.record as { verified: boolean }).verified, true);
      assert.equal((await call('GET', '/api/collections/users/auth/me')).status, 401);
    });

    test('access rules: each user reads and writes only their own records, through every parameter', async () => {
      const mine = await call('POST', '/api/collections/posts/records', { token: tokens.alice, body: { title: 'alice post', secret: 's3cret', owner: ids.alice } });
      assert.equal(mine.status, 201, mine.text);
      ids.alicePost = String(mine.body.id);
      const forged = await call('POST', '/api/collections/posts/records', { token: tokens.alice, body: { title: 'as bob', owner: ids.bob } });
      assert.equal(forged.status, 403);
      const anon = await call('POST', '/api/collections/posts/records', { body: { title: 'anon', owner: ids.alice } });
      assert.equal(anon.status, 403);

      const bob = await login('bob@example.com');
      tokens.bob = String(bob.body.token);
      const list = await call('GET', '/api/collections/posts/records?totalItems=1', { token: tokens.bob });
      assert.equal(list.status, 200);
      assert.equal(list.body.totalItems, 0);
      for (const q of [
        `filter=${encodeURIComponent('owner.email = "alice@example.com"')}`,
        `filter=${encodeURIComponent('owner != "" || id != ""')}`,
        `filter=${encodeURIComponent('title ~ "alice"')}&sort=-secret`,
        'expand=owner&sort=title',
      ]) {
        const r = await call('GET', `/api/collections/posts/records?${q}`, { token: tokens.bob });
        assert.equal(r.status, 200, q);
        assert.deepEqual(r.body.items, [], q);
      }
      assert.equal((await call('GET', `/api/collections/posts/records/${ids.alicePost}`, { token: tokens.bob })).status, 404);
      assert.equal((await call('PATCH', `/api/collections/posts/records/${ids.alicePost}`, { token: tokens.bob, body: { title: 'mine now' } })).status, 404);
      assert.equal((await call('DELETE', `/api/collections/posts/records/${ids.alicePost}`, { token: tokens.bob })).status, 404);
      const agg = await call('GET', '/api/collections/posts/aggregate?metrics=count', { token: tokens.bob });
      assert.equal(agg.status, 200, agg.text);
      assert.deepEqual(agg.body.items, [{ count: 0 }]);
      // Bob cannot probe users through a relation filter on his own post either.
      const own = await call('POST', '/api/collections/posts/records', { token: tokens.bob, body: { title: 'bob post', owner: ids.bob } });
      assert.equal(own.status, 201);
      const probe = await call('GET', `/api/collections/posts/records?filter=${encodeURIComponent('owner.email ~ "alice"')}`, { token: tokens.bob });
      assert.deepEqual(probe.body.items, []);
      // Users see only themselves; a role cannot be self-assigned.
      const users = await call('GET', '/api/collections/users/records', { token: tokens.bob });
      assert.deepEqual((users.body.items as { id: string }[]).map((u) => u.id), [ids.bob]);
      const promote = await call('PATCH', `/api/collections/users/records/${ids.bob}`, { token: tokens.bob, body: { role: 'admin' } });
      assert.equal(promote.status, 404, 'the update rule does not match a body that sets role');
      const moved = await call('PATCH', `/api/collections/posts/records/${ids.alicePost}`, { token: tokens.alice, body: { owner: ids.bob } });
      assert.equal(moved.status, 404, 'alice cannot give her post away (the rule checks @request.body.owner)');
      const still = await call('GET', `/api/collections/posts/records/${ids.alicePost}`, { token: tokens.alice });
      assert.equal(still.status, 200);
      assert.equal(still.body.owner, ids.alice);
      // Collections without rules are for superusers only.
      assert.equal((await call('GET', '/api/collections/notes/records', { token: tokens.alice })).status, 403);
      assert.equal((await call('GET', '/api/collections/notes/records')).status, 403);
      // Batches obey the same rules.
      const batch = await call('POST', '/api/batch', { token: tokens.bob, body: { operations: [{ action: 'delete', collection: 'posts', id: ids.alicePost }] } });
      assert.equal(batch.status, 404);
    });

    test('forged, unsigned and foreign-key JWTs are refused', async () => {
      const [h, p, sig] = tokens.alice.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      const none = new UnsecuredJWT({ ...payload, sub: ids.bob }).encode();
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: ids.bob })).toString('base64url')}.${sig}`;
      const { privateKey } = await generateKeyPair('EdDSA');
      const foreign = await new SignJWT({ ...payload }).setProtectedHeader({ alg: 'EdDSA', kid: decodeProtectedHeader(tokens.alice).kid }).sign(privateKey);
      for (const [name, t] of [
        ['alg none', none],
        ['tampered', tampered],
        ['foreign key', foreign],
        ['garbage', 'abc.def.ghi'],
      ]) {
        const r = await call('GET', '/api/collections/posts/records', { token: t });
        assert.equal(r.status, 401, name);
        assert.match(r.headers.get('www-authenticate') ?? '', /invalid_token/, name);
      }
    });

    test('refresh tokens rotate; replaying a used one revokes the whole family', async () => {
      const first = await call('POST', '/api/collections/users/auth/refresh', { body: { refreshToken: tokens.aliceRefresh } });
      assert.equal(first.status, 200, first.text);
      const next = String(first.body.refreshToken);
      assert.notEqual(next, tokens.aliceRefresh);
      assert.equal((await call('POST', '/api/collections/users/auth/refresh', { body: { refreshToken: tokens.aliceRefresh } })).status, 401);
      assert.equal((await call('POST', '/api/collections/users/auth/refresh', { body: { refreshToken: next } })).status, 401, 'the successor died with its family');
    });

    test('cookie sessions: __Host- cookie, no fixation, CSRF refused from other origins, logout', async () => {
      const planted = 'A'.repeat(43);
      const r = await call('POST', '/api/collections/users/auth/login', { body: { identity: 'bob@example.com', password: STRONG, mode: 'session' }, cookie: `__Host-strata_session=${planted}` });
      assert.equal(r.status, 200, r.text);
      const setCookie = r.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /^__Host-strata_session=/);
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /Secure/i);
      assert.match(setCookie, /SameSite=Lax/i);
      const cookie = setCookie.split(';')[0];
      assert.ok(!cookie.endsWith(planted), 'a session id planted before login never becomes the session');
      const csrf = String(r.body.csrfToken);
      const me = await call('GET', '/api/collections/users/auth/me', { cookie });
      assert.equal(me.status, 200);
      assert.equal(me.body.auth, 'session');
      assert.equal((await call('GET', '/api/collections/users/auth/me', { cookie: `__Host-strata_session=${planted}` })).status, 401);
      const foreign = await call('POST', '/api/collections/posts/records', { cookie, headers: { origin: 'https://evil.example' }, body: { title: 'csrf', owner: ids.bob } });
      assert.equal(foreign.status, 403);
      assert.match(String(foreign.body.type), /csrf/);
      const crossSite = await call('POST', '/api/collections/posts/records', { cookie, headers: { 'sec-fetch-site': 'cross-site' }, body: { title: 'csrf', owner: ids.bob } });
      assert.equal(crossSite.status, 403);
      const form = await call('POST', '/api/collections/posts/records', { cookie, headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' }, raw: 'title=x' });
      assert.equal(form.status, 403, 'a form post without the CSRF token');
      const same = await call('POST', '/api/collections/posts/records', { cookie, headers: { origin: base, 'x-csrf-token': csrf }, body: { title: 'same origin', owner: ids.bob } });
      assert.equal(same.status, 201, same.text);
      assert.equal((await call('POST', '/api/collections/users/auth/logout', { cookie, headers: { origin: base } })).status, 204);
      assert.equal((await call('GET', '/api/collections/users/auth/me', { cookie })).status, 401);
    });

    test('TOTP: enrol, confirm, then login needs a code; a recovery code works once', async () => {
      const start = await call('POST', '/api/collections/users/auth/mfa/totp', { token: tokens.alice });
      assert.equal(start.status, 200, start.text);
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(String(start.body.secret)), digits: 6, period: 30 });
      assert.equal((await call('POST', '/api/collections/users/auth/mfa/totp/confirm', { token: tokens.alice, body: { code: '000000' } })).status, 401);
      const ok = await call('POST', '/api/collections/users/auth/mfa/totp/confirm', { token: tokens.alice, body: { code: totp.generate() } });
      assert.equal(ok.status, 200, ok.text);
      const codes = ok.body.recoveryCodes as string[];
      assert.ok(codes.length >= 8);
      const first = await login('alice@example.com');
      assert.equal(first.status, 401);
      assert.match(String(first.body.type), /mfa-required$/);
      assert.ok(!('token' in first.body));
      const mfaToken = String(first.body.mfaToken);
      assert.equal((await call('POST', '/api/collections/users/auth/mfa', { body: { mfaToken, code: '123456' } })).status, 401);
      const reused = await call('POST', '/api/collections/users/auth/mfa', { body: { mfaToken, code: totp.generate({ timestamp: Date.now() + 30_000 }) } });
      assert.equal(reused.status, 401, 'an MFA token is single-use, even after a wrong code');
      const again = await login('alice@example.com');
      const done = await call('POST', '/api/collections/users/auth/mfa', { body: { mfaToken: again.body.mfaToken, code: totp.generate({ timestamp: Date.now() + 30_000 }) } });
      assert.equal(done.status, 200, done.text);
      tokens.alice = String(done.body.token);
      const third = await login('alice@example.com');
      assert.equal((await call('POST', '/api/collections/users/auth/mfa', { body: { mfaToken: third.body.mfaToken, code: codes[0] } })).status, 200, 'a recovery code');
      const fourth = await login('alice@example.com');
      assert.equal((await call('POST', '/api/collections/users/auth/mfa', { body: { mfaToken: fourth.body.mfaToken, code: codes[0] } })).status, 401, 'a recovery code works once');
    });

    test('API keys: shown once, scoped to reads, and acting as their owner', async () => {
      const made = await call('POST', '/api/collections/users/auth/api-keys', { token: tokens.alice, body: { name: 'ci', scopes: ['records:read'] } });
      assert.equal(made.status, 201, made.text);
      const key = String(made.body.key);
      assert.match(key, /^sk_/);
      const read = await call('GET', '/api/collections/posts/records', { token: key });
      assert.equal(read.status, 200);
      assert.deepEqual((read.body.items as { id: string }[]).map((p) => p.id), [ids.alicePost]);
      assert.equal((await call('POST', '/api/collections/posts/records', { token: key, body: { title: 'by key', owner: ids.alice } })).status, 403);
      assert.equal((await call('POST', '/api/collections/users/auth/api-keys', { token: tokens.alice, body: { name: 'x', scopes: ['DROP TABLE'] } })).status, 400);
    });

    test('password change needs the old password and ends existing refresh tokens', async () => {
      const bob = await login('bob@example.com');
      const refresh = String(bob.body.refreshToken);
      const token = String(bob.body.token);
      assert.equal((await call('PATCH', `/api/collections/users/records/${ids.bob}`, { token, body: { password: STRONG2, oldPassword: 'not it at all 123' } })).status, 400);
      const changed = await call('PATCH', `/api/collections/users/records/${ids.bob}`, { token, body: { password: STRONG2, oldPassword: STRONG } });
      assert.equal(changed.status, 200, changed.text);
      assert.equal((await call('POST', '/api/collections/users/auth/refresh', { body: { refreshToken: refresh } })).status, 401);
      assert.equal((await login('bob@example.com')).status, 401);
      assert.equal((await login('bob@example.com', STRONG2)).status, 200);
    });

    test('password reset: same answer for unknown accounts; the emailed link works once and ends sessions', async () => {
      const bob = await login('bob@example.com', STRONG2);
      assert.equal(bob.status, 200);
      const unknown = await call('POST', '/api/collections/users/auth/request-password-reset', { body: { email: 'nobody@example.com' } });
      const known = await call('POST', '/api/collections/users/auth/request-password-reset', { body: { email: 'BOB@example.com' } });
      assert.equal(unknown.status, 204);
      assert.equal(known.status, 204);
      assert.equal(unknown.text, known.text);
      const { token, mail: m } = await mailTo('bob@example.com', /Reset/);
      assert.match(m.text ?? '', /https:\/\/app\.example\.com\/auth\/reset-password\?token=/);
      const weak = await call('POST', '/api/collections/users/auth/confirm-password-reset', { body: { token, password: 'password1234' } });
      assert.equal(weak.status, 400, 'a weak password does not burn the link');
      assert.equal((await call('POST', '/api/collections/users/auth/confirm-password-reset', { body: { token, password: STRONG3 } })).status, 204);
      assert.equal((await call('POST', '/api/collections/users/auth/confirm-password-reset', { body: { token, password: STRONG3 } })).status, 401);
      assert.equal((await call('POST', '/api/collections/users/auth/refresh', { body: { refreshToken: bob.body.refreshToken } })).status, 401);
      assert.equal((await login('bob@example.com', STRONG2)).status, 401);
      assert.equal((await login('bob@example.com', STRONG3)).status, 200);
    });

    test('superusers: a one-time setup link creates the first; they see everything', async () => {
      const link = /setup: .* at (\S+)\/_strata\/setup#(\S+)/.exec(s.output());
      assert.ok(link, s.output());
      const token = link![2];
      assert.equal((await call('GET', '/api/queues')).status, 401);
      assert.equal((await call('GET', '/api/queues', { token: tokens.alice })).status, 403);
      const page = await call('GET', '/_strata/setup');
      assert.equal(page.status, 200);
      assert.match(page.text, /<form/);
      assert.equal((await call('POST', '/_strata/setup', { body: { token, email: 'root@example.com', password: 'short' } })).status, 400);
      const made = await call('POST', '/_strata/setup', { body: { token, email: 'root@example.com', password: STRONG } });
      assert.equal(made.status, 201, made.text);
      assert.equal((await call('POST', '/_strata/setup', { body: { token, email: 'root2@example.com', password: STRONG } })).status, 409);
      const su = await call('POST', '/api/collections/_superusers/auth/login', { body: { identity: 'root@example.com', password: STRONG } });
      assert.equal(su.status, 200, su.text);
      const t = String(su.body.token);
      const posts = await call('GET', '/api/collections/posts/records?totalItems=1', { token: t });
      assert.equal(posts.status, 200);
      assert.ok(Number(posts.body.totalItems) >= 2);
      assert.equal((await call('GET', '/api/collections/notes/records', { token: t })).status, 200);
      assert.equal((await call('GET', '/api/collections/_superusers/records', { token: tokens.alice })).status, 403);
      const q = await call('GET', '/api/queues', { token: t });
      assert.ok(q.status !== 401 && q.status !== 403, q.text);
      // A superuser is told of the conflict.
      const dupBySuperuser = await call('POST', '/api/collections/users/records', { token: t, body: { email: 'alice@example.com', password: STRONG, passwordConfirm: STRONG } });
      assert.equal(dupBySuperuser.status, 409, dupBySuperuser.text);
      const alices = await call('GET', `/api/collections/users/records?filter=${encodeURIComponent('email = "alice@example.com"')}&totalItems=1`, { token: t });
      assert.equal(alices.body.totalItems, 1, 'the sign-up with a registered address kept nothing');
      const verify = await call('PATCH', `/api/collections/users/records/${ids.bob}`, { token: t, body: { verified: true, role: 'admin' } });
      assert.equal(verify.status, 200, verify.text);
      assert.equal(verify.body.verified, true);
      // The audit log saw the sign-ups, logins (both outcomes), MFA and resets, and holds no secret.
      const audit = await call('GET', '/api/admin/audit?limit=500', { token: t });
      assert.equal(audit.status, 200, audit.text);
      const actions = new Set((audit.body.items as { action: string }[]).map((x) => x.action));
      for (const a of ['auth.signup', 'auth.login.success', 'auth.login.failure', 'auth.mfa.enable', 'auth.password.reset', 'auth.email.verify', 'auth.refresh.reuse']) assert.ok(actions.has(a), a);
      for (const secret of [STRONG, STRONG2, STRONG3, tokens.alice]) assert.ok(!audit.text.includes(secret));
      const refused = (audit.body.items as { action: string; outcome?: string; target?: string; actor: unknown }[]).filter((x) => x.action === 'auth.signup' && x.outcome === 'failure');
      assert.ok(refused.some((x) => x.target === `users/${ids.alice}` && x.actor === null), `the sign-up with a registered address is audited (the owner is its target, not its actor): ${JSON.stringify(refused)}`);
      assert.equal((await call('GET', '/api/admin/audit', { token: tokens.alice })).status, 403);
      // Superuser actions are audited too (written once the response is sent).
      let su_actions: { action: string; target: string }[] = [];
      for (let i = 0; i < 50 && !su_actions.some((x) => x.action === 'superuser.request'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        su_actions = (await call('GET', '/api/admin/audit?action=superuser', { token: t })).body.items as typeof su_actions;
      }
      assert.ok(su_actions.some((x) => x.action === 'superuser.request' && x.target === `/api/collections/users/records/${ids.bob}`), JSON.stringify(su_actions));
    });
  });
}
