// gRPC through @grpc/grpc-js (another implementation than the server's), over h2c and TLS, with the
// collection's service descriptors taken from Strata's reflection service: CRUD, List paging,
// errors as status codes with details, authentication, access rules, bad and oversized messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { grpc, ownerAccess, recordClient, reflectionClient, rejected, startServer, unary, withRpc, type RecordClient } from './rpc-helpers.js';

test('reflection (v1 and v1alpha) lists the collection services, health and reflection itself', async (t) => {
  const s = await startServer(t);
  for (const version of ['v1', 'v1alpha'] as const) {
    const refl = reflectionClient(s.target, undefined, version);
    const names = await refl.listServices();
    refl.close();
    assert.deepEqual(
      [...names].sort(),
      ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection', 'strata.posts.RecordService'],
      `${version}: document collection "notes" has no service`,
    );
  }
  const refl = reflectionClient(s.target);
  const missing = await refl.ask({ fileContainingSymbol: 'strata.nope.RecordService' });
  assert.equal((missing.errorResponse as { errorCode: number }).errorCode, grpc.status.NOT_FOUND);
  const byName = await refl.ask({ fileByFilename: 'strata/posts.proto' });
  assert.equal((byName.fileDescriptorResponse as { fileDescriptorProto: Buffer[] }).fileDescriptorProto.length, 1);
  const byMethod = await refl.fileContainingSymbol('strata.posts.RecordService.Watch');
  assert.ok(byMethod[0].includes(Buffer.from('RecordEvent')));
  refl.close();
});

test('health service: the server and each service SERVING, unknown services NOT_FOUND', async (t) => {
  const s = await startServer(t);
  const refl = reflectionClient(s.target);
  const files = await refl.fileContainingSymbol('grpc.health.v1.Health');
  refl.close();
  const { loadFileDescriptorSetFromBuffer } = await import('@grpc/proto-loader');
  const set = Buffer.concat([Buffer.from([0x0a, files[0].length & 0x7f | (files[0].length > 127 ? 0x80 : 0), ...(files[0].length > 127 ? [files[0].length >> 7] : [])]), files[0]]);
  const pkg = grpc.loadPackageDefinition(loadFileDescriptorSetFromBuffer(set, { enums: String })) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  const client = new pkg.grpc.health.v1.Health(s.target, grpc.credentials.createInsecure()) as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, v: { status: string }) => void) => void>;
  const check = (service: string) => new Promise<{ status: string }>((resolve, reject) => client.check({ service }, (e, v) => (e ? reject(e) : resolve(v))));
  assert.equal((await check('')).status, 'SERVING');
  assert.equal((await check('strata.posts.RecordService')).status, 'SERVING');
  assert.equal((await rejected(check('strata.nope.RecordService'))).code, grpc.status.NOT_FOUND);
  (client as unknown as grpc.Client).close();
});

test('unary RPCs over h2c: create, get, list with filter/sort/paging/cursor, update, delete', async (t) => {
  const s = await startServer(t, { 'rpc.enabled': false }, withRpc(ownerAccess));
  const c = await recordClient(s.target, 'posts');
  t.after(() => c.close());
  const alice = await s.token('alice');
  const created = await unary(c, 'Create', { record: { title: 'first', views: 3, owner: 'alice', published: true, meta: '{"a":1}' } }, alice);
  assert.match(String(created.id), /^[A-Za-z0-9_-]+$/);
  assert.equal(created.title, 'first');
  assert.equal(created.views, 3);
  assert.equal(created.published, true);
  assert.equal(created.meta, '{"a":1}');
  for (let i = 0; i < 4; i++) await unary(c, 'Create', { record: { title: `p${i}`, views: 10 + i, owner: 'alice' } }, alice);

  const got = await unary(c, 'Get', { id: created.id }, alice);
  assert.equal(got.title, 'first');
  // The same record over REST as Protocol Buffers is byte-for-byte the same message.
  const rest = await fetch(`${s.base}/api/collections/posts/records/${String(created.id)}`, { headers: { accept: 'application/x-protobuf', authorization: `Bearer ${await s.token('root', '_superusers')}` } });
  assert.equal(rest.status, 200);
  const fields = await unary(c, 'Get', { id: created.id, fields: 'id,title' }, alice);
  assert.equal(fields.title, 'first');
  assert.equal(fields.views, undefined);

  const page1 = await unary<{ items: Array<Record<string, unknown>>; page: number; per_page: number; total_items?: number; next_cursor?: string }>(
    c,
    'List',
    { filter: 'views >= 10', sort: '-title', per_page: 2, total_items: true },
    alice,
  );
  assert.deepEqual(
    page1.items.map((r) => r.views),
    [13, 12],
  );
  assert.equal(page1.per_page, 2);
  assert.equal(page1.total_items, 4);
  assert.ok(page1.next_cursor);
  const page2 = await unary<{ items: Array<Record<string, unknown>> }>(c, 'List', { filter: 'views >= 10', sort: '-title', per_page: 2, cursor: page1.next_cursor }, alice);
  assert.deepEqual(
    page2.items.map((r) => r.views),
    [11, 10],
  );
  const byPage = await unary<{ items: Array<Record<string, unknown>>; page: number }>(c, 'List', { filter: 'views >= 10', sort: 'views', per_page: 3, page: 2 }, alice);
  assert.equal(byPage.page, 2);
  assert.deepEqual(
    byPage.items.map((r) => r.views),
    [13],
  );

  const updated = await unary(c, 'Update', { id: created.id, record: { views: 7 } }, alice);
  assert.equal(updated.views, 7);
  assert.equal(updated.title, 'first', 'fields not set in the message are left alone');
  await unary(c, 'Delete', { id: created.id }, alice);
  assert.equal((await rejected(unary(c, 'Get', { id: created.id }, alice))).code, grpc.status.NOT_FOUND);
});

