// Realtime over a real app (SQLite data layer, memory bus, owner-based rules): the WebSocket
// protocol, rule filtering, malformed frames, limits, auth expiry/revocation, slow clients,
// resume, topics and SSE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createAccessTokens } from '../src/auth/tokens/token-access.js';
import { type AuthServices } from '../src/auth/index.js';
import { memoryBus, type Bus } from '../src/messaging/index.js';
import { Client, EventSource, MemoryFeed, startAuth, startInstance, tempDir, type Instance } from './realtime-helpers.js';

let auth: Awaited<ReturnType<typeof startAuth>>;
let s: AuthServices;
let bus: Bus;
let feed: MemoryFeed;
let inst: Instance;
let events: EventSource;
const tok: Record<string, string> = {};

before(async () => {
  auth = await startAuth();
  s = auth.services;
  bus = memoryBus();
  feed = new MemoryFeed();
  events = new EventSource(bus, feed);
  inst = await startInstance({ bus, auth: s, dir: tempDir(), feed, limits: { maxSubscriptions: 3, maxMessageBytes: 1024, authRecheckInterval: 300, maxConnections: 50 } });
  tok.alice = (await s.accessTokens.issue({ sub: 'alice', col: 'users' })).token;
  tok.bob = (await s.accessTokens.issue({ sub: 'bob', col: 'users' })).token;
  tok.root = (await s.accessTokens.issue({ sub: 'root', col: '_superusers' })).token;
});

after(async () => {
  await inst.close();
  await bus.close();
  await auth.stop();
});

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
const post = (fields: Record<string, unknown>) => inst.data.records.create('posts', fields).then((r) => r.record as Record<string, unknown>);

async function subscribed(c: Client, sub: Record<string, unknown>): Promise<void> {
  const r = await c.request({ type: 'subscribe', ...sub }, ['subscribed']);
  assert.equal(r.type, 'subscribed', JSON.stringify(r));
}

test('two users each see only their own records; superusers see all; unreadable updates and unseen deletes stay hidden', async () => {
  const alice = await Client.open(inst.ws, bearer(tok.alice));
  const bob = await Client.open(inst.ws); // authenticates with a message instead
  const root = await Client.open(inst.ws, bearer(tok.root));
  try {
    assert.equal((await alice.next((f) => f.type === 'authenticated')).type, 'authenticated');
    assert.deepEqual((await bob.request({ type: 'auth', token: tok.bob }, ['authenticated'])).principal, { id: 'bob', collection: 'users' });
    for (const c of [alice, bob, root]) await subscribed(c, { id: 'p', collection: 'posts' });

    const a1 = await post({ title: 'a1', owner: 'alice' });
    const b1 = await post({ title: 'b1', owner: 'bob' });
    const e1 = await events.publish('create', 'posts', a1);
    const e2 = await events.publish('create', 'posts', b1);
    assert.equal((await alice.next((f) => f.type === 'event')).id, e1.id);
    assert.equal((await bob.next((f) => f.type === 'event')).id, e2.id);
    await root.next((f) => f.id === e2.id);
    assert.deepEqual(root.events().map((f) => f.id), [e1.id, e2.id]);
    const ev = alice.events()[0];
    assert.deepEqual(ev.subs, ['p']);
    assert.equal(ev.action, 'create');
    assert.equal((ev.record as Record<string, unknown>).title, 'a1');

    // a1 now belongs to bob: alice may no longer read it, so she is not sent the update.
    const moved = (await inst.data.records.update('posts', String(a1.id), { owner: 'bob' })).record;
    const e3 = await events.publish('update', 'posts', moved);
    await bob.next((f) => f.id === e3.id);
    // b1 is deleted: bob was sent it, alice never was.
    await inst.data.records.delete('posts', String(b1.id));
    const e4 = await events.publish('delete', 'posts', b1);
    await bob.next((f) => f.id === e4.id);
    // A later event alice may see proves the earlier ones were not just slow.
    const a2 = await post({ title: 'a2', owner: 'alice' });
    const e5 = await events.publish('create', 'posts', a2);
    await alice.next((f) => f.id === e5.id);
    assert.deepEqual(alice.events().map((f) => f.id), [e1.id, e5.id]);
    assert.deepEqual(bob.events().map((f) => f.id), [e2.id, e3.id, e4.id]);
    await root.next((f) => f.id === e5.id);
    assert.deepEqual(root.events().map((f) => f.id), [e1.id, e2.id, e3.id, e4.id, e5.id]);
  } finally {
    for (const c of [alice, bob, root]) c.close();
  }
});

