// Watch (server streaming) through @grpc/grpc-js: changes made over REST arrive as record events,
// filtered by each subscriber's access rule; a record that becomes unreadable is not delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc, ownerAccess, recordClient, rejected, restChange, startServer, withRpc, type RecordClient } from './rpc-helpers.js';

const rest = restChange;

interface Stream {
  next(): Promise<Record<string, unknown>>;
  call: grpc.ClientReadableStream<Record<string, unknown>>;
}

/** Opens Watch and returns once the server has subscribed (its first message, `subscribed`, arrived). */
async function watch(c: RecordClient, token: string | undefined, req: Record<string, unknown> = {}): Promise<Stream> {
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  const call = (c.Watch as (r: unknown, m: grpc.Metadata) => grpc.ClientReadableStream<Record<string, unknown>>).call(c, req, md);
  const buffered: Array<Record<string, unknown>> = [];
  const waiters: Array<{ resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  let failed: Error | undefined;
  call.on('data', (d) => (waiters.length ? waiters.shift()!.resolve(d) : buffered.push(d)));
  call.on('error', (e) => {
    failed = e;
    for (const w of waiters.splice(0)) w.reject(e);
  });
  const stream: Stream = {
    call,
    next: () => (buffered.length ? Promise.resolve(buffered.shift()!) : failed ? Promise.reject(failed) : new Promise((resolve, reject) => waiters.push({ resolve, reject }))),
  };
  const first = await stream.next().catch((e: Error) => {
    failed = e;
    return undefined;
  });
  if (first) assert.equal(first.action, 'subscribed');
  return stream;
}

test('Watch: REST changes stream to each subscriber, only the records its rule lets it read', async (t) => {
  const s = await startServer(t, { 'rpc.enabled': false }, withRpc(ownerAccess));
  const c = await recordClient(s.target, 'posts');
  const alice = await watch(c, await s.token('alice'));
  const bob = await watch(c, await s.token('bob'));
  const admin = await watch(c, await s.token('root', '_superusers'), { actions: ['delete'] });
  t.after(() => {
    for (const w of [alice, bob, admin]) w.call.cancel();
    c.close();
  });

  const a1 = await rest(s, 'create', { title: 'alice 1', owner: 'alice', views: 1 });
  const b1 = await rest(s, 'create', { title: 'bob 1', owner: 'bob' });
  let ev = await alice.next();
  assert.equal(ev.action, 'create');
  assert.equal(ev.record_id, a1.id);
  assert.equal((ev.record as Record<string, unknown>).title, 'alice 1');
  assert.equal((ev.record as Record<string, unknown>).views, 1);
  assert.match(String(ev.id), /^\d+$/);
  // Bob's first event is his own record: alice's create was not delivered to him.
  ev = await bob.next();
  assert.equal(ev.record_id, b1.id);

  // alice's record is handed to bob: alice can no longer read it, so she does not get the update.
  await rest(s, 'update', { owner: 'bob' }, String(a1.id));
  ev = await bob.next();
  assert.equal(ev.action, 'update');
  assert.equal(ev.record_id, a1.id);
  const a2 = await rest(s, 'create', { title: 'alice 2', owner: 'alice' });
  ev = await alice.next();
  assert.equal(ev.record_id, a2.id, 'the update of a record alice lost is skipped');

  // A delete is checked against the record as it was: bob (its owner) sees it, alice does not.
  await rest(s, 'delete', undefined, String(b1.id));
  ev = await bob.next();
  assert.equal(ev.action, 'delete');
  assert.equal(ev.record_id, b1.id);
  assert.equal((ev.record as Record<string, unknown>).title, 'bob 1');
  ev = await admin.next();
  assert.equal(ev.action, 'delete', 'the superuser asked for deletes only');
  assert.equal(ev.record_id, b1.id);
  await rest(s, 'delete', undefined, String(a2.id));
  ev = await alice.next();
  assert.equal(ev.action, 'delete');
  assert.equal(ev.record_id, a2.id);
});

test('Watch: refused without credentials, bad requests, one record only', async (t) => {
  const s = await startServer(t, { 'rpc.enabled': false }, withRpc(ownerAccess));
  const c = await recordClient(s.target, 'posts');
  t.after(() => c.close());
  const anon = await watch(c, undefined);
  assert.equal((await rejected(anon.next())).code, grpc.status.PERMISSION_DENIED);
  const bad = await watch(c, await s.token('alice'), { actions: ['explode'] });
  assert.equal((await rejected(bad.next())).code, grpc.status.INVALID_ARGUMENT);

  const first = await rest(s, 'create', { title: 'one', owner: 'alice' });
  const one = await watch(c, await s.token('alice'), { record_id: first.id });
  t.after(() => one.call.cancel());
  await rest(s, 'create', { title: 'two', owner: 'alice' });
  await rest(s, 'update', { views: 5 }, String(first.id));
  const ev = await one.next();
  assert.equal(ev.record_id, first.id);
  assert.equal(ev.action, 'update');
});

test('Watch: a quiet stream gets heartbeats, then events as usual', async (t) => {
  const s = await startServer(t, { 'rpc.enabled': false }, withRpc(ownerAccess, undefined, 50));
  const c = await recordClient(s.target, 'posts');
  const w = await watch(c, await s.token('alice'));
  t.after(() => {
    w.call.cancel();
    c.close();
  });
  assert.equal((await w.next()).action, 'heartbeat');
  const r = await rest(s, 'create', { title: 'after beats', owner: 'alice' });
  let ev = await w.next();
  while (ev.action === 'heartbeat') ev = await w.next();
  assert.equal(ev.action, 'create');
  assert.equal(ev.record_id, r.id);
});
