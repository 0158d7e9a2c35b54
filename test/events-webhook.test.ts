// A REST create reaches a webhook subscription on `records.posts.*` through the outbox, the relay,
// the bus and the delivery queue (the whole server as `strata serve` composes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqliteWebhookStore } from '../src/messaging/index.js';
import { startStrata, tempDir } from './helpers/strata-process.js';

const yaml = `
dataDir: ./data
collections:
  - name: posts
    fields: [{ name: title, type: text, required: true }]
    rules: { create: "" }
  - name: users
    fields: [{ name: name, type: text }]
`;

test('a webhook on records.posts.* fires for a REST create, and not one on records.users.*', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'strata.yaml'), yaml);
  mkdirSync(join(cwd, 'data'), { mode: 0o700 });
  const store = sqliteWebhookStore(join(cwd, 'data', 'webhooks.db'));
  // loopback targets are refused by the default policy: the attempt is logged with that error,
  // which is enough to see that the event became a delivery
  const posts = await store.create({ topics: 'records.posts.*', url: 'https://127.0.0.1:9/hook' });
  const users = await store.create({ topics: 'records.users.*', url: 'https://127.0.0.1:9/users' });
  const s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'] });
  try {
    const r = await fetch(`${s.http}/api/collections/posts/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'hello hooks' }) });
    assert.equal(r.status, 201);
    let log = await store.deliveries(posts.id);
    for (let i = 0; i < 300 && log.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      log = await store.deliveries(posts.id);
    }
    assert.ok(log.length >= 1, 'a delivery was attempted for the posts subscription');
    assert.equal(log[log.length - 1].attempt, 1);
    assert.match(String(log[log.length - 1].error), /not allowed/i);
    assert.deepEqual(await store.deliveries(users.id), []);
  } finally {
    await s.stop();
    await store.close();
  }
});
