// strata-test: tsx
// `strata build` (tsc + esbuild: type errors fail it, the output loads as plain JS) and
// `strata gen client` (the client compiles under tsc and talks to a running server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runStrata } from './helpers/strata-process.js';
import { appDir, ROOT, startApp, writeFiles } from './functions-helpers.js';
import { loadFunctions } from '../src/functions/index.js';

const PKG = '{ "type": "module" }\n';
const hello = `import { defineRoute, Type } from 'strata/functions';
import { greet } from './_lib/greet.ts';
export const hello = defineRoute({
  method: 'GET', path: '/fn/hello/:name', auth: 'public',
  schema: { params: Type.Object({ name: Type.String({ maxLength: 20 }) }), query: Type.Object({ loud: Type.Optional(Type.Boolean()) }), response: Type.Object({ text: Type.String() }) },
  handler: ({ params, query }) => ({ text: query.loud ? greet(params.name).toUpperCase() : greet(params.name) }),
});
export const add = defineRoute({
  method: 'POST', path: '/fn/add', auth: 'public',
  schema: { body: Type.Object({ a: Type.Number(), b: Type.Number() }), response: Type.Object({ sum: Type.Number() }) },
  handler: ({ body }) => ({ sum: body.a + body.b }),
});
`;
const yaml = `
collections:
  - name: notes
    fields:
      - { name: text, type: text, required: true }
      - { name: stars, type: integer }
    rules: { list: "", view: "", create: "", update: "", delete: "" }
`;

test('strata build: compiles to ES modules that load without tsx; a type error fails it with file and line', async () => {
  const dir = appDir({ 'package.json': PKG, 'functions/hello.ts': hello, 'functions/_lib/greet.ts': 'export const greet = (n: string): string => `hello ${n}`;\n', 'functions/templates/page.eta': '<p><%= it.x %></p>' }, yaml);
  const ok = await runStrata({ cwd: dir, args: ['build', '--out', 'dist/fn'] });
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.ok(existsSync(join(dir, 'dist/fn/hello.mjs')));
  assert.ok(!existsSync(join(dir, 'dist/fn/_lib/greet.mjs')), 'helpers are bundled, not entry points');
  assert.ok(existsSync(join(dir, 'dist/fn/templates/page.eta')));
  const loaded = await loadFunctions(join(dir, 'dist/fn'));
  assert.deepEqual(loaded.errors, []);
  assert.deepEqual(loaded.functions.map((f) => f.exportName).sort(), ['add', 'hello']);
  // Served from the build output, as in production.
  const app = await startApp(dir, { 'functions.dir': join(dir, 'dist/fn') });
  try {
    const r = await fetch(`${app.url}/fn/hello/bo?loud=true`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { text: 'HELLO BO' });
  } finally {
    await app.server.stop();
  }

  writeFiles(dir, { 'functions/bad.ts': "import { defineRoute } from 'strata/functions';\nconst n: number = 'not a number';\nexport default defineRoute({ method: 'GET', path: '/x', handler: () => n });\n" });
  const bad = await runStrata({ cwd: dir, args: ['build', '--out', 'dist/fn'] });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.ts:2:7: TS2322 /);
  assert.match(bad.stderr, /build failed/);
});

