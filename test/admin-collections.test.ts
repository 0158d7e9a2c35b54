// The admin REST API for collections as a table of scenarios, on SQLite and PostgreSQL: superusers only,
// strata.yaml collections read-only (409), validation (400), destructive changes refused without
// ?allowDestructive=true (409), the records API following each change, a dry-run plan, persistence across a
// restart, and a second instance on the same database picking the change up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { ForbiddenError, UnauthorizedError } from '../src/core/index.js';
import { handleError } from '../src/edge/index.js';
import { adminCollectionsRoutes, recordsRoutes } from '../src/api/index.js';
import { createDataLayer, createRecordAccess, dropAll, normalizeCollections, type DataLayer } from '../src/data/index.js';
import { DataSchema, type CollectionConfig, type DataConfig } from '../src/config/schema-data.js';
import { MYSQL_URL, PG_URL, uniquePrefix, unreachable } from './data-helpers.js';
import { startStrata } from './helpers/strata-process.js';

const DECLARED: CollectionConfig[] = [{ name: 'posts', fields: [{ name: 'title', type: 'text', required: true }] }];

interface Scenario {
  name: string;
  method: string;
  url: string;
  user?: string;
  body?: unknown;
  status: number;
  type?: string;
  expect?: (body: Record<string, unknown>) => void;
}

