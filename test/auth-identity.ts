// Identity and revocation over HTTPS against a real Strata process (issue 13, holes 1, 6 and 10), run per
// engine by test/auth-identity-{sqlite,postgres}.test.ts: a principal is {collection, id}, ids of accounts
// are server-made and never reused, deletion takes the account's credentials with it, and logout-all,
// password change or reset, role change, MFA change and deletion end access tokens, API keys, realtime
// connections and Watch streams at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import * as OTPAuth from 'otpauth';
import { linkToken, smtpCapture } from './helpers/smtp-capture.js';
import { startStrata, tempDir, type StrataProcess } from './helpers/strata-process.js';
import { Client } from './realtime-helpers.js';

const STRONG = 'correct horse battery staple 42';
const STRONG2 = 'violet umbrella marching north 7';
const STRONG3 = 'seven quiet lanterns over harbor 3';

const CONFIG = (data: string, smtpPort: number) => `
${data ? `data:\n${data}\n` : ''}realtime:
  authRecheckInterval: 1000
auth:
  email:
    from: "Strata Test <no-reply@example.com>"
    linkBase: https://app.example.com
    pollInterval: 100
    smtp: { host: 127.0.0.1, port: ${smtpPort}, security: none }
  throttle:
    accountFreeAttempts: 50
    ipFreeAttempts: 1000
collections:
  - name: members
    type: auth
    fields:
      - { name: role, type: select, values: [reader, editor] }
    rules:
      list: "id = @request.auth.id"
      view: "id = @request.auth.id"
      create: "@request.body.role:isset = false"
      update: "id = @request.auth.id && @request.body.role:isset = false"
      delete: "id = @request.auth.id"
  - name: notes
    fields:
      - { name: body, type: text }
      - { name: owner, type: relation, collection: users, onDelete: cascade }
    rules:
      list: "owner = @request.auth.id"
      view: "owner = @request.auth.id"
      create: "@request.auth.id != '' && owner = @request.auth.id"
      update: "owner = @request.auth.id"
      delete: "owner = @request.auth.id"
  - name: posts
    fields:
      - { name: title, type: text, required: true }
    rules:
      list: ""
      view: ""
      create: "@request.auth.id != ''"
  - name: drafts
    fields:
      - { name: title, type: text }
    rules:
      list: "@request.auth.role = 'editor'"
      view: "@request.auth.role = 'editor'"
`;

interface Res {
  status: number;
  headers: { get(name: string): string | null };
  body: Record<string, unknown>;
}

