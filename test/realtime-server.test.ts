// Realtime as createServer wires it: WebSocket upgrades on both edge listeners (plain HTTP/1.1 and
// the HTTPS/HTTP-2 listener's HTTP/1.1 fallback), superuser-only access until rules land, and a
// shutdown that closes clients with 1001. Plus two instances sharing one Redis bus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { recordTopic } from '../src/core/index.js';
import { redisBus } from '../src/messaging/index.js';
import { unreachable, uniquePrefix } from './data-helpers.js';
import { Client, EventSource, startAuth, startInstance, tempDir } from './realtime-helpers.js';

test('createServer: /api/realtime on the HTTP and HTTPS listeners, superusers only, 1001 on shutdown', async () => {
  const dataDir = tempDir();
  writeFileSync(join(dataDir, 'strata.yaml'), 'collections:\n  - name: posts\n    fields:\n      - { name: title, type: text }\n');
  const { config } = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.port': 0 } });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  let stopped = false;
  try {
    const urls = server.edge.urls();
    const http = urls.find((u) => u.kind === 'http')!.url.replace('http', 'ws') + '/api/realtime';
    const https = urls.find((u) => u.kind === 'https')!.url.replace('https', 'wss') + '/api/realtime';
    const root = (await server.auth.services.accessTokens.issue({ sub: 'root', col: '_superusers' })).token;
    const user = (await server.auth.services.accessTokens.issue({ sub: 'u1', col: 'users' })).token;
    const opts = (t: string) => ({ headers: { authorization: `Bearer ${t}` }, rejectUnauthorized: false });
    const a = await Client.open(http, opts(root));
    const b = await Client.open(https, opts(root));
    const u = await Client.open(https, opts(user));
    for (const c of [a, b]) assert.equal((await c.request({ type: 'subscribe', id: 'p', collection: 'posts' }, ['subscribed'])).type, 'subscribed');
    assert.equal((await u.request({ type: 'subscribe', id: 'p', collection: 'posts' }, ['subscribed'])).code, 'forbidden');
    const rec = (await server.data.records.create('posts', { title: 'hello' })).record as Record<string, unknown>;
    const e = { id: '000000000001', seq: 1, action: 'create' as const, collection: 'posts', recordId: String(rec.id), record: rec, at: new Date().toISOString() };
    await server.messaging.bus.publish(recordTopic('posts', 'create'), e);
    for (const c of [a, b]) assert.equal(((await c.next((f) => f.type === 'event')).record as Record<string, unknown>).title, 'hello');
    await server.stop();
    stopped = true;
    for (const c of [a, b, u]) assert.equal((await c.closedWith()).code, 1001);
  } finally {
    if (!stopped) await server.stop();
  }
});

test('two instances on one Redis bus: a change published on A reaches a subscriber on B', async (t) => {
  const skip = await unreachable(6379);
  if (skip) return t.skip(skip);
  const dir = tempDir();
  const auth = await startAuth();
  const prefix = `strata:test:${uniquePrefix()}`;
  const busA = await redisBus({ prefix });
  const busB = await redisBus({ prefix });
  const a = await startInstance({ bus: busA, auth: auth.services, dir });
  const b = await startInstance({ bus: busB, auth: auth.services, dir });
  try {
    const alice = (await auth.services.accessTokens.issue({ sub: 'alice', col: 'users' })).token;
    const bob = (await auth.services.accessTokens.issue({ sub: 'bob', col: 'users' })).token;
    const onB = await Client.open(b.ws, { headers: { authorization: `Bearer ${alice}` } });
    const bobOnA = await Client.open(a.ws, { headers: { authorization: `Bearer ${bob}` } });
    for (const c of [onB, bobOnA]) assert.equal((await c.request({ type: 'subscribe', id: 'p', collection: 'posts' }, ['subscribed'])).type, 'subscribed');
    const events = new EventSource(busA);
    const hers = (await a.data.records.create('posts', { title: 'from A', owner: 'alice' })).record as Record<string, unknown>;
    const his = (await a.data.records.create('posts', { title: 'bob on A', owner: 'bob' })).record as Record<string, unknown>;
    const e1 = await events.publish('create', 'posts', hers);
    const e2 = await events.publish('create', 'posts', his);
    assert.equal((await onB.next((f) => f.type === 'event')).id, e1.id);
    assert.equal((await bobOnA.next((f) => f.type === 'event')).id, e2.id);
    // Rules hold on every instance: each saw only their own.
    const e3 = await events.publish('update', 'posts', hers);
    await onB.next((f) => f.id === e3.id);
    assert.deepEqual(onB.events().map((f) => f.id), [e1.id, e3.id]);
    assert.deepEqual(bobOnA.events().map((f) => f.id), [e2.id]);
    onB.close();
    bobOnA.close();
  } finally {
    await a.close();
    await b.close();
    await busA.close();
    await busB.close();
    await auth.stop();
  }
});
