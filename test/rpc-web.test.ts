// The same services for browsers and plain HTTP clients: the Connect protocol through plain fetch
// (JSON over HTTP/1.1), gRPC-Web through @connectrpc/connect-web's transport, and gRPC-Web text mode
// framed by hand (test/grpc-web-text.ts), with the service descriptor taken from Strata's reflection service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, createFileRegistry, fromBinary, toBinary, toJson, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web';
import { ownerAccess, reflectionClient, restChange, startServer, withRpc } from './rpc-helpers.js';
import { decodeChunks, frame, grpcWebTextFetch, parseFrames } from './grpc-web-text.js';

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

async function postsService(s: { target: string }): Promise<DescService> {
  const refl = reflectionClient(s.target);
  const [bytes] = await refl.fileContainingSymbol('strata.posts.RecordService');
  refl.close();
  return createFileRegistry(fromBinary(FileDescriptorProtoSchema, bytes), () => undefined).getService('strata.posts.RecordService')!;
}

test('gRPC-Web text mode (application/grpc-web-text): base64 frames and trailers per PROTOCOL-WEB.md, the same answers as binary gRPC-Web', async (t) => {
  const s = await startServer(t, { 'rpc.enabled': false }, withRpc(ownerAccess));
  const service = await postsService(s);
  const alice = await s.token('alice');
  const bob = await s.token('bob');
  const method = (name: string) => service.methods.find((m) => m.name === name)!;

  /** One unary call framed by hand; `text` picks the text mode, else binary gRPC-Web. */
  async function call(name: string, req: Record<string, unknown>, token: string | undefined, mode: 'text' | 'text-plain' | 'binary') {
    const m = method(name);
    const bytes = frame(0, toBinary(m.input, create(m.input, req as never)));
    // A client may send its body as several padded base64 chunks: the first five bytes (the frame header) apart.
    const body = mode === 'binary' ? bytes : bytes.subarray(0, 5).toString('base64') + bytes.subarray(5).toString('base64');
    const contentType = mode === 'binary' ? 'application/grpc-web+proto' : mode === 'text' ? 'application/grpc-web-text+proto' : 'application/grpc-web-text';
    const r = await fetch(`${s.base}/strata.posts.RecordService/${name}`, {
      method: 'POST',
      headers: { 'content-type': contentType, accept: mode === 'binary' ? contentType : 'application/grpc-web-text', 'x-grpc-web': '1', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    assert.equal(r.status, 200, `${name} ${mode}`);
    const raw = Buffer.from(await r.arrayBuffer());
    let bytesBack: Buffer = raw;
    if (mode !== 'binary') {
      assert.equal(r.headers.get('content-type'), 'application/grpc-web-text+proto', `${name} ${mode}`);
      assert.match(raw.toString('latin1'), /^[A-Za-z0-9+/=]*$/, 'the body is base64 text');
      const d = decodeChunks(raw.toString('latin1'));
      bytesBack = d.bytes;
    }
    const f = parseFrames(bytesBack);
    assert.ok(f.trailerLast, `${name} ${mode}: the trailer frame ends the body`);
    const messages = f.messages.map((b) => toJson(m.output, fromBinary(m.output, b)) as Record<string, unknown>);
    return { messages, status: f.trailers['grpc-status'] ?? r.headers.get('grpc-status'), message: f.trailers['grpc-message'] ?? r.headers.get('grpc-message') ?? '' };
  }
  const stable = (x: { messages: Record<string, unknown>[]; status: string | null; message: string }) => JSON.stringify(x);

  // Create, Get, List, Update, Delete in text mode.
  const made = await call('Create', { record: { title: 'over text', owner: 'alice' } }, alice, 'text');
  assert.equal(made.status, '0', made.message);
  const id = String(made.messages[0].id);
  assert.equal(made.messages[0].title, 'over text');
  const textGet = await call('Get', { id }, alice, 'text-plain');
  assert.equal(textGet.status, '0');
  assert.equal(textGet.messages[0].title, 'over text');
  const listed = await call('List', { filter: 'title = "over text"', perPage: 5 }, alice, 'text');
  assert.deepEqual((listed.messages[0].items as Array<{ id: string }>).map((x) => x.id), [id]);
  const updated = await call('Update', { id, record: { title: 'over text, changed' } }, alice, 'text');
  assert.equal(updated.status, '0', updated.message);
  assert.equal(updated.messages[0].title, 'over text, changed');

  // The same principal gets the same answer in both modes: reads, refusals and errors.
  const parity: Array<[string, Record<string, unknown>, string | undefined, string]> = [
    ['Get', { id }, alice, '0'],
    ['List', { perPage: 50 }, alice, '0'],
    ['List', { perPage: 50 }, bob, '0'],
    ['Get', { id }, bob, '5'],
    ['Get', { id }, undefined, '7'],
    ['Get', { id: 'missing00000' }, alice, '5'],
    ['List', { filter: 'nope = 1' }, alice, '3'],
    ['Create', { record: { title: 'refused by rule', owner: 'alice' } }, alice, '7'],
    ['Update', { id, record: { title: 'x' } }, bob, '5'],
    ['Delete', { id }, bob, '5'],
  ];
  for (const [name, req, token, status] of parity) {
    const text = await call(name, req, token, 'text');
    const binary = await call(name, req, token, 'binary');
    assert.equal(text.status, status, `${name} ${JSON.stringify(req)}: ${text.message}`);
    assert.equal(stable(text), stable(binary), `${name} ${JSON.stringify(req)} text vs binary`);
  }
  const bobSees = await call('List', { perPage: 50 }, bob, 'text');
  assert.ok(!(bobSees.messages[0].items as Array<{ id: string }> | undefined ?? []).some((x) => x.id === id), "bob does not see alice's record");

  const deleted = await call('Delete', { id }, alice, 'text');
  assert.equal(deleted.status, '0', deleted.message);
  assert.equal((await call('Get', { id }, alice, 'text')).status, '5');

  // A body that is not base64 is INVALID_ARGUMENT in text mode, not a 500.
  for (const body of ['not base64!', '!!!!', 'QQ', 'QQ==Q', 'AAAAAAUK=AAA']) {
    const r = await fetch(`${s.base}/strata.posts.RecordService/Get`, { method: 'POST', headers: { 'content-type': 'application/grpc-web-text', authorization: `Bearer ${alice}` }, body });
    assert.equal(r.status, 200, body);
    const text = await r.text();
    const f = text ? parseFrames(decodeChunks(text).bytes) : { trailers: {} as Record<string, string> };
    assert.equal(f.trailers['grpc-status'] ?? r.headers.get('grpc-status'), '3', `${body}: ${text}`);
  }

  // Watch: each message arrives as its own padded base64 chunk, as soon as it is sent.
  const abort = new AbortController();
  const m = method('Watch');
  const watch = await fetch(`${s.base}/strata.posts.RecordService/Watch`, {
    method: 'POST',
    headers: { 'content-type': 'application/grpc-web-text', authorization: `Bearer ${alice}` },
    body: frame(0, toBinary(m.input, create(m.input, {}))).toString('base64'),
    signal: abort.signal,
  });
  assert.equal(watch.headers.get('content-type'), 'application/grpc-web-text+proto');
  const reader = watch.body!.getReader();
  let text = '';
  const nextMessage = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      // Every whole chunk read so far decodes to whole frames: a flushed message is never split.
      const { bytes } = decodeChunks(text);
      const f = parseFrames(bytes);
      if (f.messages.length > 0) {
        text = '';
        return toJson(m.output, fromBinary(m.output, f.messages[0])) as Record<string, unknown>;
      }
      const r = await reader.read();
      assert.ok(!r.done, 'the stream stays open');
      text += Buffer.from(r.value).toString('latin1');
    }
  };
  assert.equal((await nextMessage()).action, 'subscribed');
  const record = await restChange(s, 'create', { title: 'streamed as text', owner: 'alice' });
  const got = await nextMessage();
  assert.equal(got.action, 'create');
  assert.equal(got.recordId, record.id);
  abort.abort();

  // A real client: connect-web's gRPC-Web transport, its wire turned to text mode by grpcWebTextFetch.
  const seen = { textAnswers: 0 };
  const client = createClient(service, createGrpcWebTransport({ baseUrl: s.base, fetch: grpcWebTextFetch(seen) })) as unknown as Record<string, (req: unknown, opts?: unknown) => Promise<Record<string, unknown>>>;
  const headers = { authorization: `Bearer ${alice}` };
  const viaClient = await client.create({ record: { title: 'text client', owner: 'alice' } }, { headers });
  assert.equal((await client.get({ id: viaClient.id }, { headers })).title, 'text client');
  const err = await client.get({ id: viaClient.id }).catch((e: unknown) => ConnectError.from(e));
  assert.equal((err as ConnectError).code, Code.PermissionDenied);
  assert.equal(seen.textAnswers, 3, 'every answer came in text mode');
});
