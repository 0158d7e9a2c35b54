// gRPC unary calls take their own path (src/api/rpc/grpc-unary.ts) unless something needs Connect's
// (a deadline, a compressed request, a body that is not one plain message): both answer the same.
// Each call is sent twice over raw HTTP/2, once as is and once with `grpc-timeout` (which sends it
// through Connect); status, headers, message bytes and trailers must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { collectionProto } from '../src/api/rpc/index.js';
import { startServer, type Started } from './rpc-helpers.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  trailers: Record<string, string>;
}

const VOLATILE = new Set(['date', 'x-request-id']);

function call(s: Started, path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(s.base);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const chunks: Buffer[] = [];
    let head: Answer['headers'] = {};
    let status = 0;
    let trailers: Answer['trailers'] = {};
    req.on('response', (h) => {
      status = Number(h[':status']);
      head = Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith(':') && !VOLATILE.has(k)).map(([k, v]) => [k, String(v)]));
    });
    req.on('trailers', (t) => (trailers = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, String(v)]))));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      session.close();
      resolve({ status, headers: head, body: Buffer.concat(chunks), trailers });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The call as is (unary path) and with a deadline (Connect's path): the same answer. */
async function same(s: Started, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const fast = await call(s, path, body, headers);
  const connect = await call(s, path, body, { ...headers, 'grpc-timeout': '30S' });
  assert.deepEqual(fast, connect, `${path}: the unary path answers as Connect does`);
  return fast;
}

const envelope = (msg: Uint8Array, flag = 0) => {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
};

test('unary calls answer the same on the unary path and through Connect: records, errors, limits, compression', async (t) => {
  const s = await startServer(t, { 'rpc.maxMessageBytes': 4096 });
  const admin = `Bearer ${await s.token('root', '_superusers')}`;
  const p = collectionProto(s.server.data.collections.find((c) => c.name === 'posts')!);
  const msg = (name: string, init: Record<string, unknown>) => {
    const schema = p.registry.getMessage(`strata.posts.${name}`)!;
    return Buffer.from(toBinary(schema, create(schema, init as never)));
  };
  const auth = { authorization: admin };
  const created = await call(s, '/strata.posts.RecordService/Create', envelope(msg('CreateRequest', { record: { title: 'first' } })), auth);
  assert.equal(created.trailers['grpc-status'], '0', JSON.stringify(created.trailers));
  const id = (fromBinary(p.record, created.body.subarray(5)) as unknown as Record<string, unknown>).id as string;
  for (let i = 0; i < 30; i++) await call(s, '/strata.posts.RecordService/Create', envelope(msg('CreateRequest', { record: { title: `post ${i} ${'y'.repeat(60)}` } })), auth);

  // a record, with its etag header
  const got = await same(s, '/strata.posts.RecordService/Get', envelope(msg('GetRequest', { id })), auth);
  assert.equal(got.trailers['grpc-status'], '0');
  assert.match(got.headers.etag, /^"1-/);
  assert.equal(got.headers['content-type'], 'application/grpc+proto');
  assert.equal((fromBinary(p.record, got.body.subarray(5)) as unknown as Record<string, unknown>).title, 'first');

  // errors: not found (with google.rpc details), refused (no credential), invalid argument
  const missing = await same(s, '/strata.posts.RecordService/Get', envelope(msg('GetRequest', { id: 'nosuchrecord0000000' })), auth);
  assert.equal(missing.trailers['grpc-status'], '5');
  assert.ok(missing.trailers['grpc-status-details-bin'], 'details travel in the trailer');
  assert.equal((await same(s, '/strata.posts.RecordService/Get', envelope(msg('GetRequest', { id })))).trailers['grpc-status'], '7');
  assert.equal((await same(s, '/strata.posts.RecordService/Create', envelope(msg('CreateRequest', { record: { title: '' } })), auth)).trailers['grpc-status'], '3');
  // Delete answers an empty message
  const gone = await same(s, '/strata.posts.RecordService/Delete', envelope(msg('DeleteRequest', { id: 'nosuchrecord0000000' })), auth);
  assert.equal(gone.trailers['grpc-status'], '5');

  // bodies that are not one plain message go to Connect: none, two, truncated, undecodable, compressed without grpc-encoding
  const one = envelope(msg('GetRequest', { id }));
  for (const [name, body] of [
    ['empty', Buffer.alloc(0)],
    ['two messages', Buffer.concat([one, one])],
    ['truncated', one.subarray(0, one.length - 2)],
    ['undecodable', envelope(Buffer.from([0xff, 0xff, 0xff]))],
    ['compressed flag', envelope(gzipSync(msg('GetRequest', { id })), 1)],
  ] as const) {
    const a = await same(s, '/strata.posts.RecordService/Get', body, auth);
    assert.notEqual(a.trailers['grpc-status'], '0', name);
  }
  // a request over rpc.maxMessageBytes: RESOURCE_EXHAUSTED either way
  const big = await same(s, '/strata.posts.RecordService/Create', envelope(msg('CreateRequest', { record: { title: 'x'.repeat(5000) } })), auth);
  assert.equal(big.trailers['grpc-status'], '8');
  // a response over it, too
  const tooLong = await same(s, '/strata.posts.RecordService/List', envelope(msg('ListRequest', { perPage: 100 })), auth);
  assert.equal(tooLong.trailers['grpc-status'], '8', JSON.stringify(tooLong.trailers));

  // responses of 1 KiB and more are compressed when the client accepts gzip; smaller ones are not, but say the encoding
  const page = await same(s, '/strata.posts.RecordService/List', envelope(msg('ListRequest', { perPage: 20 })), { ...auth, 'grpc-accept-encoding': 'identity,deflate,gzip' });
  assert.equal(page.headers['grpc-encoding'], 'gzip');
  assert.equal(page.body[0], 1, 'the message is compressed');
  assert.equal(((fromBinary(p.list, gunzipSync(page.body.subarray(5))) as unknown as Record<string, unknown>).items as unknown[]).length, 20);
  const br = await same(s, '/strata.posts.RecordService/List', envelope(msg('ListRequest', { perPage: 20 })), { ...auth, 'grpc-accept-encoding': 'br' });
  assert.equal(br.headers['grpc-encoding'], 'br');
  assert.equal((fromBinary(p.list, brotliDecompressSync(br.body.subarray(5))) as unknown as Record<string, unknown>).perPage, 20);
  const small = await same(s, '/strata.posts.RecordService/Get', envelope(msg('GetRequest', { id })), { ...auth, 'grpc-accept-encoding': 'gzip' });
  assert.equal(small.headers['grpc-encoding'], 'gzip');
  assert.equal(small.body[0], 0);

  // the WAF judges every call, also a head seen before (its findings then come from the head memo)
  for (let i = 0; i < 4; i++) {
    const attack = await call(s, '/strata.posts.RecordService/Get', one, { ...auth, 'x-note': "' or '1'='1" });
    assert.equal(attack.status, 403, `attack in the metadata, call ${i}`);
    assert.notEqual(attack.trailers['grpc-status'], '0');
    const plain = await call(s, '/strata.posts.RecordService/Get', one, auth);
    assert.equal(plain.trailers['grpc-status'], '0', `plain call ${i}`);
  }
});