const root = 'root';
const A = '/api/admin/collections';
const R = '/api/collections';
const scenarios: Scenario[] = [
  { name: 'no credentials', method: 'GET', url: A, status: 401, type: 'strata/unauthorized' },
  { name: 'not a superuser', method: 'POST', url: A, user: 'bob', body: { name: 'x' }, status: 403, type: 'strata/forbidden' },
  {
    name: 'list: the system collections and the strata.yaml one, all read-only',
    method: 'GET',
    url: A,
    user: root,
    status: 200,
    expect: (b) => {
      const items = b.items as Array<{ name: string; source: string; definition: { type?: string } }>;
      assert.deepEqual(items.map((x) => `${x.name}:${x.source}`), ['_superusers:system', 'users:system', 'posts:config']);
      assert.deepEqual(items[2], { name: 'posts', source: 'config', definition: DECLARED[0] });
      assert.equal(items[0].definition.type, 'auth');
      assert.equal(items[1].definition.type, 'auth');
    },
  },
  { name: 'read a system collection', method: 'GET', url: `${A}/users`, user: root, status: 200, expect: (b) => assert.equal(b.source, 'system') },
  { name: 'drop a system collection', method: 'DELETE', url: `${A}/users?allowDestructive=true`, user: root, status: 409, type: 'strata/collection-read-only', expect: (b) => assert.match(String(b.detail), /system collection/) },
  { name: 'change _superusers', method: 'PATCH', url: `${A}/_superusers`, user: root, body: { fields: [] }, status: 409, type: 'strata/collection-read-only' },
  { name: 'plan a drop of _superusers', method: 'POST', url: `${A}/plan`, user: root, body: { delete: '_superusers' }, status: 409, type: 'strata/collection-read-only' },
  { name: 'create over a system collection', method: 'POST', url: A, user: root, body: { name: 'users' }, status: 409, type: 'strata/collection-read-only' },
  { name: 'unknown collection', method: 'GET', url: `${A}/nope`, user: root, status: 404, type: 'strata/not-found' },
  { name: 'records of a collection not made yet', method: 'GET', url: `${R}/notes/records`, status: 404 },
  {
    name: 'plan a create (dry run)',
    method: 'POST',
    url: `${A}/plan`,
    user: root,
    body: { create: { name: 'notes', fields: [{ name: 'text', type: 'text', required: true }] } },
    status: 200,
    expect: (b) => assert.deepEqual(b, { plan: ['create collection notes'], destructive: [] }),
  },
  { name: 'the dry run changed nothing', method: 'GET', url: `${A}/notes`, user: root, status: 404 },
  {
    name: 'create',
    method: 'POST',
    url: A,
    user: root,
    body: { name: 'notes', fields: [{ name: 'text', type: 'text', required: true }, { name: 'post', type: 'relation', collection: 'posts' }] },
    status: 201,
    expect: (b) => {
      assert.equal((b.collection as { source: string }).source, 'api');
      assert.ok((b.plan as string[]).includes('create collection notes'));
      assert.equal(b.applied, true);
      assert.ok((b.version as number) >= 1);
    },
  },
  { name: 'records API serves the new collection', method: 'POST', url: `${R}/notes/records`, body: { text: 'hello' }, status: 201, expect: (b) => assert.equal(b.text, 'hello') },
  { name: 'create twice', method: 'POST', url: A, user: root, body: { name: 'notes' }, status: 409, type: 'strata/conflict' },
  { name: 'create over a strata.yaml collection', method: 'POST', url: A, user: root, body: { name: 'posts' }, status: 409, type: 'strata/collection-read-only' },
  { name: 'change a strata.yaml collection', method: 'PATCH', url: `${A}/posts`, user: root, body: { fields: [] }, status: 409, type: 'strata/collection-read-only' },
  { name: 'drop a strata.yaml collection', method: 'DELETE', url: `${A}/posts?allowDestructive=true`, user: root, status: 409, type: 'strata/collection-read-only' },
  { name: 'bad field type', method: 'POST', url: A, user: root, body: { name: 'bad', fields: [{ name: 'x', type: 'blob' }] }, status: 400, type: 'strata/validation', expect: (b) => assert.ok((b.errors as Array<{ field: string }>).some((e) => e.field.startsWith('fields.0'))) },
  { name: 'unknown key in the entry', method: 'POST', url: A, user: root, body: { name: 'bad', colour: 'red' }, status: 400, type: 'strata/validation' },
  { name: 'bad name', method: 'POST', url: A, user: root, body: { name: 'Bad Name;--' }, status: 400, type: 'strata/validation' },
  { name: 'not an object', method: 'POST', url: A, user: root, body: [1, 2], status: 400, type: 'strata/validation' },
  {
    name: 'relation to an unknown collection',
    method: 'POST',
    url: A,
    user: root,
    body: { name: 'bad', fields: [{ name: 'x', type: 'relation', collection: 'ghosts' }] },
    status: 400,
    type: 'strata/validation',
    expect: (b) => assert.match(JSON.stringify(b.errors), /unknown collection \\"ghosts\\"/),
  },
  { name: 'encrypted + unique refused', method: 'POST', url: A, user: root, body: { name: 'bad', fields: [{ name: 'x', type: 'text', encrypted: true, unique: true }] }, status: 400, type: 'strata/validation' },
  { name: 'add a field', method: 'PATCH', url: `${A}/notes`, user: root, body: { fields: [{ name: 'text', type: 'text', required: true }, { name: 'post', type: 'relation', collection: 'posts' }, { name: 'stars', type: 'integer' }] }, status: 200, expect: (b) => assert.deepEqual(b.plan, ['add field notes.stars (integer)']) },
  { name: 'records API has the new field', method: 'POST', url: `${R}/notes/records`, body: { text: 'two', stars: 5 }, status: 201, expect: (b) => assert.equal(b.stars, 5) },
  {
    name: 'plan a unique composite index',
    method: 'POST',
    url: `${A}/plan`,
    user: root,
    body: { update: 'notes', changes: { indexes: [{ fields: ['text', 'stars'], unique: true }] } },
    status: 200,
    expect: (b) => assert.deepEqual(b, { plan: ['add unique index notes(text, stars)'], destructive: [] }),
  },
  { name: 'add the unique index', method: 'PATCH', url: `${A}/notes`, user: root, body: { indexes: [{ fields: ['text', 'stars'], unique: true }] }, status: 200, expect: (b) => assert.deepEqual(b.plan, ['add unique index notes(text, stars)']) },
  { name: 'the unique index refuses a duplicate', method: 'POST', url: `${R}/notes/records`, body: { text: 'two', stars: 5 }, status: 409 },
  { name: 'an index on an unknown field', method: 'PATCH', url: `${A}/notes`, user: root, body: { indexes: [{ fields: ['nope'] }] }, status: 400, type: 'strata/validation' },
  { name: 'remove the index', method: 'PATCH', url: `${A}/notes`, user: root, body: { indexes: [] }, status: 200, expect: (b) => assert.deepEqual(b.plan, ['drop unique index notes(text, stars)']) },
  { name: 'the duplicate is accepted without it', method: 'POST', url: `${R}/notes/records`, body: { text: 'two', stars: 5 }, status: 201 },
  { name: 'sort by the new field', method: 'GET', url: `${R}/notes/records?sort=-stars`, status: 200, expect: (b) => assert.equal((b.items as Array<{ stars: number }>)[0].stars, 5) },
  { name: 'rename refused', method: 'PATCH', url: `${A}/notes`, user: root, body: { name: 'other' }, status: 400, type: 'strata/validation' },
  { name: 'bad allowDestructive', method: 'PATCH', url: `${A}/notes?allowDestructive=yes`, user: root, body: {}, status: 400, type: 'strata/validation' },
  {
    name: 'drop a field without allowDestructive',
    method: 'PATCH',
    url: `${A}/notes`,
    user: root,
    body: { fields: [{ name: 'text', type: 'text', required: true }, { name: 'post', type: 'relation', collection: 'posts' }] },
    status: 409,
    type: 'strata/destructive-migration',
  },
  { name: 'the refused change left the field', method: 'GET', url: `${R}/notes/records?sort=-stars`, status: 200, expect: (b) => assert.equal((b.items as Array<{ stars: number }>)[0].stars, 5) },
  {
    name: 'drop a field with allowDestructive',
    method: 'PATCH',
    url: `${A}/notes?allowDestructive=true`,
    user: root,
    body: { fields: [{ name: 'text', type: 'text', required: true }, { name: 'post', type: 'relation', collection: 'posts' }] },
    status: 200,
    expect: (b) => assert.deepEqual(b.destructive, ['drop field notes.stars (its values are deleted)']),
  },
  { name: 'the dropped field is gone from the records API', method: 'GET', url: `${R}/notes/records?sort=-stars`, status: 400 },
  { name: 'a second API collection referring to notes', method: 'POST', url: A, user: root, body: { name: 'tags', fields: [{ name: 'note', type: 'relation', collection: 'notes', onDelete: 'cascade' }] }, status: 201 },
  { name: 'drop a referenced collection', method: 'DELETE', url: `${A}/notes?allowDestructive=true`, user: root, status: 409, type: 'strata/conflict' },
  { name: 'plan a drop', method: 'POST', url: `${A}/plan`, user: root, body: { delete: 'tags' }, status: 200, expect: (b) => assert.deepEqual(b.destructive, ['drop collection tags (its records are deleted)']) },
  { name: 'bad plan request', method: 'POST', url: `${A}/plan`, user: root, body: { drop: 'tags' }, status: 400, type: 'strata/validation' },
  { name: 'drop without allowDestructive', method: 'DELETE', url: `${A}/tags`, user: root, status: 409, type: 'strata/destructive-migration' },
  { name: 'drop', method: 'DELETE', url: `${A}/tags?allowDestructive=true`, user: root, status: 200, expect: (b) => assert.equal(b.applied, true) },
  { name: 'records of the dropped collection', method: 'GET', url: `${R}/tags/records`, status: 404 },
  { name: 'list after the changes', method: 'GET', url: A, user: root, status: 200, expect: (b) => assert.deepEqual((b.items as Array<{ name: string; source: string }>).map((x) => `${x.name}:${x.source}`), ['_superusers:system', 'users:system', 'posts:config', 'notes:api']) },
];

