// Rate limits keyed by user or API key, through the whole server: the caller is known only once the auth
// hook has run, so these rules are checked after it (rules by IP and route before it). A limit by user
// counts every request of that account whatever the credential; a limit by API key counts one key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';
import { tempDir } from './helpers/strata-process.js';

const PW = 'correct horse battery staple 42';

describe('rate limits by user and by API key (whole server)', () => {
  const dir = tempDir('strata-rl-identity-');
  let server: StrataServer;
  let base = '';

  before(async () => {
    writeFileSync(
      join(dir, 'strata.yaml'),
      `collections:
  - name: notes
    fields: [{ name: body, type: text }]
    rules: { list: "", view: "", create: "" }
waf:
  rateLimit:
    rules:
      - { name: per-user, by: user, algorithm: sliding-window, limit: 4, windowSeconds: 600, routes: ["/api/collections/notes/*"] }
      - { name: per-key, by: apiKey, algorithm: sliding-window, limit: 2, windowSeconds: 600, routes: ["/api/collections/notes/*"] }
      - { name: per-ip, by: ip, algorithm: sliding-window, limit: 1000, windowSeconds: 600 }
`,
    );
    const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: join(dir, 'data'), 'server.http.port': 0, 'server.http.host': '127.0.0.1', 'server.https.enabled': false } });
    server = await createServer(config, pino({ level: 'silent' }));
    await server.start();
    base = server.edge.urls().find((u) => u.kind === 'http')!.url;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const r = await fetch(base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const account = async (email: string) => {
    assert.equal((await call('POST', '/api/collections/users/records', undefined, { email, password: PW, passwordConfirm: PW })).status, 201);
    const l = await call('POST', '/api/collections/users/auth/login', undefined, { identity: email, password: PW });
    assert.equal(l.status, 200);
    return String(l.body.token);
  };

  test('the fifth request of one account is 429 whatever its credential; another account and anonymous callers are not counted', async () => {
    const ann = await account('ann-rl@example.com');
    const key = await call('POST', '/api/collections/users/auth/api-keys', ann, { name: 'ci', scopes: ['records:read'] });
    assert.equal(key.status, 201);
    const annKey = String(key.body.key);
    const bob = await account('bob-rl@example.com');
    const list = '/api/collections/notes/records';

    const first = await call('GET', list, ann);
    assert.equal(first.status, 200);
    assert.match(String(first.headers.get('ratelimit-policy')), /"per-user"/, 'the policy header names the identity rule');
    assert.match(String(first.headers.get('ratelimit-policy')), /"per-ip"/, 'and the address rule');
    assert.match(String(first.headers.get('ratelimit')), /"per-user";r=3;/, 'the tightest is the user rule, 3 left');
    assert.equal((await call('GET', list, annKey)).status, 200, 'the API key counts for its account (2nd) and for itself (1st)');
    assert.equal((await call('GET', list, annKey)).status, 200, '3rd of the account, 2nd of the key');
    const third = await call('GET', list, annKey);
    assert.equal(third.status, 429, 'the key is past its own limit of 2');
    assert.equal(third.body.type, 'strata/rate-limited');
    assert.ok(Number(third.headers.get('retry-after')) > 0);
    // the refused request still spent one of the account's (a sliding window counts attempts): 4 of 4
    assert.equal((await call('GET', list, ann)).status, 429, "the account's fifth request");
    for (let i = 0; i < 6; i++) assert.equal((await call('GET', list)).status, 200, 'anonymous requests have no user to count');
    assert.equal((await call('GET', list, bob)).status, 200, 'another account has its own count');
    assert.equal((await call('GET', '/api/collections/users/auth/me', ann)).status, 200, 'a route outside the rules is not limited');
  });
});