test('filters and one-record subscriptions are checked in SQL against the current row', async () => {
  const c = await Client.open(inst.ws, bearer(tok.alice));
  try {
    const r = await post({ title: 'one', owner: 'alice', views: 1 });
    await subscribed(c, { id: 'hot', collection: 'posts', filter: 'views > 10' });
    await subscribed(c, { id: 'one', collection: 'posts', record: r.id });
    const cold = await post({ title: 'cold', owner: 'alice', views: 3 });
    const hot = await post({ title: 'hot', owner: 'alice', views: 30 });
    await events.publish('create', 'posts', cold);
    const eh = await events.publish('create', 'posts', hot);
    const eo = await events.publish('update', 'posts', r);
    await c.next((f) => f.id === eo.id);
    assert.deepEqual(c.events().map((f) => [f.id, f.subs]), [[eh.id, ['hot']], [eo.id, ['one']]]);
    // The record subscription saw the record at subscribe time, so its delete is delivered.
    await inst.data.records.delete('posts', String(r.id));
    const ed = await events.publish('delete', 'posts', r);
    assert.deepEqual((await c.next((f) => f.id === ed.id)).subs, ['one']);
  } finally {
    c.close();
  }
});

test('bad messages get error frames, not a crash', async () => {
  const c = await Client.open(inst.ws, bearer(tok.alice));
  try {
    const cases: Array<[unknown, string]> = [
      ['not json', 'bad_message'],
      ['[1,2]', 'bad_message'],
      [{ type: 'launch' }, 'unknown_type'],
      [{ type: 'subscribe', id: 'x' }, 'invalid'],
      [{ type: 'subscribe', id: 'bad id!', collection: 'posts' }, 'invalid'],
      [{ type: 'subscribe', id: 'x', collection: 'posts', extra: 1 }, 'invalid'],
      [{ type: 'subscribe', id: 'x', collection: 'nope' }, 'not_found'],
      [{ type: 'subscribe', id: 'x', collection: 'notes' }, 'forbidden'],
      [{ type: 'subscribe', id: 'x', collection: 'posts', filter: 'password = 1' }, 'invalid'],
      [{ type: 'subscribe', id: 'x', collection: 'posts', filter: "title = 'a' ||| " }, 'invalid'],
      [{ type: 'subscribe', id: 'x', topic: 'records.>' }, 'forbidden'],
      [{ type: 'subscribe', id: 'x', topic: 'app..x' }, 'invalid'],
      [{ type: 'unsubscribe', id: 'ghost' }, 'unknown_subscription'],
      [{ type: 'resume', after: 'yesterday' }, 'invalid'],
      [{ type: 'auth', token: tok.bob }, 'already_authenticated'],
    ];
    for (const [msg, code] of cases) {
      const r = await c.request(msg, ['subscribed', 'unsubscribed', 'authenticated', 'resumed']);
      assert.equal(r.type, 'error', `${JSON.stringify(msg)} → ${JSON.stringify(r)}`);
      assert.equal(r.code, code, JSON.stringify(msg));
      assert.equal(typeof r.message, 'string');
    }
    await subscribed(c, { id: 'a', collection: 'posts' });
    assert.equal((await c.request({ type: 'subscribe', id: 'a', collection: 'posts' }, ['subscribed'])).code, 'duplicate_id');
    await subscribed(c, { id: 'b', collection: 'posts' });
    await subscribed(c, { id: 'c', topic: 'app.chat.*' });
    assert.equal((await c.request({ type: 'subscribe', id: 'd', collection: 'posts' }, ['subscribed'])).code, 'too_many_subscriptions');
    assert.equal((await c.request({ type: 'unsubscribe', id: 'b' }, ['unsubscribed'])).type, 'unsubscribed');
    assert.equal((await c.request({ type: 'ping', ref: 'r1' }, ['pong'])).ref, 'r1');
    // Binary frames are refused; the connection lives on.
    const from = c.frames.length;
    c.ws.send(Buffer.from([1, 2, 3]));
    assert.equal((await c.next((f) => f.type === 'error', from)).code, 'bad_message');
    assert.equal((await c.request({ type: 'ping' }, ['pong'])).type, 'pong');
    // A frame over realtime.maxMessageBytes closes with 1009.
    c.send({ type: 'ping', ref: 'x'.repeat(2000) });
    assert.equal((await c.closedWith()).code, 1009);
  } finally {
    c.close();
  }
});

