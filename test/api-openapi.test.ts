// The OpenAPI document of a whole server describes exactly what answers (issue 15): every operation in it,
// sent to the real server, reaches a route (never 404 "nothing is served" or 405) and answers a status the
// document lists; every route the server registers is in it; and each operation's `security` matches who
// may call: public operations answer anonymous callers, the others refuse them with 401/403 unless the
// rule (or the route) lets anonymous callers in (`{}` among the requirements).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Validator } from '@seriousme/openapi-schema-validator';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';
import { appDir } from './functions-helpers.js';

const PASSWORD = 'correct horse battery staple 42';
const OWN = 'owner = @request.auth.id';
const YAML = `
collections:
  - name: posts
    fields: [{ name: title, type: text }]
    rules: { list: "", view: "", create: "", update: "", delete: "" }
  - name: notes
    fields: [{ name: text, type: text }, { name: owner, type: relation, collection: users }]
    rules: { list: "${OWN}", view: "${OWN}", create: "@request.auth.id != ''", update: "${OWN}", delete: "${OWN}" }
  - name: locked
    fields: [{ name: title, type: text }]
  - name: docs
    type: document
    rules: { list: "", view: "", create: "", update: "", delete: "" }
  - name: members
    type: auth
    fields: [{ name: nick, type: text }]
    rules: { list: "", view: "", create: "" }
`;
const FUNCTIONS = {
  'functions/hello.ts': `import { defineRoute, Type } from 'strata/functions';
export const hi = defineRoute({ method: 'GET', path: '/fn/hi', auth: 'public', handler: () => ({ hi: 1 }) });
export const mine = defineRoute({ method: 'POST', path: '/fn/mine/:id', auth: 'user', schema: { params: Type.Object({ id: Type.String() }), body: Type.Object({ n: Type.Optional(Type.Integer()) }) }, handler: ({ params }) => ({ id: params.id }) });
`,
};

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