export function identityFlows(engine: string, data: () => string, skip: false | string): void {
  describe(`identity and revocation over HTTPS: ${engine}`, { skip, timeout: 300_000 }, () => {
    let s: StrataProcess;
    let base = '';
    let agent: Agent;
    let ca: Buffer;
    let superToken = '';
    const dir = tempDir('strata-identity-');
    const smtp = smtpCapture();
    /** The token of the link mailed to `to`. */
    const mailTo = async (to: string, subject: RegExp): Promise<string> => linkToken(await smtp.mailTo(to, subject));

    async function call(method: string, path: string, opts: { body?: unknown; token?: string } = {}): Promise<Res> {
      const headers: Record<string, string> = {};
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      const r = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), dispatcher: agent });
      const text = await r.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      return { status: r.status, headers: r.headers, body };
    }
    const signup = (collection: string, email: string, extra: Record<string, unknown> = {}) =>
      call('POST', `/api/collections/${collection}/records`, { body: { email, password: STRONG, passwordConfirm: STRONG, ...extra } });
    async function login(collection: string, email: string, password = STRONG): Promise<{ token: string; refreshToken: string; id: string }> {
      const r = await call('POST', `/api/collections/${collection}/auth/login`, { body: { identity: email, password } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return { token: r.body.token as string, refreshToken: r.body.refreshToken as string, id: (r.body.record as { id: string }).id };
    }
    async function account(collection: string, email: string): Promise<{ id: string; token: string; refreshToken: string }> {
      const made = await signup(collection, email);
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return login(collection, email);
    }
    const apiKey = async (collection: string, token: string) => {
      const r = await call('POST', `/api/collections/${collection}/auth/api-keys`, { token, body: { name: 'ci' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.key as string;
    };
    /** 401 on a REST read and on an API-key creation: the credential is dead. */
    async function assertDead(credential: string, collection: string, what: string) {
      const r = await call('GET', '/api/collections/posts/records', { token: credential });
      assert.equal(r.status, 401, `${what}: list posts answered ${r.status}`);
      assert.match(r.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal((await call('POST', `/api/collections/${collection}/auth/api-keys`, { token: credential, body: { name: 'x' } })).status, 401, `${what}: api key`);
    }
    const alive = async (credential: string) => (await call('GET', '/api/collections/posts/records', { token: credential })).status;

    before(async () => {
      writeFileSync(join(dir, 'strata.yaml'), CONFIG(data(), await smtp.start()));
      s = await startStrata({ cwd: dir, args: ['serve', '--no-http', '--https-port', '0', '--data-dir', join(dir, 'data')] });
      base = s.https!;
      ca = readFileSync(s.ca!);
      agent = new Agent({ connect: { ca } });
      const link = /setup: .* at (\S+)\/_strata\/setup#(\S+)/.exec(s.output());
      assert.ok(link, 'setup link printed');
      assert.equal((await call('POST', '/_strata/setup', { body: { token: link![2], email: 'root@example.com', password: STRONG } })).status, 201);
      superToken = (await login('_superusers', 'root@example.com')).token;
    });
    after(async () => {
      await s?.stop();
      await agent?.close();
      await smtp.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('hole 1: a client-chosen id on an auth collection is a 400 naming id; a members account never acts as a users account', async () => {
      const victim = await account('users', 'victim@example.com');
      const note = await call('POST', '/api/collections/notes/records', { token: victim.token, body: { body: 'secret', owner: victim.id } });
      assert.equal(note.status, 201, JSON.stringify(note.body));
      // The attack: sign up in the open members collection with the victim's id.
      const takeover = await signup('members', 'attacker@example.com', { id: victim.id });
      assert.equal(takeover.status, 400);
      assert.match(takeover.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.deepEqual((takeover.body.errors as { field: string }[]).map((e) => e.field), ['id']);
      // Nor in users itself, nor by a superuser.
      assert.equal((await signup('users', 'other@example.com', { id: 'aaaaaaaaaaaaaaaaaaaa' })).status, 400);
      const su = await call('POST', '/api/collections/members/records', { token: superToken, body: { id: victim.id, email: 'su-made@example.com', password: STRONG } });
      assert.equal(su.status, 400);
      // The members account the attacker does get has its own id and none of the victim's access.
      const attacker = await account('members', 'attacker@example.com');
      assert.notEqual(attacker.id, victim.id);
      assert.equal((await call('GET', `/api/collections/users/records/${victim.id}`, { token: attacker.token })).status, 404);
      assert.equal((await call('PATCH', `/api/collections/users/records/${victim.id}`, { token: attacker.token, body: { name: 'x' } })).status, 404);
      assert.deepEqual((await call('GET', '/api/collections/notes/records', { token: attacker.token })).body.items, []);
      assert.equal((await call('GET', `/api/collections/notes/records/${note.body.id}`, { token: attacker.token })).status, 404);
      // A note claiming the victim as owner, made by a members caller, is refused.
      assert.equal((await call('POST', '/api/collections/notes/records', { token: attacker.token, body: { body: 'x', owner: victim.id } })).status, 403);
      // The victim still has it all; @request.auth.collectionName keeps working (members' own rules).
      assert.equal((await call('GET', `/api/collections/notes/records/${note.body.id}`, { token: victim.token })).status, 200);
      assert.equal((await call('GET', `/api/collections/members/records/${attacker.id}`, { token: attacker.token })).status, 200);
    });

    test('hole 6: a deleted account loses its token, API keys and refresh tokens, and its id is never given again', async () => {
      const a = await account('users', 'leaver@example.com');
      const key = await apiKey('users', a.token);
      assert.equal(await alive(key), 200);
      assert.equal((await call('DELETE', `/api/collections/users/records/${a.id}`, { token: a.token })).status, 204);
      await assertDead(a.token, 'users', 'access token after deletion');
      assert.equal(await alive(key), 401, 'API key after deletion');
      assert.equal((await call('POST', '/api/collections/users/auth/refresh', { body: { refreshToken: a.refreshToken } })).status, 401);
      // Signing up again: the old id cannot be asked for, and the new account gets another one.
      assert.equal((await signup('users', 'leaver@example.com', { id: a.id })).status, 400);
      const again = await account('users', 'leaver@example.com');
      assert.notEqual(again.id, a.id);
      assert.equal(await alive(again.token), 200);
      assert.equal(await alive(key), 401, 'old key not re-bound to the new account');
      assert.equal(await alive(a.token), 401, 'old token not re-bound to the new account');
    });

    test('hole 10: logout-all ends access tokens and API keys at once; a new login works', async () => {
      const a = await account('users', 'logoutall@example.com');
      const other = await login('users', 'logoutall@example.com');
      const key = await apiKey('users', a.token);
      assert.equal((await call('POST', '/api/collections/users/auth/logout-all', { token: a.token })).status, 204);
      await assertDead(other.token, 'users', 'token after logout-all');
      assert.equal(await alive(a.token), 401);
      assert.equal(await alive(key), 401, 'API key after logout-all');
      assert.equal(await alive((await login('users', 'logoutall@example.com')).token), 200);
    });

    test('hole 10: a password change and a password reset end older access tokens', async () => {
      const a = await account('users', 'pw@example.com');
      const stolen = await login('users', 'pw@example.com');
      const changed = await call('PATCH', `/api/collections/users/records/${a.id}`, { token: a.token, body: { password: STRONG2, passwordConfirm: STRONG2, oldPassword: STRONG } });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      await assertDead(stolen.token, 'users', 'token after password change');
      const fresh = await login('users', 'pw@example.com', STRONG2);
      assert.equal(await alive(fresh.token), 200);

      assert.equal((await call('POST', '/api/collections/users/auth/request-password-reset', { body: { email: 'pw@example.com' } })).status, 204);
      const token = await mailTo('pw@example.com', /reset/i);
      assert.equal((await call('POST', '/api/collections/users/auth/confirm-password-reset', { body: { token, password: STRONG3, passwordConfirm: STRONG3 } })).status, 204);
      await assertDead(fresh.token, 'users', 'token after password reset');
      assert.equal(await alive((await login('users', 'pw@example.com', STRONG3)).token), 200);
    });

    test('hole 10: a role change (a field rules read from the caller) and an MFA change end older access tokens', async () => {
      const m = await account('members', 'editor@example.com');
      assert.equal((await call('GET', '/api/collections/drafts/records', { token: m.token })).status, 200);
      const promoted = await call('PATCH', `/api/collections/members/records/${m.id}`, { token: superToken, body: { role: 'editor' } });
      assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
      await assertDead(m.token, 'members', 'token after role change');
      // Refresh families survive a role change: the client gets a token of the new role.
      const refreshed = await call('POST', '/api/collections/members/auth/refresh', { body: { refreshToken: m.refreshToken } });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(await alive(refreshed.body.token as string), 200);

      const u = await account('users', 'mfa@example.com');
      const stolen = await login('users', 'mfa@example.com');
      const enrol = await call('POST', '/api/collections/users/auth/mfa/totp', { token: u.token });
      assert.equal(enrol.status, 200, JSON.stringify(enrol.body));
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrol.body.secret as string) });
      const confirmed = await call('POST', '/api/collections/users/auth/mfa/totp/confirm', { token: u.token, body: { code: totp.generate() } });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      await assertDead(stolen.token, 'users', 'token after MFA enrolment');
    });

    test('hole 10: a revoked account\'s realtime connection is closed and its Watch stream stops', async () => {
      const a = await account('users', 'live@example.com');
      const ws = await Client.open(`${base.replace('https', 'wss')}/api/realtime`, { ca, headers: { authorization: `Bearer ${a.token}` } });
      assert.equal((await ws_request(ws, { type: 'subscribe', id: 'p', collection: 'posts' })).type, 'subscribed');
      const watch = await openWatch(a.token);
      assert.equal((await watch.next()).action, 'subscribed');
      assert.equal((await call('POST', '/api/collections/users/auth/logout-all', { token: a.token })).status, 204);
      assert.equal((await call('POST', '/api/collections/posts/records', { token: superToken, body: { title: 'after revocation' } })).status, 201);
      const end = await watch.next();
      assert.equal(end.action, undefined, `no event after revocation: ${JSON.stringify(end)}`);
      assert.equal((end.error as { code?: string } | undefined)?.code, 'unauthenticated', JSON.stringify(end));
      const closed = await ws_closed(ws);
      assert.equal(closed.code, 4001);
      assert.ok(!ws.frames.some((f) => f.type === 'event'), JSON.stringify(ws.frames));
    });

    async function ws_request(c: Client, m: Record<string, unknown>) {
      const from = c.frames.length;
      c.send(m);
      return c.next((f) => f.id === m.id, from);
    }
    async function ws_closed(c: Client): Promise<{ code: number }> {
      for (let i = 0; i < 100 && !c.closed; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(c.closed, 'connection closed');
      return c.closed!;
    }
    /** A Connect server stream (JSON envelopes) of posts' Watch: each next() is a message or the end-of-stream trailer. */
    async function openWatch(token: string) {
      const req = Buffer.from(JSON.stringify({}));
      const env = Buffer.alloc(5 + req.length);
      env.writeUInt32BE(req.length, 1);
      req.copy(env, 5);
      const r = await fetch(`${base}/strata.posts.RecordService/Watch`, {
        method: 'POST',
        headers: { 'content-type': 'application/connect+json', authorization: `Bearer ${token}`, 'connect-protocol-version': '1' },
        body: env,
        dispatcher: agent,
      });
      assert.equal(r.status, 200);
      const reader = r.body!.getReader();
      let buf = Buffer.alloc(0);
      return {
        async next(): Promise<Record<string, unknown>> {
          const deadline = Date.now() + 15_000;
          for (;;) {
            if (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
              const n = buf.readUInt32BE(1);
              const msg = JSON.parse(buf.subarray(5, 5 + n).toString() || '{}') as Record<string, unknown>;
              const trailer = (buf[0] & 2) !== 0;
              buf = buf.subarray(5 + n);
              if (msg.action === 'heartbeat') continue;
              return trailer ? { ...msg, trailer: true } : msg;
            }
            if (Date.now() > deadline) throw new Error('no Watch message');
            const { value, done } = await reader.read();
            if (done) return { done: true };
            buf = Buffer.concat([buf, Buffer.from(value)]);
          }
        },
      };
    }
  });
}