test('strata gen client: the client compiles with tsc, calls a running server and receives realtime events', async () => {
  const dir = appDir({ 'package.json': PKG, 'functions/hello.ts': hello, 'functions/_lib/greet.ts': 'export const greet = (n: string): string => `hello ${n}`;\n' }, yaml);
  const gen = await runStrata({ cwd: dir, args: ['gen', 'client', '--out', 'client.ts'] });
  assert.equal(gen.code, 0, gen.stderr);
  // A consumer of the client, type-checked with it: wrong argument types would fail tsc.
  writeFileSync(
    join(dir, 'use.ts'),
    `import { createClient } from './client.ts';
export async function run(baseUrl: string) {
  const api = createClient({ baseUrl });
  const note = await api.collections.notes.create({ text: 'hi', stars: 3 });
  const page = await api.collections.notes.list({ sort: '-created' });
  const hi = await api.functions.getFnHelloByName({ params: { name: 'ann' }, query: { loud: true } });
  const sum = await api.functions.postFnAdd({ body: { a: 2, b: 3 } });
  const t: string = hi.text; const s: number = sum.sum; const id: string = note.id;
  let problem: unknown;
  try { await api.functions.postFnAdd({ body: { a: 1, b: 'x' as unknown as number } }); } catch (e) { problem = e; }
  return { t, s, id, count: page.items.length, problem };
}
/** The first realtime event matching the filter, typed as a notes record. */
export async function watch(baseUrl: string) {
  const api = createClient({ baseUrl });
  const events: { action: string; text: string; stars: number | null | undefined }[] = [];
  let resolve!: () => void;
  const got = new Promise<void>((r) => (resolve = r));
  const sub = api.subscribe('notes', { filter: 'stars > 2', onEvent: (e) => { const text: string = e.record.text ?? ''; events.push({ action: e.action, text, stars: e.record.stars }); resolve(); } });
  await sub.ready;
  await api.collections.notes.create({ text: 'too few', stars: 1 });
  await api.collections.notes.create({ text: 'starred', stars: 5 });
  await got;
  sub.close();
  const refused = api.subscribe('nope' as 'notes', { onEvent: () => undefined });
  const problem = await refused.ready.then(() => undefined, (e: unknown) => e);
  return { events, lastEventId: sub.lastEventId, problem };
}
/** A stream cut after its first event: the client reconnects with Last-Event-ID and misses nothing. */
export async function resume(baseUrl: string) {
  const sent: (string | null)[] = [];
  const cutting: typeof fetch = async (url, init) => {
    if (!String(url).includes('/api/realtime/sse')) return fetch(url, init);
    sent.push(new Headers(init?.headers).get('last-event-id'));
    const r = await fetch(url, init);
    if (sent.length > 1 || !r.body) return r;
    const cut = r.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform(chunk, ctl) { ctl.enqueue(chunk); if (new TextDecoder().decode(chunk).includes('"type":"event"')) ctl.terminate(); } }));
    return new Response(cut, { status: r.status, headers: r.headers });
  };
  const api = createClient({ baseUrl, fetch: cutting });
  const texts: string[] = [];
  let resolve!: () => void;
  const got = new Promise<void>((r) => (resolve = r));
  const sub = api.subscribe('notes', { filter: 'text ~ "resume-"', onEvent: (e) => { texts.push(e.record.text ?? ''); if (texts.length === 1) void api.collections.notes.create({ text: 'resume-2' }); if (texts.length === 2) resolve(); } });
  await sub.ready;
  const first = await api.collections.notes.create({ text: 'resume-1' });
  await got;
  sub.close();
  return { texts, sent, first: first.id };
}
`,
  );
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, lib: ['ES2022', 'DOM'], types: [], skipLibCheck: true }, files: ['client.ts', 'use.ts'] }));
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

  const app = await startApp(dir);
  try {
    const { run } = (await import(pathToFileURL(join(dir, 'use.ts')).href)) as { run: (u: string) => Promise<{ t: string; s: number; id: string; count: number; problem: { status: number; problem: { type: string } } }> };
    const r = await run(app.url);
    assert.equal(r.t, 'HELLO ANN');
    assert.equal(r.s, 5);
    assert.match(r.id, /^[a-z0-9]+$/);
    assert.equal(r.count, 1);
    assert.equal(r.problem.status, 400);
    assert.equal(r.problem.problem.type, 'strata/validation');
    const { watch } = (await import(pathToFileURL(join(dir, 'use.ts')).href)) as { watch: (u: string) => Promise<{ events: unknown[]; lastEventId: string; problem: { status: number; problem: { type: string } } }> };
    const w = await watch(app.url);
    assert.deepEqual(w.events, [{ action: 'create', text: 'starred', stars: 5 }], 'the filtered-out record was not delivered');
    assert.match(w.lastEventId, /^\d+$/);
    assert.equal(w.problem.status, 404);
    const { resume } = (await import(pathToFileURL(join(dir, 'use.ts')).href)) as { resume: (u: string) => Promise<{ texts: string[]; sent: (string | null)[] }> };
    const rs = await resume(app.url);
    assert.deepEqual(rs.texts, ['resume-1', 'resume-2'], 'the event created while cut off came after the reconnect, once');
    assert.equal(rs.sent.length, 2, JSON.stringify(rs));
    assert.equal(rs.sent[0], null);
    assert.match(rs.sent[1] ?? '', /^\d+$/, 'the reconnect sent Last-Event-ID');
  } finally {
    await app.server.stop();
  }
});