interface Engine {
  url: string;
  dir: string;
  prefix: string;
}

function layer(e: Engine, extra: Partial<DataConfig> = {}): DataLayer {
  const data = Value.Default(DataSchema, { url: e.url, tablePrefix: e.prefix, poolSize: 4, schemaPollInterval: 0, ...extra }) as DataConfig;
  return createDataLayer({ dataDir: e.dir, data, collections: DECLARED });
}

async function serve(data: DataLayer): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify();
  app.setErrorHandler(handleError);
  await app.register(
    adminCollectionsRoutes({
      admin: () => data.admin,
      authorize: (req) => {
        if (!req.headers['x-user']) throw new UnauthorizedError();
        if (req.headers['x-user'] !== root) throw new ForbiddenError('Superusers only.');
      },
    }),
  );
  const open = createRecordAccess({ rules: { where: () => undefined }, data: () => data });
  await app.register(recordsRoutes({ get records() { return data.records; }, access: () => open, principal: () => null }));
  return { app, base: await app.listen({ port: 0, host: '127.0.0.1' }) };
}

async function call(base: string, s: Pick<Scenario, 'method' | 'url' | 'user' | 'body'>): Promise<{ status: number; body: Record<string, unknown>; type: string }> {
  const headers: Record<string, string> = {};
  if (s.user) headers['x-user'] = s.user;
  if (s.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + s.url, { method: s.method, headers, body: s.body === undefined ? undefined : JSON.stringify(s.body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : {}, type: r.headers.get('content-type') ?? '' };
}

function suite(engine: string, setup: () => Engine, skip: false | string): void {
  describe(`admin collections API: ${engine}`, { skip }, () => {
    let e: Engine;
    let data: DataLayer;
    let srv: { app: FastifyInstance; base: string };
    before(async () => {
      e = setup();
      data = layer(e);
      await data.start();
      srv = await serve(data);
    });
    after(async () => {
      await srv?.app.close();
      await data?.stop();
      if (e.url) {
        const cleanup = layer(e);
        await cleanup.migrate({ dryRun: true });
        await dropAll(cleanup.db, { dialect: cleanup.dialect, names: cleanup.names }, normalizeCollections([...DECLARED, { name: 'notes' }, { name: 'tags' }, { name: 'late' }, { name: 'race' }]));
        await cleanup.stop();
      }
      rmSync(e.dir, { recursive: true, force: true });
    });

    for (const s of scenarios) {
      test(s.name, async () => {
        const r = await call(srv.base, s);
        assert.equal(r.status, s.status, JSON.stringify(r.body));
        if (s.status >= 400) assert.match(r.type, /^application\/problem\+json/);
        if (s.type) assert.equal(r.body.type, s.type);
        s.expect?.(r.body);
      });
    }

    test('a second instance picks the change up (schema version poll), and it survives a restart', async () => {
      const other = layer(e, { schemaPollInterval: 20 });
      await other.start();
      try {
        assert.ok(other.records.collections.has('notes'), 'API collections are loaded at start');
        const before = data.records;
        const created = await call(srv.base, { method: 'POST', url: A, user: root, body: { name: 'late', fields: [{ name: 'v', type: 'text', encrypted: false }] } });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        // swapped, and a request still holding the old service finishes on it
        assert.notEqual(data.records, before);
        assert.equal(before.collections.has('late'), false);
        assert.equal((await before.list('notes', {})).items.length, 3);
        // the poll (every 20 ms) swaps the other instance's records service; bounded wait, no timing assertion
        for (let i = 0; i < 500 && !other.records.collections.has('late'); i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(other.records.collections.has('late'), 'the other instance learned of the new collection');
        const rec = await other.records.create('late', { v: 'from B' });
        assert.equal((await data.records.get('late', String(rec.record.id))).record.v, 'from B');
        assert.equal(await other.refresh(), false, 'nothing newer to load');
        // two instances creating the same collection at once: the migration lock lets exactly one win
        const race = await Promise.allSettled([
          data.admin.change({ action: 'create', definition: { name: 'race', fields: [{ name: 'a', type: 'text' }] } }),
          other.admin.change({ action: 'create', definition: { name: 'race', fields: [{ name: 'b', type: 'integer' }] } }),
        ]);
        assert.equal(race.filter((x) => x.status === 'fulfilled').length, 1, JSON.stringify(race.map((x) => x.status)));
        const lost = race.find((x) => x.status === 'rejected') as PromiseRejectedResult;
        assert.equal((lost.reason as { status?: number }).status, 409, String(lost.reason));
        await data.refresh();
        await other.refresh();
        assert.deepEqual(data.records.collection('race').fields, other.records.collection('race').fields);
      } finally {
        await other.stop();
      }
      await srv.app.close();
      await data.stop();
      data = layer(e);
      await data.start();
      srv = await serve(data);
      const list = await call(srv.base, { method: 'GET', url: A, user: root });
      assert.deepEqual((list.body.items as Array<{ name: string }>).map((x) => x.name), ['_superusers', 'users', 'posts', 'late', 'notes', 'race']);
      const notes = await call(srv.base, { method: 'GET', url: `${R}/notes/records` });
      assert.equal((notes.body.items as unknown[]).length, 3);
      // a start-up migration keeps API collections (it would otherwise plan to drop them)
      assert.deepEqual((await data.migrate({ dryRun: true })).plan, []);
    });
  });
}

test('the server: closed to anyone but superusers; a collection whose rule does not compile is refused, a good one obeys its rules', async () => {
  const s = await startStrata({ args: ['serve', '--port', '0', '--no-https'] });
  try {
    for (const [method, url] of [['GET', A], ['POST', A], ['DELETE', `${A}/x`], ['POST', `${A}/plan`]]) {
      const r = await call(s.http!, { method, url, body: method === 'POST' ? { name: 'x' } : undefined });
      assert.equal(r.status, 401, `${method} ${url}`);
      assert.equal(r.body.type, 'strata/unauthorized');
    }
    const pass = 'correct horse battery staple 42';
    const json = (url: string, body: unknown, token?: string) =>
      fetch(s.http + url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const setup = /_strata\/setup#(\S+)/.exec(s.output())![1];
    assert.equal((await json('/_strata/setup', { token: setup, email: 'root@example.com', password: pass })).status, 201);
    const root = ((await (await json('/api/collections/_superusers/auth/login', { identity: 'root@example.com', password: pass })).json()) as { token: string }).token;
    const as = { authorization: `Bearer ${root}` };
    const bad = await json(A, { name: 'notes', fields: [{ name: 'text', type: 'text' }], rules: { list: 'nosuchfield = 1' } }, root);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /rules\.list/);
    const listed = (await (await fetch(s.http + A, { headers: as })).json()) as { items: Array<{ name: string }> };
    assert.ok(!listed.items.some((c) => c.name === 'notes'), 'nothing was created');
    const good = await json(A, { name: 'notes', fields: [{ name: 'text', type: 'text' }], rules: { list: '', view: '', create: "text != ''" } }, root);
    assert.equal(good.status, 201, await good.clone().text());
    assert.equal((await json('/api/collections/notes/records', { text: 'hi' })).status, 201);
    assert.equal((await json('/api/collections/notes/records', { text: '' })).status, 403, 'the create rule of an API-made collection applies');
    assert.equal((await fetch(`${s.http}/api/collections/notes/records/abcdefghij`, { method: 'DELETE' })).status, 403, 'no delete rule: superusers only');

    // gRPC/Connect follows the collections: the new one is served with no restart (Connect's JSON over HTTP/1.1)
    const rpc = (method: string, body: unknown) => fetch(`${s.http}/strata.notes.RecordService/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'connect-protocol-version': '1' }, body: JSON.stringify(body) });
    const listed2 = await rpc('List', {});
    assert.equal(listed2.status, 200, await listed2.clone().text());
    assert.deepEqual(((await listed2.json()) as { items: Array<{ text: string }> }).items.map((r) => r.text), ['hi']);
    const made = await rpc('Create', { record: { text: 'over rpc' } });
    assert.equal(made.status, 200, await made.clone().text());
    assert.equal((await rpc('Create', { record: { text: '' } })).status, 403, 'the same create rule over RPC');
    // a field the collection gains is in the RPC message at once
    const changed = await fetch(`${s.http}${A}/notes`, { method: 'PATCH', headers: { 'content-type': 'application/json', ...as }, body: JSON.stringify({ fields: [{ name: 'text', type: 'text' }, { name: 'stars', type: 'integer' }] }) });
    assert.equal(changed.status, 200, await changed.clone().text());
    const starred = await rpc('Create', { record: { text: 'starred', stars: 5 } });
    assert.equal(starred.status, 200, await starred.clone().text());
    assert.equal(Number(((await starred.json()) as { stars?: string }).stars), 5, 'int64 as a JSON string (the protobuf JSON mapping)');
    // dropped: its service is gone
    assert.equal((await fetch(`${s.http}${A}/notes?allowDestructive=true`, { method: 'DELETE', headers: as })).status, 200);
    assert.equal((await rpc('List', {})).status, 404);

    // an auth collection made at run time signs up and logs in at once (accounts read the live collections)
    const members = await json(A, { name: 'members', type: 'auth', fields: [{ name: 'nick', type: 'text' }], rules: { list: '', view: '', create: '' } }, root);
    assert.equal(members.status, 201, await members.clone().text());
    const signup = await json('/api/collections/members/records', { email: 'm1@example.com', password: pass, passwordConfirm: pass, nick: 'm1' });
    assert.equal(signup.status, 201, await signup.clone().text());
    const login = await json('/api/collections/members/auth/login', { identity: 'm1@example.com', password: pass });
    assert.equal(login.status, 200, await login.clone().text());
    const member = ((await login.json()) as { record: { id: string; nick: string } }).record;
    assert.equal(member.nick, 'm1');
    assert.equal((await fetch(`${s.http}/strata.nosuch.RecordService/List`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 404);
  } finally {
    await s.stop();
  }
});

suite('sqlite', () => ({ url: '', dir: mkdtempSync(join(tmpdir(), 'strata-admin-')), prefix: '' }), false);
suite('postgres', () => ({ url: PG_URL, dir: mkdtempSync(join(tmpdir(), 'strata-admin-')), prefix: uniquePrefix() }), await unreachable(5432));
suite('mysql', () => ({ url: MYSQL_URL, dir: mkdtempSync(join(tmpdir(), 'strata-admin-')), prefix: uniquePrefix() }), await unreachable(3306));
