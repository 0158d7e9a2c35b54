// The whole server as `strata serve` composes it from one strata.yaml:
// records API, WAF, gateway static site, queues API closed, readiness of
// every component, and data surviving a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStrata, tempDir } from './helpers/strata-process.js';

const yaml = (www: string) => `
collections:
  - name: posts
    fields:
      - { name: title, type: text, required: true, length: { max: 200 } }
      - { name: views, type: integer, default: 0, min: 0 }
    rules: { list: "", view: "", create: "", update: "", delete: "" }
gateway:
  sites: [{ name: www, root: ${JSON.stringify(www)} }]
  routes:
    - { prefix: /site, site: www, stripPrefix: true }
`;

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : {}, headers: r.headers };
}

test('one strata.yaml: records, WAF, static site, closed superuser APIs, readiness, restart', async () => {
  const cwd = tempDir();
  const www = join(cwd, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), '<h1>hello</h1>');
  writeFileSync(join(cwd, 'strata.yaml'), yaml(www));
  let s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'] });
  let id: string;
  try {
    const ready = await json(`${s.http}/readyz`);
    assert.equal(ready.status, 200);
    for (const c of ['edge', 'cache', 'messaging', 'data', 'waf', 'gateway']) assert.equal((ready.body.components as Record<string, string>)[c], 'ready', c);

    const created = await json(`${s.http}/api/collections/posts/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: "O'Brien's first post", views: 3 }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    id = created.body.id as string;
    assert.match(id, /^[A-Za-z0-9_-]+$/);
    assert.ok(created.headers.get('x-request-id'));

    const invalid = await json(`${s.http}/api/collections/posts/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ views: -1 }) });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.type, 'strata/validation');

    const list = await json(`${s.http}/api/collections/posts/records?filter=${encodeURIComponent('views >= 1')}`);
    assert.equal(list.status, 200);
    assert.equal((list.body.items as unknown[]).length, 1);

    const attack = await json(`${s.http}/api/collections/posts/records?filter=${encodeURIComponent("1' UNION SELECT password FROM users--")}`);
    assert.equal(attack.status, 403);
    assert.equal(attack.body.type, 'strata/waf-blocked');

    const page = await fetch(`${s.http}/site/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), '<h1>hello</h1>');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');

    // Every superuser API answers an anonymous caller 401 (one guard), at its /api/admin path and at the legacy ones.
    const admin = [
      ['GET', '/api/admin/collections'], ['GET', '/api/admin/audit'], ['GET', '/api/admin/queues'], ['GET', '/api/admin/webhooks'],
      ['GET', '/api/admin/waf/events'], ['POST', '/api/admin/cache/purge'], ['GET', '/api/queues'], ['GET', '/api/webhooks'], ['POST', '/_strata/gateway/cache/purge'],
    ];
    for (const [method, path] of admin) {
      const r = await json(`${s.http}${path}`, { method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{"tags":["x"]}' } : {}) });
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.equal(r.body.type, 'strata/unauthorized', `${method} ${path}`);
    }
  } finally {
    assert.equal(await s.stop(), 0);
  }
  // The record survives a restart on the same data directory.
  s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'] });
  try {
    const again = await json(`${s.http}/api/collections/posts/records/${id}`);
    assert.equal(again.status, 200);
    assert.equal(again.body.title, "O'Brien's first post");
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