test('errors map to status codes with google.rpc details', async (t) => {
  const s = await startServer(t, { 'rpc.enabled': false }, withRpc(ownerAccess, 4096));
  const c = await recordClient(s.target, 'posts');
  t.after(() => c.close());
  const alice = await s.token('alice');

  const invalid = await rejected(unary(c, 'Create', { record: { title: 'x', views: -1, owner: 'alice' } }, alice));
  assert.equal(invalid.code, grpc.status.INVALID_ARGUMENT);
  const details = invalid.metadata.get('grpc-status-details-bin')[0] as Buffer;
  assert.ok(details.includes(Buffer.from('strata/validation')), 'ErrorInfo reason is the problem type');
  assert.ok(details.includes(Buffer.from('google.rpc.BadRequest')) && details.includes(Buffer.from('views')), 'BadRequest names the field');

  assert.equal((await rejected(unary(c, 'Create', { record: { views: 1, owner: 'alice' } }, alice))).code, grpc.status.INVALID_ARGUMENT, 'required title');
  assert.equal((await rejected(unary(c, 'Create', {}, alice))).code, grpc.status.INVALID_ARGUMENT, 'no record');
  assert.equal((await rejected(unary(c, 'Get', { id: '' }, alice))).code, grpc.status.INVALID_ARGUMENT);
  assert.equal((await rejected(unary(c, 'List', { filter: 'views >>> 1' }, alice))).code, grpc.status.INVALID_ARGUMENT, 'bad filter');
  assert.equal((await rejected(unary(c, 'List', { per_page: 100000 }, alice))).code, grpc.status.INVALID_ARGUMENT, 'perPage bound');
  assert.equal((await rejected(unary(c, 'Get', { id: 'doesnotexist123' }, alice))).code, grpc.status.NOT_FOUND);

  const r = await unary(c, 'Create', { record: { title: 'mine', owner: 'alice', slug: 'mine' } }, alice);
  assert.equal((await rejected(unary(c, 'Create', { record: { title: 'refused by rule', owner: 'alice' } }, alice))).code, grpc.status.PERMISSION_DENIED, 'the rule saw the body');
  assert.equal((await rejected(unary(c, 'Update', { id: r.id, record: { title: 'refused by rule' } }, alice))).code, grpc.status.PERMISSION_DENIED);
  const taken = await rejected(unary(c, 'Create', { record: { title: 'again', owner: 'alice', slug: 'mine' } }, alice));
  assert.equal(taken.code, grpc.status.ALREADY_EXISTS);
  const stale = await rejected(unary(c, 'Update', { id: r.id, record: { views: 2 }, if_match: '"0-0"' }, alice));
  assert.equal(stale.code, grpc.status.FAILED_PRECONDITION);

  // Authentication: none → refused by the rule; a bad token → UNAUTHENTICATED; others' records are invisible.
  assert.equal((await rejected(unary(c, 'Get', { id: r.id }))).code, grpc.status.PERMISSION_DENIED);
  assert.equal((await rejected(unary(c, 'Get', { id: r.id }, 'not.a.jwt'))).code, grpc.status.UNAUTHENTICATED);
  const bob = await s.token('bob');
  assert.equal((await rejected(unary(c, 'Get', { id: r.id }, bob))).code, grpc.status.NOT_FOUND);
  assert.equal((await rejected(unary(c, 'Delete', { id: r.id }, bob))).code, grpc.status.NOT_FOUND);
  const bobList = await unary<{ items: unknown[] }>(c, 'List', {}, bob);
  assert.equal(bobList.items, undefined, 'an empty list (no items on the wire)');
  const admin = await s.token('root', '_superusers');
  assert.equal((await unary(c, 'Get', { id: r.id }, admin)).title, 'mine');

  // An API key is a bearer credential too.
  const { key } = await s.server.auth.services.apiKeys.create({ userId: 'alice', name: 'ci', scopes: [] });
  assert.equal((await unary(c, 'Get', { id: r.id }, key)).title, 'mine');
  assert.equal((await rejected(unary(c, 'Get', { id: r.id }, 'sk_bogus'))).code, grpc.status.UNAUTHENTICATED);

  // Oversized and malformed messages.
  const big = await rejected(unary(c, 'Create', { record: { title: 'x'.repeat(5000), owner: 'alice' } }, alice));
  assert.equal(big.code, grpc.status.RESOURCE_EXHAUSTED);
  const garbage = await rejected(
    new Promise((resolve, reject) => {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${alice}`);
      c.makeUnaryRequest('/strata.posts.RecordService/Get', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0xff, 0xff, 0xff]), md, (e, v) => (e ? reject(e) : resolve(v)));
    }),
  );
  // As grpc-java and grpc-go do, an undecodable request message is INTERNAL; nothing of the server leaks.
  assert.equal(garbage.code, grpc.status.INTERNAL);
  assert.doesNotMatch(garbage.details, /at |\/work|node_modules/);
  const unknown = await rejected(
    new Promise((resolve, reject) => c.makeUnaryRequest('/strata.posts.RecordService/Nope', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e, v) => (e ? reject(e) : resolve(v)))),
  );
  assert.equal(unknown.code, grpc.status.UNIMPLEMENTED);
});

test('as wired in server.ts: gRPC over TLS (HTTP/2 by ALPN), superusers only until access rules land', async (t) => {
  const s = await startServer(t, { 'server.https.enabled': true, 'server.https.port': 0 });
  const https = s.server.edge.urls().find((u) => u.kind === 'https')!.url;
  const creds = grpc.credentials.createSsl(readFileSync(s.server.edge.tls!.ca!));
  const target = https.replace(/^https:\/\//, '');
  const c = await recordClient(target, 'posts', creds, { 'grpc.ssl_target_name_override': 'localhost' });
  t.after(() => c.close());
  const admin = await s.token('root', '_superusers');
  const r = await unary(c, 'Create', { record: { title: 'over tls' } }, admin);
  assert.equal((await unary(c, 'Get', { id: r.id }, admin)).title, 'over tls');
  const user = await s.token('alice');
  assert.equal((await rejected(unary(c, 'Get', { id: r.id }, user))).code, grpc.status.PERMISSION_DENIED);
  assert.equal((await rejected(unary(c, 'Get', { id: r.id }))).code, grpc.status.PERMISSION_DENIED);
});

test('service.proto: the served definitions as .proto source, usable by a client built from the text alone', async (t) => {
  const s = await startServer(t);
  const r = await fetch(`${s.base}/api/collections/posts/service.proto`);
  assert.equal(r.status, 200);
  const source = await r.text();
  assert.match(source, /service RecordService \{/);
  assert.match(source, /rpc Watch\(WatchRequest\) returns \(stream RecordEvent\);/);
  // The messages are those of the REST schema.proto, field for field.
  const rest = await (await fetch(`${s.base}/api/collections/posts/schema.proto`)).text();
  const body = (text: string, name: string) => text.slice(text.indexOf(`message ${name} {`), text.indexOf('}', text.indexOf(`message ${name} {`)));
  assert.equal(body(source, 'Record'), body(rest, 'Record'));
  assert.equal(body(source, 'RecordList'), body(rest, 'RecordList'));

  const dir = mkdtempSync(join(tmpdir(), 'strata-proto-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'posts.proto'), source);
  const def = protoLoader.loadSync(join(dir, 'posts.proto'), { keepCase: true, longs: Number });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { strata: { posts: { RecordService: grpc.ServiceClientConstructor } } };
  const c = new pkg.strata.posts.RecordService(s.target, grpc.credentials.createInsecure()) as unknown as RecordClient;
  t.after(() => c.close());
  const admin = await s.token('root', '_superusers');
  const created = await unary(c, 'Create', { record: { title: 'from text', views: 2 } }, admin);
  assert.equal((await unary(c, 'Get', { id: created.id }, admin)).views, 2);

  for (const name of ['notes', 'nope']) {
    const missing = await fetch(`${s.base}/api/collections/${name}/service.proto`);
    assert.equal(missing.status, 404, name);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/problem\+json/);
    await missing.body?.cancel();
  }
});

test("a superuser's gRPC reads (Get, List) are not audited as changes; its gRPC writes are", async (t) => {
  const s = await startServer(t);
  const c = await recordClient(s.target, 'posts');
  t.after(() => c.close());
  const admin = await s.token('root', '_superusers');
  const created = await unary(c, 'Create', { record: { title: 'audited' } }, admin);
  await unary(c, 'Get', { id: created.id }, admin);
  await unary(c, 'List', {}, admin);
  await unary(c, 'Update', { id: created.id, record: { title: 'audited again' } }, admin);
  const audit = s.server.auth.services.audit;
  // entries are written once each answer is sent: wait for both writes
  let targets: string[] = [];
  for (let i = 0; i < 100 && targets.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
    targets = (await audit.query({ action: 'superuser.request' })).items.map((x) => String(x.target));
  }
  assert.deepEqual(targets.sort(), ['/strata.posts.RecordService/Create', '/strata.posts.RecordService/Update']);
});
