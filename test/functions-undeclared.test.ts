// Undeclared body and query properties never reach a function handler (issue 22 item 2): removed by
// default, a 400 naming each one with functions.undeclaredProperties: reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request } from 'undici';
import { appDir, startApp } from './functions-helpers.js';

// The handler echoes exactly what it received.
const ECHO = `import { defineRoute, Type } from 'strata/functions';
export const keys = defineRoute({
  method: 'POST',
  path: '/fn/keys',
  auth: 'public',
  formats: ['json', 'msgpack'],
  schema: {
    query: Type.Object({ page: Type.Optional(Type.Integer()) }),
    body: Type.Object({
      a: Type.String(),
      meta: Type.Optional(Type.Object({ label: Type.String() })),
      tags: Type.Optional(Type.Array(Type.Object({ name: Type.String() }))),
      maybe: Type.Optional(Type.Union([Type.Object({ x: Type.Number() }), Type.Null()])),
      labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    }),
  },
  async handler({ body, query }) {
    return { body, query };
  },
});
`;

const SENT = {
  a: 'x',
  owner: 'someone-else',
  verified: true,
  meta: { label: 'l', admin: true },
  tags: [{ name: 't', role: 'root' }],
  maybe: { x: 1, sneaky: 1 },
  labels: { free: 'form', keys: 'kept' },
};

async function post(url: string, body: unknown) {
  const r = await request(`${url}/fn/keys?page=2&role=admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.statusCode, body: (await r.body.json()) as Record<string, any> };
}

test('undeclared body and query properties are removed before the handler (the default)', async (t) => {
  const dir = appDir({ 'functions/keys.ts': ECHO });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startApp(dir);
  t.after(() => app.server.stop());
  const r = await post(app.url, SENT);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.query, { page: 2 });
  assert.deepEqual(r.body.body, {
    a: 'x',
    meta: { label: 'l' },
    tags: [{ name: 't' }],
    maybe: { x: 1 },
    // A map (Type.Record) declares any key: nothing is removed from it.
    labels: { free: 'form', keys: 'kept' },
  });
});

test('functions.undeclaredProperties: reject answers 400 naming each undeclared property', async (t) => {
  const dir = appDir({ 'functions/keys.ts': ECHO }, 'functions:\n  undeclaredProperties: reject\n');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startApp(dir);
  t.after(() => app.server.stop());
  const bad = await post(app.url, SENT);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.type, 'strata/validation');
  const fields = (bad.body.errors as { field: string }[]).map((e) => e.field).sort();
  // Query is checked first: the first failing part answers.
  assert.deepEqual(fields, ['query.role']);
  const r = await request(`${app.url}/fn/keys?page=2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SENT) });
  const b = (await r.body.json()) as { errors: { field: string; message: string }[] };
  assert.equal(r.statusCode, 400);
  // (The nullable union also reports its failed branches at body.maybe.)
  const undeclared = b.errors.filter((e) => e.message === 'is not declared by the schema').map((e) => e.field);
  assert.deepEqual(undeclared.sort(), ['body.maybe.sneaky', 'body.meta.admin', 'body.owner', 'body.tags.0.role', 'body.verified']);
  const clean = await request(`${app.url}/fn/keys?page=2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x', labels: { any: 'key' } }) });
  assert.equal(clean.statusCode, 200);
  assert.deepEqual(((await clean.body.json()) as { body: unknown }).body, { a: 'x', labels: { any: 'key' } });
});
