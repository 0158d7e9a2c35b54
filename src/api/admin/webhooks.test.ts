import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ForbiddenError } from '../../core/index.js';
import { webhookRoutes } from './webhooks.js';
import { sqliteWebhookStore } from '../../messaging/webhooks/webhook-store.js';
import { handleError } from '../../edge/index.js';

test('webhook subscriptions API: create shows the secret once, validation, policy, delivery log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-whapi-'));
  const store = sqliteWebhookStore(join(dir, 'wh.db'));
  const app = Fastify();
  app.setErrorHandler(handleError); // errors become problem+json at the edge, as in the server
  await app.register(webhookRoutes({ store, authorize: (r) => { if (r.headers['x-user'] !== 'root') throw new ForbiddenError(); } }));
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const call = async (method: string, path: string, body?: unknown, user = 'root') => {
    const res = await fetch(base + path, { method, headers: { 'x-user': user, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>) };
  };
  try {
    assert.equal((await call('GET', '/api/admin/webhooks', undefined, 'bob')).status, 403);
    const created = await call('POST', '/api/admin/webhooks', { topics: 'records.posts.*', url: 'https://example.com/hook' });
    assert.equal(created.status, 201);
    assert.match(String(created.body?.secret), /^whsec_/);
    const id = String(created.body?.id);
    const list = await call('GET', '/api/admin/webhooks');
    assert.equal((list.body?.items as { secret?: string }[])[0].secret, undefined, 'secret never listed');
    assert.equal((await call('POST', '/api/admin/webhooks', { topics: 'a.>.b', url: 'https://example.com/' })).status, 400);
    const meta = await call('POST', '/api/admin/webhooks', { topics: 'x', url: 'https://169.254.169.254/latest' });
    assert.equal(meta.status, 400);
    assert.equal(meta.body?.type, 'strata/validation');
    assert.equal((await call('POST', '/api/admin/webhooks', { topics: 'x', url: 'http://example.com/' })).status, 400, 'https only by default');
    const patched = await call('PATCH', `/api/admin/webhooks/${id}`, { enabled: false });
    assert.equal(patched.body?.enabled, false);
    store.record({ subscriptionId: id, eventId: 'msg_1', attempt: 1, at: new Date().toISOString(), status: 500, durationMs: 3 });
    const log = await call('GET', `/api/admin/webhooks/${id}/deliveries`);
    assert.deepEqual((log.body?.items as { status: number }[]).map((e) => e.status), [500]);
    assert.equal((await call('DELETE', `/api/admin/webhooks/${id}`)).status, 204);
    assert.equal((await call('DELETE', `/api/admin/webhooks/${id}`)).status, 404);
    assert.equal((await store.list()).length, 0);
  } finally {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