test('anonymous clients are refused what rules refuse; a wrong token in a message closes with 4001', async () => {
  const c = await Client.open(inst.ws);
  assert.equal((await c.request({ type: 'subscribe', id: 'p', collection: 'posts' }, ['subscribed'])).code, 'forbidden');
  assert.equal((await c.request({ type: 'subscribe', id: 't', topic: 'app.x' }, ['subscribed'])).code, 'unauthorized');
  const from = c.frames.length;
  c.send({ type: 'auth', token: tok.alice.slice(0, -4) + 'AAAA' });
  assert.equal((await c.next((f) => f.type === 'error', from)).code, 'unauthorized');
  assert.equal((await c.closedWith()).code, 4001);
  c.close();
});

test('handshake refusals are problem+json: bad bearer 401, plain GET 426, foreign Origin with a session cookie 403', async () => {
  await assert.rejects(Client.open(inst.ws, bearer('nope')), (e: Error & { status?: number }) => e.status === 401);
  const plain = await fetch(`${inst.base}/api/realtime`);
  assert.equal(plain.status, 426);
  assert.match(plain.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(((await plain.json()) as { type: string }).type, 'strata/upgrade-required');
  const sess = await s.sessions.create({ userId: 'alice', collection: 'users' });
  const cookie = s.sessionCookie(false).serialize(sess.id).split(';')[0];
  await assert.rejects(Client.open(inst.ws, { headers: { cookie }, origin: 'https://evil.example' }), (e: Error & { status?: number }) => e.status === 403);
  const ok = await Client.open(inst.ws, { headers: { cookie }, origin: inst.base });
  assert.deepEqual((await ok.next((f) => f.type === 'authenticated')).principal, { id: 'alice', collection: 'users' });
  // Logging out ends the subscription at the next credential re-check.
  await subscribed(ok, { id: 'p', collection: 'posts' });
  await s.sessions.destroy(sess.id);
  assert.equal((await ok.closedWith()).code, 4001);
});

test('an access token closes the connection with 4001 when it expires', async () => {
  const short = createAccessTokens({ keys: s.keys, issuer: 'strata', audience: 'strata', ttlSeconds: 1 });
  // Tokens are verified by the app's own service, so issue one it accepts, then let it run out.
  const { token, expiresAt } = await short.issue({ sub: 'alice', col: 'users' });
  let c: Client;
  try {
    c = await Client.open(inst.ws, bearer(token));
  } catch {
    // issuer/audience differ from config: fall back to the configured service with its own ttl
    return assert.fail('token not accepted');
  }
  const a = await c.next((f) => f.type === 'authenticated');
  assert.equal(a.expiresAt, new Date(expiresAt * 1000).toISOString());
  assert.equal((await c.closedWith()).code, 4001);
});

test('a client that stops reading is cut off with 4008 and its buffer stays bounded', async () => {
  const big = 'x'.repeat(8000);
  const r = await post({ title: 'big', owner: 'alice', body: big });
  const c = await Client.open(inst.ws, bearer(tok.alice));
  await subscribed(c, { id: 'p', collection: 'posts' });
  const sock = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
  sock.pause();
  let published = 0;
  while (inst.hub.connections.size > 0 && published < 20_000) {
    await events.publish('update', 'posts', r);
    published++;
    if (published % 50 === 0) await new Promise((res) => setTimeout(res, 10));
  }
  assert.equal(inst.hub.connections.size, 0, 'the server dropped the slow client');
  sock.resume();
  assert.equal((await c.closedWith()).code, 4008);
  // What reached the client is a small part of what was published: the rest was never buffered.
  assert.ok(c.events().length < published, `${c.events().length} of ${published}`);
});

test('reconnect with resume: missed events in order, without duplicates, then live ones; a gap says resume_gap', async () => {
  const c1 = await Client.open(inst.ws, bearer(tok.alice));
  await subscribed(c1, { id: 'p', collection: 'posts' });
  const r1 = await post({ title: 'r1', owner: 'alice' });
  const e1 = await events.publish('create', 'posts', r1);
  await c1.next((f) => f.id === e1.id);
  c1.close();
  await c1.closedWith();
  const missed = [await post({ title: 'm1', owner: 'alice' }), await post({ title: 'x', owner: 'bob' }), await post({ title: 'm2', owner: 'alice' })];
  const me = [];
  for (const m of missed) me.push(await events.publish('create', 'posts', m));
  const c2 = await Client.open(inst.ws, bearer(tok.alice));
  await subscribed(c2, { id: 'p', collection: 'posts' });
  const resumed = await c2.request({ type: 'resume', after: e1.id }, ['resumed']);
  assert.equal(resumed.type, 'resumed', JSON.stringify(resumed));
  assert.equal(resumed.replayed, 2, 'replayed counts what the client may see (not bob\'s post)');
  // The bus delivers a duplicate and a new event; the duplicate is dropped.
  await bus.publish('records.posts.create', me[2]);
  const live = await events.publish('create', 'posts', await post({ title: 'live', owner: 'alice' }));
  await c2.next((f) => f.id === live.id);
  assert.deepEqual(c2.events().map((f) => f.id), [me[0].id, me[2].id, live.id]);
  c2.close();

  feed.floor = live.seq; // older events are no longer retained
  const c3 = await Client.open(inst.ws, bearer(tok.alice));
  await subscribed(c3, { id: 'p', collection: 'posts' });
  assert.equal((await c3.request({ type: 'resume', after: e1.id }, ['resumed'])).code, 'resume_gap');
  feed.floor = 0;
  c3.close();
});

test('resume after a gap of 2,500 events pages through the log: no resume_gap, every visible event in order, replayed counts only those', async () => {
  const c1 = await Client.open(inst.ws, bearer(tok.alice));
  await subscribed(c1, { id: 'p', collection: 'posts' });
  const first = await events.publish('create', 'posts', await post({ title: 'before', owner: 'alice' }));
  await c1.next((f) => f.id === first.id);
  c1.close();
  await c1.closedWith();
  const mineA = await post({ title: 'gap', owner: 'alice', body: 'x'.repeat(300) });
  const theirs = await post({ title: 'gap', owner: 'bob' });
  const visible: string[] = [];
  // straight into the feed (as the outbox holds them), not over the bus: the client was away
  for (let i = 0; i < 2500; i++) {
    const e = events.event('update', 'posts', i % 5 === 4 ? theirs : mineA);
    feed.events.push(e);
    if (i % 5 !== 4) visible.push(e.id);
  }
  const c2 = await Client.open(inst.ws, bearer(tok.alice));
  try {
    await subscribed(c2, { id: 'p', collection: 'posts' });
    const resumed = await c2.request({ type: 'resume', after: first.id }, ['resumed']);
    assert.equal(resumed.type, 'resumed', JSON.stringify(resumed).slice(0, 300));
    assert.equal(resumed.replayed, 2000, 'replayed counts the 2,000 changes alice may see, not bob\'s 500');
    assert.deepEqual(c2.events().map((f) => f.id), visible);
    assert.equal(c2.closed, undefined, 'the client was not cut off as slow');
  } finally {
    c2.close();
  }
});

test('topics the app publishes to reach authenticated subscribers of allowed patterns', async () => {
  const c = await Client.open(inst.ws, bearer(tok.bob));
  try {
    await subscribed(c, { id: 'chat', topic: 'app.chat.*' });
    await bus.publish('app.other.room', { n: 0 });
    await bus.publish('app.chat.room1', { text: 'hi' });
    const m = await c.next((f) => f.type === 'message');
    assert.deepEqual(m, { type: 'message', topic: 'app.chat.room1', data: { text: 'hi' }, subs: ['chat'] });
    assert.equal(c.frames.filter((f) => f.type === 'message').length, 1);
  } finally {
    c.close();
  }
});

test('SSE: same subscriptions from the query string, events with ids, Last-Event-ID resume, problem+json refusals', async () => {
  const q = (subs: unknown) => `${inst.base}/api/realtime/sse?subscribe=${encodeURIComponent(JSON.stringify(subs))}`;
  const bad = await fetch(q([{ id: 'p', collection: 'posts', filter: 'nope = 1' }]), bearer(tok.alice));
  assert.equal(bad.status, 400);
  assert.match(bad.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(((await bad.json()) as { type: string }).type, 'strata/validation');
  const forbidden = await fetch(q([{ id: 'n', collection: 'notes' }]), bearer(tok.alice));
  assert.equal(forbidden.status, 403);
  assert.equal(((await forbidden.json()) as { type: string }).type, 'strata/forbidden');
  assert.equal((await fetch(`${inst.base}/api/realtime/sse?subscribe=%7B`, bearer(tok.alice))).status, 400);
  assert.equal((await fetch(`${inst.base}/api/realtime/sse`, { headers: { authorization: 'Bearer x', 'last-event-id': '1' } })).status, 401);

  const first = await events.publish('create', 'posts', await post({ title: 's0', owner: 'alice' }));
  const missed = await events.publish('create', 'posts', await post({ title: 's1', owner: 'alice' }));
  const ac = new AbortController();
  const res = await fetch(q([{ id: 'p', collection: 'posts' }]), { headers: { authorization: `Bearer ${tok.alice}`, 'last-event-id': first.id }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const live = await events.publish('create', 'posts', await post({ title: 's2', owner: 'alice' }));
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes(`id: ${live.id}\n`)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  ac.abort();
  const blocks = text.split('\n\n').filter((b) => b.includes('data: '));
  const frames = blocks.map((b) => ({ id: /^id: (.*)$/m.exec(b)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(b)![1]) as Record<string, unknown> }));
  assert.deepEqual(frames.map((f) => f.data.type).slice(0, 3), ['welcome', 'authenticated', 'subscribed']);
  const evs = frames.filter((f) => f.data.type === 'event');
  assert.deepEqual(evs.map((f) => f.id), [missed.id, live.id]);
  assert.deepEqual(evs.map((f) => f.data.id), [missed.id, live.id]);
});

test('past realtime.maxConnections the handshake is refused with 503', async () => {
  const many: Client[] = [];
  try {
    while (inst.hub.connections.size < 50) many.push(await Client.open(inst.ws));
    await assert.rejects(Client.open(inst.ws), (e: Error & { status?: number }) => e.status === 503);
    const r = await fetch(`${inst.base}/api/realtime/sse`);
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { type: string }).type, 'strata/realtime-unavailable');
  } finally {
    for (const c of many) c.close();
  }
});

test('raw garbage on the socket is not a crash', async () => {
  const url = new URL(inst.base);
  await new Promise<void>((resolve) => {
    const sock = connect(Number(url.port), url.hostname, () => {
      sock.write('GET /api/realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      setTimeout(() => sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01])), 50);
    });
    sock.on('close', () => resolve());
    sock.on('error', () => undefined);
    sock.resume();
  });
  const c = await Client.open(inst.ws);
  assert.equal((await c.request({ type: 'ping' }, ['pong'])).type, 'pong');
  c.close();
});

test('heartbeats: every client is pinged; one that answers no pings is closed as idle (4002)', async () => {
  const quick = await startInstance({ bus, auth: s, dir: tempDir(), limits: { heartbeatInterval: 100, idleTimeout: 400 } });
  try {
    const silent = await Client.open(quick.ws, { autoPong: false });
    const alive = await Client.open(quick.ws);
    let pings = 0;
    alive.ws.on('ping', () => pings++);
    assert.equal((await silent.closedWith()).code, 4002);
    assert.ok(pings > 0);
    alive.close();
  } finally {
    await quick.close();
  }
});
