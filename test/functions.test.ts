// Function files as routes, consumers, subscribers, cron and record hooks, in one server:
// validation and auth problems, response schemas, timeouts, signals, hooks, reload, OpenAPI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer } from '../src/server/index.js';
import { loadConfig } from '../src/config/index.js';
import { pino } from 'pino';
import { join } from 'node:path';
import { appDir, startApp, until, writeFiles } from './functions-helpers.js';

const u = randomBytes(4).toString('hex');
const Q = `fn-mail-${u}`;
const g = globalThis as unknown as Record<string, unknown>;

const yaml = `
collections:
  - name: tasks
    fields:
      - { name: title, type: text, required: true }
      - { name: priority, type: integer, default: 1 }
      - { name: secret, type: text }
`;

const tasks = (version: string) => `
import { defineRoute, Type, ConflictError } from 'strata/functions';
const g = globalThis as any;

export const create = defineRoute({
  method: 'POST', path: '/fn/tasks', auth: 'public',
  schema: {
    body: Type.Object({ title: Type.String({ minLength: 1, maxLength: 100 }), priority: Type.Integer({ minimum: 1, maximum: 5 }) }),
    response: { 201: Type.Object({ id: Type.String(), title: Type.String() }) },
  },
  async handler({ body, records, reply }) {
    const { record } = await records.asSuperuser().create('tasks', { ...body, secret: 'do-not-leak' });
    reply.code(201);
    return record as any;
  },
});

export const get = defineRoute({
  method: 'GET', path: '/fn/tasks/:id', auth: 'user',
  schema: { params: Type.Object({ id: Type.String() }), response: Type.Object({ id: Type.String(), title: Type.String() }) },
  async handler({ params, records }) { return (await records.get('tasks', params.id)).record as any; },
});

export const admin = defineRoute({ method: 'GET', path: '/fn/admin', auth: 'superuser', handler: ({ auth }) => ({ who: auth?.id }) });
export const boom = defineRoute({ method: 'GET', path: '/fn/boom', auth: 'public', handler() { throw new Error('secret internal detail /etc/x'); } });
export const conflict = defineRoute({ method: 'GET', path: '/fn/conflict', auth: 'public', handler() { throw new ConflictError('Already there.'); } });
export const query = defineRoute({
  method: 'GET', path: '/fn/sum', auth: 'public',
  schema: { query: Type.Object({ a: Type.Integer(), b: Type.Integer({ maximum: 10 }) }), response: Type.Object({ sum: Type.Integer() }) },
  handler: ({ query }) => ({ sum: query.a + query.b }),
});
export const slow = defineRoute({
  method: 'GET', path: '/fn/slow', auth: 'public', timeout: 200,
  handler: ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', () => { g.slowAborted = String(signal.reason?.type ?? signal.reason); resolve(undefined); })),
});
export const hang = defineRoute({
  method: 'GET', path: '/fn/hang', auth: 'public', timeout: 60000,
  handler: ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', () => { g.hangAborted = true; resolve(undefined); })),
});
export const version = defineRoute({
  method: 'GET', path: '/fn/version', auth: 'public',
  async handler({ query }) { if ((query as any).wait) await new Promise((r) => setTimeout(r, 400)); return { version: '${version}' }; },
});
`;

const workers = `
import { defineConsumer, defineSubscriber, defineCron, defineHook, ValidationError } from 'strata/functions';
const g = globalThis as any;
export const mail = defineConsumer({
  queue: '${Q}',
  async handler(job, { cache }) {
    if (job.attempt === 1) throw new Error('smtp down');
    await cache.set('sent:' + (job.payload as any).id, job.attempt);
  },
});
export const sub = defineSubscriber({ topic: 'fn.${u}.*', async handler(event, { topic, cache }) { await cache.set('event:' + topic, event); } });
export const tick = defineCron({ schedule: '* * * * * *', name: 'tick-${u}', async handler({ tick }) { g.ticks = (g.ticks ?? 0) + 1; g.lastTick = tick; } });
export const trim = defineHook({
  on: 'records.tasks.beforeCreate',
  handler({ data }) {
    if (data?.title === 'forbidden') throw new ValidationError('No forbidden tasks.', [{ field: 'title', message: 'is forbidden' }]);
    return { ...data, title: String(data?.title).trim() };
  },
});
export const notify = defineHook({ on: 'records.tasks.afterCreate', async handler({ id }, { queue }) { await queue.enqueue('${Q}', { id }); } });
`;

