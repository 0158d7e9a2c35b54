// The same services for browsers and plain HTTP clients: the Connect protocol through plain fetch
// (JSON over HTTP/1.1) and gRPC-Web through @connectrpc/connect-web's transport, with the service
// descriptor taken from Strata's reflection service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web';
import { ownerAccess, reflectionClient, restChange, startServer, withRpc } from './rpc-helpers.js';

async function connectCall(base: string, method: string, body: unknown, token?: string, contentType = 'application/json') {
  const r = await fetch(`${base}/strata.posts.RecordService/${method}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, headers: r.headers };
}

test('Connect protocol over plain fetch: JSON in, JSON out, errors as Connect error bodies', async (t) => {
  const s = await startServer(t, { 'rpc.enabled': false }, withRpc(ownerAccess, 4096));
  const alice = await s.token('alice');
  const created = await connectCall(s.base, 'Create', { record: { title: 'over connect', views: 3, owner: 'alice', meta: '{"k":[1]}' } }, alice);
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.title, 'over connect');
  assert.equal(created.body.views, '3', 'int64 is a string in proto3 JSON');
  assert.ok(created.headers.get('x-request-id'), 'the edge hooks ran');
  const got = await connectCall(s.base, 'Get', { id: created.body.id }, alice);
  assert.equal(got.status, 200);
  assert.equal(got.body.title, 'over connect');
  const list = await connectCall(s.base, 'List', { filter: 'views = 3', perPage: 5 }, alice);
  assert.equal(list.status, 200);
  assert.equal((list.body.items as unknown[]).length, 1);
  assert.equal(list.body.perPage, 5);

  const cases: Array<[string, string, unknown, string | undefined, number, string]> = [
    ['missing record', 'Get', { id: 'nope12345678' }, alice, 404, 'not_found'],
    ['no credentials', 'Get', { id: created.body.id }, undefined, 403, 'permission_denied'],
    ['bad token', 'Get', { id: created.body.id }, 'garbage', 401, 'unauthenticated'],
    ['invalid record', 'Create', { record: { title: '', owner: 'alice' } }, alice, 400, 'invalid_argument'],
    ['unknown field', 'Create', { record: { title: 'x', owner: 'alice', colour: 'red' } }, alice, 400, 'invalid_argument'],
    ['not JSON', 'Create', '{"record": ', alice, 400, 'invalid_argument'],
    ['wrong JSON type', 'Get', { id: 42 }, alice, 400, 'invalid_argument'],
    ['too large', 'Create', { record: { title: 'x'.repeat(5000) } }, alice, 429, 'resource_exhausted'],
  ];
  for (const [name, method, body, token, status, code] of cases) {
    const r = await connectCall(s.base, method, body, token);
    assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
    // The edge's own 401 (a refused bearer) is problem+json, which Connect clients read by status.
    if (status !== 401) assert.equal(r.body.code, code, name);
  }
  const invalid = await connectCall(s.base, 'Create', { record: { title: 'x', views: -5 } }, alice);
  const details = invalid.body.details as Array<{ type: string }>;
  assert.deepEqual(
    details.map((d) => d.type),
    ['google.rpc.ErrorInfo', 'google.rpc.BadRequest'],
  );
  const wrongType = await fetch(`${s.base}/strata.posts.RecordService/Get`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
  assert.equal(wrongType.status, 415);
  await wrongType.body?.cancel();
});

test('gRPC-Web (connect-web transport): unary calls, errors, and a Watch stream fed by REST changes', async (t) => {
  const s = await startServer(t, { 'rpc.enabled': false }, withRpc(ownerAccess));
  const refl = reflectionClient(s.target);
  const [bytes] = await refl.fileContainingSymbol('strata.posts.RecordService');
  refl.close();
  const registry = createFileRegistry(fromBinary(FileDescriptorProtoSchema, bytes), () => undefined);
  const service = registry.getService('strata.posts.RecordService')!;
  const alice = await s.token('alice');
  const headers = { authorization: `Bearer ${alice}` };
  for (const [name, transport] of [
    ['grpc-web', createGrpcWebTransport({ baseUrl: s.base })],
    ['connect', createConnectTransport({ baseUrl: s.base })],
  ] as const) {
    const client = createClient(service, transport) as unknown as Record<string, (req: unknown, opts?: unknown) => Promise<Record<string, unknown>>>;
    const r = await client.create({ record: { title: `via ${name}`, owner: 'alice' } }, { headers });
    assert.equal(r.title, `via ${name}`);
    assert.equal((await client.get({ id: r.id }, { headers })).title, `via ${name}`);
    const err = await client.get({ id: 'missing00000' }, { headers }).catch((e: unknown) => ConnectError.from(e));
    assert.ok(err instanceof ConnectError, name);
    assert.equal(err.code, Code.NotFound, name);
    const denied = await client.get({ id: r.id }).catch((e: unknown) => ConnectError.from(e));
    assert.equal((denied as ConnectError).code, Code.PermissionDenied, name);
  }

  // Server streaming over gRPC-Web (HTTP/1.1): the first message says the subscription is live.
  const client = createClient(service, createGrpcWebTransport({ baseUrl: s.base })) as unknown as Record<string, (req: unknown, opts?: unknown) => AsyncIterable<Record<string, unknown>>>;
  const abort = new AbortController();
  const it = client.watch({}, { headers, signal: abort.signal })[Symbol.asyncIterator]();
  assert.equal((await it.next()).value.action, 'subscribed');
  // A change over REST (published by the data layer's outbox, or by the test until that lands).
  const record = await restChange(s, 'create', { title: 'streamed', owner: 'alice' });
  const got = (await it.next()).value;
  assert.equal(got.action, 'create');
  assert.equal(got.recordId, record.id);
  abort.abort();
  await it.return?.();
});

test('every gRPC-Web and gRPC media type passes the WAF to the RPC handler', async (t) => {
  const s = await startServer(t);
  for (const ct of ['application/grpc', 'application/grpc+proto', 'application/grpc-web', 'application/grpc-web+proto', 'application/grpc-web+json', 'application/grpc-web-text', 'application/grpc-web-text+proto']) {
    const r = await fetch(`${s.base}/strata.posts.RecordService/Get`, { method: 'POST', headers: { 'content-type': ct }, body: new Uint8Array(5) });
    const body = await r.text();
    assert.doesNotMatch(body, /strata\/waf-blocked/, ct);
    assert.notEqual(r.headers.get('content-type')?.startsWith('application/problem+json'), true, `${ct}: ${r.status} ${body.slice(0, 120)}`);
  }
});