describe('OpenAPI describes exactly what the server answers', () => {
  const dir = appDir(FUNCTIONS, YAML);
  let server: StrataServer;
  let base = '';
  const registered: string[] = [];
  let doc: Json;
  let root = '';
  const ids: Record<string, string> = {};

  async function call(method: string, path: string, opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const ac = new AbortController();
    const r = await fetch(base + path, { method: method.toUpperCase(), headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: ac.signal, redirect: 'manual' });
    // Event streams never end: the status and headers are the answer.
    const text = r.headers.get('content-type')?.startsWith('text/event-stream') ? (ac.abort(), '') : await r.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      /* not JSON */
    }
    return { status: r.status, type: r.headers.get('content-type') ?? '', json, text };
  }
  const must = async (p: Promise<{ status: number; json: Json; text: string }>, status: number, what: string) => {
    const r = await p;
    assert.equal(r.status, status, `${what}: ${r.text.slice(0, 300)}`);
    return r.json;
  };

  before(async () => {
    const { config } = loadConfig({ cwd: dir, file: join(dir, 'strata.yaml'), env: {}, overrides: { dataDir: join(dir, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'functions.dir': join(dir, 'functions'), 'server.shutdownGrace': 1000 } });
    server = await createServer(config, pino({ level: 'silent' }));
    server.edge.app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) registered.push(`${m} ${r.url}`);
    });
    await server.start();
    base = server.edge.urls().find((u) => u.kind === 'http')!.url;

    await must(call('post', '/_strata/setup', { body: { token: server.setupToken, email: 'root@example.com', password: PASSWORD } }), 201, 'setup');
    root = String((await must(call('post', '/api/collections/_superusers/auth/login', { body: { identity: 'root@example.com', password: PASSWORD } }), 200, 'root login')).token);
    const me = await must(call('get', '/api/collections/_superusers/auth/me', { token: root }), 200, 'me');
    ids._superusers = String(me.record.id);
    // One real record per collection, so {id} names something that exists.
    ids.users = String((await must(call('post', '/api/collections/users/records', { body: { email: 'u@example.com', password: PASSWORD, passwordConfirm: PASSWORD } }), 201, 'sign-up')).id);
    ids.members = String((await must(call('post', '/api/collections/members/records', { body: { email: 'm@example.com', password: PASSWORD, nick: 'm' } }), 201, 'member sign-up')).id);
    for (const [c, body] of [['posts', { title: 'p' }], ['notes', { text: 'n', owner: ids.users }], ['locked', { title: 'l' }], ['docs', { any: 'thing' }]] as const) {
      ids[c] = String((await must(call('post', `/api/collections/${c}/records`, { body, token: root }), 201, c)).id);
    }
    ids.apiKey = String((await must(call('post', '/api/collections/_superusers/auth/api-keys', { body: { name: 'walk' }, token: root }), 201, 'api key')).id);
    await must(call('post', '/api/admin/queues/walk/jobs', { body: { payload: { a: 1 } }, token: root }), 201, 'job');
    ids.webhook = String((await must(call('post', '/api/admin/webhooks', { body: { topics: 'records.posts.*', url: 'https://example.com/hook' }, token: root }), 201, 'webhook')).id);
    // A WAF block leaves an event to read back.
    assert.equal((await call('post', '/api/collections/posts/records', { body: { title: '<script>alert(1)</script>' } })).status, 403);
    const events = await must(call('get', '/api/admin/waf/events', { token: root }), 200, 'waf events');
    ids.wafEvent = String(events.items[0].id);

    doc = await must(call('get', '/api/openapi.json'), 200, 'openapi.json');
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The concrete URL of an OpenAPI path: each parameter names a record, key, queue... made above. */
  function concrete(path: string): string {
    const collection = /^\/api\/collections\/([^/]+)\//.exec(path)?.[1];
    return path
      .replace('/auth/api-keys/{id}', `/auth/api-keys/${ids.apiKey}`)
      .replace('/records/{id}', `/records/${collection ? ids[collection] : ''}`)
      .replace(/\/(api\/admin\/webhooks|api\/webhooks)\/\{id\}/, `/$1/${ids.webhook}`)
      .replace('/waf/events/{id}', `/waf/events/${ids.wafEvent}`)
      .replace('/collections/{name}', '/collections/posts')
      .replace('/queues/{name}', '/queues/walk')
      .replace('/fn/mine/{id}', '/fn/mine/x');
  }

  /** Every operation, with the ones that end credentials (logout-all) and the deletes last. */
  function operations(): Array<{ path: string; method: string; op: Json }> {
    const out: Array<{ path: string; method: string; op: Json }> = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) for (const m of METHODS) if (item[m]) out.push({ path, method: m, op: item[m] });
    const rank = (x: { path: string; method: string }) => (x.path.endsWith('/logout-all') ? 2 : x.method === 'delete' ? 1 : 0);
    return out.sort((a, b) => rank(a) - rank(b));
  }

  const securityOf = (op: Json): Json[] => op.security ?? doc.security;
  const isPublic = (op: Json) => securityOf(op).length === 0;
  const allowsAnonymous = (op: Json) => isPublic(op) || securityOf(op).some((r) => Object.keys(r).length === 0);

  async function send(path: string, method: string, op: Json, token?: string) {
    const headers: Record<string, string> = {};
    // Writes to records name a version that is not current: the route answers 412 and changes nothing.
    if ((method === 'patch' || method === 'delete') && /\/records\/\{id\}$/.test(path)) headers['if-match'] = '"not-the-etag"';
    return call(method, concrete(path), { body: op.requestBody ? {} : undefined, token, headers });
  }

  const routerMiss = (r: { status: number; json: Json }) => r.status === 405 || (r.status === 404 && String(r.json.detail ?? '').startsWith('Nothing is served at'));

  test('the document passes an independent OpenAPI 3.1 validator and declares the credentials', async () => {
    const res = await new Validator().validate(doc as never);
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 1)?.slice(0, 2000));
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKey', 'bearerAuth', 'csrfToken', 'sessionCookie']);
    assert.equal(doc.components.securitySchemes.sessionCookie.name, 'strata_session');
    assert.equal(doc.components.securitySchemes.csrfToken.name, 'X-CSRF-Token');
    // Rules: "" is public, an expression lets the rule decide (anonymous allowed), none is superusers only.
    assert.deepEqual(doc.paths['/api/collections/posts/records'].get.security, []);
    assert.ok(doc.paths['/api/collections/notes/records'].get.security.some((r: Json) => Object.keys(r).length === 0));
    assert.ok(!doc.paths['/api/collections/locked/records'].get.security.some((r: Json) => Object.keys(r).length === 0));
    assert.ok(doc.paths['/api/collections/locked/records'].get.responses['403']);
    assert.deepEqual(doc.paths['/api/collections/locked/records'].post.security.find((r: Json) => r.apiKey), { apiKey: ['records:locked:write'] });
    assert.deepEqual(doc.paths['/api/collections/locked/records'].post.security.find((r: Json) => r.sessionCookie), { sessionCookie: [], csrfToken: [] });
    for (const c of ['users', 'members', '_superusers']) {
      for (const p of ['login', 'refresh', 'logout', 'me', 'mfa', 'mfa/totp', 'api-keys', 'api-keys/{id}', 'request-password-reset', 'confirm-verification', 'request-email-change']) assert.ok(doc.paths[`/api/collections/${c}/auth/${p}`], `${c} ${p}`);
    }
    assert.equal(doc.paths['/api/collections/posts/auth/login'], undefined, 'a base collection has no auth routes');
    assert.deepEqual(doc.paths['/api/collections/users/auth/api-keys'].post.security.map((r: Json) => Object.keys(r).sort().join('+')), ['bearerAuth', 'csrfToken+sessionCookie'], 'API keys cannot manage API keys');
    assert.ok(doc.paths['/api/collections/users/records'].post.requestBody.content['application/json'].schema.$ref.endsWith('users_create'));
    assert.deepEqual(doc.components.schemas.users_create.required, ['email', 'password']);
    assert.equal(doc.paths['/api/admin/collections'].get.security.find((r: Json) => r.apiKey).apiKey[0], 'admin');
    assert.equal(doc.paths['/api/queues'].get.deprecated, true);
  });

  test('every registered route is in the document, and every operation in it is a registered route', () => {
    const pattern = (path: string) => path.replace(/^\/api\/collections\/[^/]+\//, '/api/collections/:collection/').replace(/\{(\w+)\}/g, ':$1');
    const documented = new Set(operations().map((o) => `${o.method.toUpperCase()} ${pattern(o.path)}`));
    // HEAD mirrors GET (Fastify's exposeHeadRoutes); gRPC, gRPC-Web and Connect methods are described by
    // each collection's service.proto (in the document) and server reflection, not by OpenAPI.
    const rpc = (url: string) => url.startsWith('/grpc.') || url.startsWith('/strata.');
    const served = new Set(registered.filter((r) => !r.startsWith('HEAD ') && !rpc(r.slice(r.indexOf(' ') + 1))));
    assert.deepEqual([...served].filter((r) => !documented.has(r)).sort(), [], 'registered but not documented');
    assert.deepEqual([...documented].filter((r) => !served.has(r)).sort(), [], 'documented but not registered');
    assert.ok(served.size > 60, `${served.size} routes`);
  });

  test('anonymous callers: public operations answer them, credentialed ones refuse with 401/403, and every status is documented', async () => {
    const seen: string[] = [];
    for (const { path, method, op } of operations()) {
      if (path.endsWith('/logout-all')) continue;
      const r = await send(path, method, op);
      const at = `${method.toUpperCase()} ${path} (anonymous) → ${r.status} ${r.text.slice(0, 200)}`;
      assert.ok(!routerMiss(r), at);
      assert.ok(r.status < 500, at);
      assert.ok(op.responses[String(r.status)] || op.responses.default, `undocumented status: ${at}`);
      // (Public auth routes that take a credential in the body, login or a token, document their 401.)
      if (isPublic(op)) assert.ok((r.status !== 401 || op.responses['401']) && (r.status !== 403 || op.responses['403']), `public, yet refused: ${at}`);
      // (A few auth routes check the body before the caller: 400 is no answer either.)
      else if (!allowsAnonymous(op)) assert.ok(r.status === 401 || r.status === 403 || r.status === 400, `needs credentials, yet answered: ${at}`);
      seen.push(`${method} ${path}`);
    }
    assert.ok(seen.length > 100, `${seen.length} operations`);
  });

  test('a superuser: every operation reaches its route and answers a documented status', async () => {
    for (const { path, method, op } of operations()) {
      const r = await send(path, method, op, isPublic(op) ? undefined : root);
      const at = `${method.toUpperCase()} ${path} (superuser) → ${r.status} ${r.text.slice(0, 200)}`;
      assert.ok(!routerMiss(r), at);
      assert.ok(r.status < 500, at);
      assert.ok(op.responses[String(r.status)] || op.responses.default, `undocumented status: ${at}`);
      // Records, keys, queues, webhooks and events named in the URL exist: found, not 404.
      // (Legacy aliases share the store: their delete comes after the /api/admin one removed the webhook.)
      // (An upload id cannot name one here: uploads are made by tus clients, and 404 is documented for it.)
      if (/\{(id|name)\}/.test(path) && !path.includes('/auth/api-keys/') && !path.includes('/fn/') && !path.startsWith('/api/files/uploads/') && !op.deprecated) assert.notEqual(r.status, 404, at);
    }
  });
});