async function call(url: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.body) headers.set('content-type', 'application/json');
  const r = await fetch(url, { ...init, headers });
  const text = await r.text();
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: (text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as Record<string, any> };
}

test('function routes, workers, hooks, reload and OpenAPI in one server', async (t) => {
  const dir = appDir({ 'functions/tasks.ts': tasks('v1'), 'functions/workers.ts': workers, 'functions/broken.ts': 'export const x = {\n  a: 1,,\n};\n', 'functions/_shared/util.ts': 'throw new Error("helpers are not loaded")' }, yaml);
  const app = await startApp(dir, { 'functions.watch': true });
  const { url, server } = app;
  const superToken = (await server.auth.services.accessTokens.issue({ sub: 'admin1', col: '_superusers' })).token;
  const userToken = (await server.auth.services.accessTokens.issue({ sub: 'user1', col: 'users' })).token;
  try {
    await t.test('a syntax error is logged with file and line, and the rest still loads', () => {
      assert.match(app.logs(), /broken\.ts:2:\d+: Expected identifier/);
      assert.ok(!app.logs().includes('helpers are not loaded'));
    });

    let id = '';
    await t.test('valid body: 201, serialized through the response schema (no undeclared field leaks)', async () => {
      const r = await call(`${url}/fn/tasks`, { method: 'POST', body: JSON.stringify({ title: '  Write docs  ', priority: 2 }) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), ['id', 'title']);
      assert.equal(r.body.title, 'Write docs', 'the before-hook trimmed the title');
      id = r.body.id;
    });

    await t.test('invalid input: 400 problem+json with per-field errors', async () => {
      const cases: [string, RequestInit, string[]][] = [
        [`${url}/fn/tasks`, { method: 'POST', body: JSON.stringify({ title: '', priority: 9 }) }, ['body.title', 'body.priority']],
        [`${url}/fn/tasks`, { method: 'POST', body: JSON.stringify({ priority: 1 }) }, ['body.title']],
        [`${url}/fn/sum?a=x&b=11`, {}, ['query.a', 'query.b']],
      ];
      for (const [u2, init, fields] of cases) {
        const r = await call(u2, init);
        assert.equal(r.status, 400, u2);
        assert.match(r.type, /application\/problem\+json/);
        assert.equal(r.body.type, 'strata/validation');
        assert.deepEqual(r.body.errors.map((e: { field: string }) => e.field).sort(), fields.sort());
      }
      assert.deepEqual((await call(`${url}/fn/sum?a=2&b=3`)).body, { sum: 5 });
    });

    await t.test('content negotiation: MessagePack in and out, 406 for formats a route cannot speak (the other formats: functions-formats.test.ts)', async () => {
      const { pack, unpack } = await import('msgpackr');
      const r = await fetch(`${url}/fn/sum?a=2&b=3`, { headers: { accept: 'application/msgpack' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/msgpack');
      assert.deepEqual(unpack(Buffer.from(await r.arrayBuffer())), { sum: 5 });
      const created = await fetch(`${url}/fn/tasks`, { method: 'POST', headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' }, body: pack({ title: 'packed', priority: 3 }) });
      assert.equal(created.status, 201);
      assert.deepEqual(Object.keys(unpack(Buffer.from(await created.arrayBuffer()))).sort(), ['id', 'title']);
      const xml = await call(`${url}/fn/sum?a=1&b=1`, { headers: { accept: 'text/csv' } });
      assert.equal(xml.status, 406);
      assert.equal(xml.body.type, 'strata/not-acceptable');
    });

    await t.test('a before-hook that rejects: its problem reaches the client, nothing is written', async () => {
      const r = await call(`${url}/fn/tasks`, { method: 'POST', body: JSON.stringify({ title: 'forbidden', priority: 1 }) });
      assert.equal(r.status, 400);
      assert.equal(r.body.type, 'strata/validation');
      assert.deepEqual(r.body.errors, [{ field: 'title', message: 'is forbidden' }]);
      const list = await server.data.records.list('tasks', { filter: 'title = "forbidden"' });
      assert.equal(list.items.length, 0);
    });

    await t.test('auth levels: 401 anonymous, 403 by access rule / not superuser, 200 superuser', async () => {
      assert.equal((await call(`${url}/fn/tasks/${id}`)).status, 401);
      const user = await call(`${url}/fn/tasks/${id}`, { token: userToken });
      assert.equal(user.status, 403);
      assert.equal(user.body.type, 'strata/forbidden');
      const su = await call(`${url}/fn/tasks/${id}`, { token: superToken });
      assert.equal(su.status, 200);
      assert.deepEqual(su.body, { id, title: 'Write docs' });
      assert.equal((await call(`${url}/fn/admin`, { token: userToken })).status, 403);
      assert.deepEqual((await call(`${url}/fn/admin`, { token: superToken })).body, { who: 'admin1' });
    });

    await t.test('thrown errors: StrataError keeps its problem; anything else is a 500 with an event id and no internals', async () => {
      const c = await call(`${url}/fn/conflict`);
      assert.equal(c.status, 409);
      assert.equal(c.body.type, 'strata/conflict');
      const b = await call(`${url}/fn/boom`);
      assert.equal(b.status, 500);
      assert.equal(b.body.type, 'strata/internal');
      assert.match(b.body.eventId, /^[0-9a-f-]{36}$/);
      assert.ok(!JSON.stringify(b.body).includes('secret internal'));
      assert.match(app.logs(), /secret internal detail/);
    });

    await t.test('a handler past its timeout: 504 problem and its signal aborted', async () => {
      const r = await call(`${url}/fn/slow`);
      assert.equal(r.status, 504);
      assert.equal(r.body.type, 'strata/function-timeout');
      await until(() => g.slowAborted, 'slow abort');
      assert.equal(g.slowAborted, 'strata/function-timeout');
    });

    await t.test('the client going away aborts ctx.signal', async () => {
      const req = httpRequest(`${url}/fn/hang`);
      req.on('error', () => undefined);
      req.end();
      await new Promise((r) => setTimeout(r, 200));
      req.destroy();
      await until(() => g.hangAborted, 'hang abort');
    });

    await t.test('after-hook enqueues; the consumer fails once and the retry succeeds', async () => {
      const attempt = await until(() => server.cache.cache.get<number>(`sent:${id}`), 'mail consumer', 30_000);
      assert.equal(attempt, 2);
    });

    await t.test('subscriber receives bus events', async () => {
      await server.messaging.bus.publish(`fn.${u}.hello`, { n: 1 });
      assert.deepEqual(await until(() => server.cache.cache.get(`event:fn.${u}.hello`), 'bus event'), { n: 1 });
    });

    await t.test('cron runs its handler on ticks', async () => {
      await until(() => (g.ticks as number) >= 1, 'cron tick');
      assert.match(String(g.lastTick), /^\d{4}-\d\d-\d\dT/);
    });

    await t.test('OpenAPI lists function routes', async () => {
      const doc = (await call(`${url}/api/openapi.json`)).body;
      assert.ok(doc.paths['/fn/tasks/{id}'].get, 'GET /fn/tasks/{id}');
      assert.deepEqual(doc.paths['/fn/tasks'].post.requestBody.content['application/json'].schema.required, ['title', 'priority']);
      assert.ok(doc.paths['/api/collections/tasks/records'], 'collections still there');
    });

    await t.test('hot reload swaps handlers without dropping an in-flight request; a broken edit keeps the last good version', async () => {
      const inflight = call(`${url}/fn/version?wait=1`);
      await new Promise((r) => setTimeout(r, 100));
      writeFiles(dir, { 'functions/tasks.ts': tasks('v2') });
      const errors = await server.functions.reload();
      assert.deepEqual(errors.map((e) => e.file), ['broken.ts']);
      assert.deepEqual((await inflight).body, { version: 'v1' });
      assert.deepEqual((await call(`${url}/fn/version`)).body, { version: 'v2' });
      writeFiles(dir, { 'functions/tasks.ts': tasks('v3').replace("'v3' };", "'v3' ") });
      const bad = await server.functions.reload();
      assert.ok(bad.some((e) => e.file === 'tasks.ts' && e.line !== undefined), JSON.stringify(bad.map((e) => e.message)));
      assert.deepEqual((await call(`${url}/fn/version`)).body, { version: 'v2' });
    });

    await t.test('the watcher reloads an edited file by itself', async () => {
      writeFiles(dir, { 'functions/tasks.ts': tasks('v4') });
      await until(async () => (await call(`${url}/fn/version`)).body.version === 'v4' || undefined, 'watcher reload', 30_000);
      assert.match(app.logs(), /functions reloaded/);
    });
  } finally {
    await server.stop();
  }
});

test('two functions declaring the same route: start-up fails naming both files', async () => {
  const route = (p: string) => `import { defineRoute } from 'strata/functions';\nexport default defineRoute({ method: 'GET', path: '${p}', auth: 'public', handler: () => ({}) });\n`;
  const dir = appDir({ 'functions/a.ts': route('/dup/:id'), 'functions/sub/b.ts': route('/dup/:slug') });
  const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: join(dir, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'functions.dir': join(dir, 'functions') } });
  await assert.rejects(createServer(config, pino({ level: 'silent' })), (e: Error) => {
    assert.match(e.message, /route GET \/dup\/: is declared twice: in a\.ts \(default\) and in sub\/b\.ts \(default\)/);
    return true;
  });
  // A path Strata itself serves is refused the same way, naming the file, when the routes are mounted (start).
  const taken = appDir({ 'functions/health.ts': route('/healthz') });
  const { config: c2 } = loadConfig({ cwd: taken, env: {}, overrides: { dataDir: join(taken, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'functions.dir': join(taken, 'functions') } });
  const server = await createServer(c2, pino({ level: 'silent' }));
  await assert.rejects(server.start(), /^FunctionLoadError: health\.ts: GET \/healthz cannot be registered/);
  assert.equal(server.readiness.phase === 'ready', false);
});

test('without watch, a broken function file stops start-up with its file and line', async () => {
  const dir = appDir({ 'functions/ok.ts': 'export const a = 1;\n', 'functions/bad.ts': 'const x: number = ;\n' });
  const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: join(dir, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'functions.dir': join(dir, 'functions') } });
  await assert.rejects(createServer(config, pino({ level: 'silent' })), /^FunctionLoadError: bad\.ts:1:\d+: /);
});

test('shutdown aborts the signal of a handler still running when the drain grace ends', async () => {
  const dir = appDir({
    'functions/wait.ts': `import { defineRoute } from 'strata/functions';
export default defineRoute({ method: 'GET', path: '/fn/wait', auth: 'public', timeout: 600000,
  handler: ({ signal }) => new Promise((resolve) => { (globalThis as any).waitStarted = true; signal.addEventListener('abort', () => { (globalThis as any).waitAborted = true; resolve({ aborted: true }); }); }) });
`,
  });
  const app = await startApp(dir, { 'server.shutdownGrace': 300 });
  const pending = fetch(`${app.url}/fn/wait`).catch(() => undefined);
  try {
    await until(() => g.waitStarted, 'request received');
    assert.equal(g.waitAborted, undefined);
  } finally {
    await app.server.stop();
  }
  assert.equal(g.waitAborted, true);
  await pending;
});

test("ctx.records acts for the caller: another account's email is hidden unless emailVisibility, as over REST", async () => {
  const people = `
collections:
  - name: people
    type: auth
    fields:
      - { name: name, type: text }
    rules: { list: "", view: "", create: "", update: "id = @request.auth.id", delete: "id = @request.auth.id" }
`;
  const fn = `
import { defineRoute } from 'strata/functions';
export const mine = defineRoute({ method: 'GET', path: '/fn/people', auth: 'user', async handler({ records }) {
  const seen = (await records.list('people', { sort: 'name' })).items.map((r: any) => r.email ?? null);
  const all = (await records.asSuperuser().list('people', { sort: 'name' })).items.map((r: any) => r.email ?? null);
  const filtered = (await records.list('people', { filter: "email ~ 'shy'" })).items.length;
  return { seen, all, filtered };
} });
`;
  const dir = appDir({ 'functions/people.ts': fn }, people);
  const { url, server } = await startApp(dir);
  try {
    const shy = await server.data.records.create('people', { email: 'shy@example.com', name: 'a shy' });
    await server.data.records.create('people', { email: 'open@example.com', name: 'b open', emailVisibility: true });
    const other = (await server.auth.services.accessTokens.issue({ sub: 'someone', col: 'people' })).token;
    const own = (await server.auth.services.accessTokens.issue({ sub: String(shy.record.id), col: 'people' })).token;
    const asOther = await call(`${url}/fn/people`, { token: other });
    assert.equal(asOther.status, 200, JSON.stringify(asOther.body));
    assert.deepEqual(asOther.body, { seen: [null, 'open@example.com'], all: ['shy@example.com', 'open@example.com'], filtered: 0 });
    const asShy = await call(`${url}/fn/people`, { token: own });
    assert.deepEqual(asShy.body, { seen: ['shy@example.com', 'open@example.com'], all: ['shy@example.com', 'open@example.com'], filtered: 1 }, 'an account sees its own address');
    const rest = await call(`${url}/api/collections/people/records?sort=name`, { token: other });
    assert.deepEqual(rest.body.items.map((r: { email?: string }) => r.email ?? null), asOther.body.seen, 'the same as REST');
  } finally {
    await server.stop();
  }
});
