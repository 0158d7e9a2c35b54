import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { UnsecuredJWT } from 'jose';
import { loadConfig } from '../src/config/index.js';
import { handleError } from '../src/edge/index.js';
import { authComponent, type AuthServices } from '../src/auth/index.js';
import { authDeps } from './auth-stores-helpers.js';
import { authHooks } from '../src/api/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'strata-authh-'));
const auth = authComponent(loadConfig({ cwd: dataDir, env: {} }).config.auth, await authDeps(dataDir));
let app: FastifyInstance;
let base = '';
let s: AuthServices;
const fx: Record<string, string> = {};

before(async () => {
  await auth.start?.();
  s = auth.services;
  app = Fastify();
  app.setErrorHandler(handleError);
  await app.register(authHooks({ services: s }));
  const echo = async (req: { auth: unknown }) => ({ auth: req.auth });
  app.get('/me', echo);
  app.post('/things', echo);
  app.delete('/things', echo);
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  fx.jwt = (await s.accessTokens.issue({ sub: 'u1', col: 'users', scope: 'a b' })).token;
  fx.key = (await s.apiKeys.create({ userId: 'u2', name: 'ci', scopes: ['records:read'] })).key;
  const revoked = await s.apiKeys.create({ userId: 'u2', name: 'old', scopes: [] });
  await s.apiKeys.revoke(revoked.record.id);
  fx.revokedKey = revoked.key;
  const sess = await s.sessions.create({ userId: 'u3', collection: 'users' });
  fx.cookie = s.sessionCookie(false).serialize(sess.id).split(';')[0];
  fx.csrf = s.csrf.issue(sess.id);
  fx.otherCsrf = s.csrf.issue((await s.sessions.create({ userId: 'u4', collection: 'users' })).id);
  const [h, p] = fx.jwt.split('.');
  fx.none = new UnsecuredJWT(JSON.parse(Buffer.from(p, 'base64url').toString())).encode();
  fx.tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'admin' })).toString('base64url')}.${fx.jwt.split('.')[2]}`;
});

after(async () => {
  await app.close();
  await auth.stop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

type Scenario = {
  name: string;
  method?: string;
  path?: string;
  headers?: () => Record<string, string>;
  body?: string;
  status: number;
  type?: string;
  kind?: string | null;
  userId?: string;
};

const self = () => base;
const scenarios: Scenario[] = [
  { name: 'anonymous GET', status: 200, kind: null },
  { name: 'bearer JWT', headers: () => ({ authorization: `Bearer ${fx.jwt}` }), status: 200, kind: 'token', userId: 'u1' },
  { name: 'bearer alg:none', headers: () => ({ authorization: `Bearer ${fx.none}` }), status: 401, type: 'strata/invalid-token' },
  { name: 'bearer tampered JWT', headers: () => ({ authorization: `Bearer ${fx.tampered}` }), status: 401, type: 'strata/invalid-token' },
  { name: 'malformed Authorization', headers: () => ({ authorization: 'Basic dTpw' }), status: 401, type: 'strata/invalid-token' },
  { name: 'bearer API key', headers: () => ({ authorization: `Bearer ${fx.key}` }), status: 200, kind: 'apiKey', userId: 'u2' },
  { name: 'revoked API key', headers: () => ({ authorization: `Bearer ${fx.revokedKey}` }), status: 401, type: 'strata/invalid-token' },
  { name: 'session cookie GET', headers: () => ({ cookie: fx.cookie }), status: 200, kind: 'session', userId: 'u3' },
  { name: 'unknown session cookie is anonymous', headers: () => ({ cookie: 'strata_session=' + 'A'.repeat(43) }), status: 200, kind: null },
  { name: 'session POST JSON same origin', method: 'POST', path: '/things', headers: () => ({ cookie: fx.cookie, origin: self(), 'content-type': 'application/json' }), body: '{}', status: 200, kind: 'session' },
  { name: 'session POST foreign Origin (CSRF)', method: 'POST', path: '/things', headers: () => ({ cookie: fx.cookie, origin: 'https://evil.test', 'content-type': 'application/json' }), body: '{}', status: 403, type: 'strata/csrf' },
  { name: 'session DELETE cross-site fetch metadata', method: 'DELETE', path: '/things', headers: () => ({ cookie: fx.cookie, 'sec-fetch-site': 'cross-site' }), status: 403, type: 'strata/csrf' },
  { name: 'session POST with no Origin at all', method: 'POST', path: '/things', headers: () => ({ cookie: fx.cookie, 'content-type': 'application/json' }), body: '{}', status: 403, type: 'strata/csrf' },
  { name: 'session form post without token', method: 'POST', path: '/things', headers: () => ({ cookie: fx.cookie, origin: self(), 'content-type': 'text/plain' }), body: 'x', status: 403, type: 'strata/csrf' },
  { name: "session form post with another session's token", method: 'POST', path: '/things', headers: () => ({ cookie: fx.cookie, origin: self(), 'content-type': 'text/plain', 'x-csrf-token': fx.otherCsrf }), body: 'x', status: 403, type: 'strata/csrf' },
  { name: 'session form post with its token', method: 'POST', path: '/things', headers: () => ({ cookie: fx.cookie, origin: self(), 'content-type': 'text/plain', 'x-csrf-token': fx.csrf }), body: 'x', status: 200, kind: 'session' },
  { name: 'session JSON post with a bad token header', method: 'POST', path: '/things', headers: () => ({ cookie: fx.cookie, origin: self(), 'content-type': 'application/json', 'x-csrf-token': 'nope.nope' }), body: '{}', status: 403, type: 'strata/csrf' },
  { name: 'bearer POST from a foreign Origin (no cookie, no CSRF)', method: 'POST', path: '/things', headers: () => ({ authorization: `Bearer ${fx.jwt}`, origin: 'https://evil.test', 'content-type': 'application/json' }), body: '{}', status: 200, kind: 'token' },
];

for (const sc of scenarios) {
  test(`auth hooks: ${sc.name} → ${sc.status}`, async () => {
    const res = await fetch(base + (sc.path ?? '/me'), { method: sc.method ?? 'GET', headers: sc.headers?.() ?? {}, body: sc.body });
    const body = (await res.json()) as { auth?: { kind: string; userId: string } | null; type?: string };
    assert.equal(res.status, sc.status, JSON.stringify(body));
    if (sc.type) {
      assert.equal(body.type, sc.type);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    }
    if (sc.kind !== undefined) assert.equal(body.auth?.kind ?? null, sc.kind);
    if (sc.userId) assert.equal(body.auth?.userId, sc.userId);
    if (sc.type === 'strata/invalid-token') assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
  });
}
