// The task-board example (examples/taskboard), started the way its README says, end to end:
// webhook (constant-time token), record hooks, email consumer, subscriber, cron cleanup, and
// the HTML page (markup in records escaped, CSP nonce on the inline script).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, until } from './functions-helpers.js';
import { startStrata, tempDir } from './helpers/strata-process.js';

const TOKEN = 'example-secret-' + Math.random().toString(36).slice(2);

test('examples/taskboard end to end', async () => {
  const s = await startStrata({ cwd: join(ROOT, 'examples/taskboard'), args: ['serve', '--port', '0', '--no-https', '--data-dir', tempDir()], env: { TASKBOARD_WEBHOOK_TOKEN: TOKEN } });
  const url = s.http!;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  try {
    // A user signs up and logs in; the first superuser comes from the setup link the server printed.
    const pass = 'correct horse battery staple 42';
    assert.equal((await post('/api/collections/users/records', { email: 'ann@example.com', password: pass })).status, 201);
    const ann = (await (await post('/api/collections/users/auth/login', { identity: 'ann@example.com', password: pass })).json()) as { token: string; record: { id: string } };
    const setup = /_strata\/setup#(\S+)/.exec(s.output())![1];
    assert.equal((await post('/_strata/setup', { token: setup, email: 'root@example.com', password: pass })).status, 201);
    const root = ((await (await post('/api/collections/_superusers/auth/login', { identity: 'root@example.com', password: pass })).json()) as { token: string }).token;
    const as = (t: string) => ({ authorization: `Bearer ${t}` });

    // The webhook: no token and a wrong token are 401; the right one creates the task (title tidied by the before-hook).
    assert.equal((await post('/hooks/tasks', { title: 'x' })).status, 401);
    assert.equal((await post('/hooks/tasks', { title: 'x' }, { 'x-webhook-token': 'wrong' })).status, 401);
    const blank = await post('/hooks/tasks', { title: '   ' }, { 'x-webhook-token': TOKEN });
    assert.equal(blank.status, 400);
    assert.deepEqual(((await blank.json()) as { errors: unknown }).errors, [{ field: 'title', message: 'must not be blank' }]);
    const created = await post('/hooks/tasks', { title: '  Fix   the <b>login</b> & "signup"  ' }, { 'x-webhook-token': TOKEN });
    assert.equal(created.status, 201, await created.clone().text());
    const task = (await created.json()) as { id: string; title: string };
    assert.equal(task.title, 'Fix the <b>login</b> & "signup"');
    assert.deepEqual(Object.keys(task).sort(), ['id', 'title']);

    // The after-hook queued an email; the consumer "sent" it to the outbox.
    const outbox = await until(async () => {
      const r = (await (await fetch(`${url}/api/collections/outbox/records`, { headers: as(root) })).json()) as { items: { to: string; subject: string }[] };
      return r.items.length > 0 ? r.items : undefined;
    }, 'email in the outbox', 30_000);
    assert.equal(outbox[0].to, 'team@example.com');
    assert.equal(outbox[0].subject, 'New task: Fix the <b>login</b> & "signup"');

    // The subscriber counted the bus event.
    await until(async () => ((await (await fetch(`${url}/api/board/stats`)).json()) as { created: number }).created === 1 || undefined, 'stats');

    // The page: markup from the record is escaped; the inline script's nonce is the CSP's.
    const page = await fetch(`${url}/board`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.ok(html.includes('Fix the &lt;b&gt;login&lt;/b&gt; &amp; &quot;signup&quot;'), html);
    assert.ok(!html.includes('<b>login</b>'));
    const nonce = /<script nonce="([^"]+)">/.exec(html)?.[1];
    assert.ok(nonce && nonce.length >= 16);
    assert.match(page.headers.get('content-security-policy') ?? '', new RegExp(`script-src 'nonce-${nonce.replace(/[+/=]/g, '\\$&')}'`));
    const again = await (await fetch(`${url}/board`)).text();
    assert.notEqual(/<script nonce="([^"]+)">/.exec(again)?.[1], nonce, 'a fresh nonce per response');

    // Access rules: anonymous callers cannot read the outbox or create tasks; Ann creates her own.
    assert.equal((await fetch(`${url}/api/collections/outbox/records`)).status, 403);
    assert.equal((await post('/api/collections/tasks/records', { title: 'anon' })).status, 403);
    const mineTask = await post('/api/collections/tasks/records', { title: 'ann task', owner: ann.record.id }, as(ann.token));
    assert.equal(mineTask.status, 201, await mineTask.clone().text());

    // The cron job deletes archived tasks.
    const archived = await post('/api/collections/tasks/records', { title: 'old', archived: true, owner: ann.record.id }, as(ann.token));
    assert.equal(archived.status, 201);
    const { id } = (await archived.json()) as { id: string };
    await until(async () => ((await fetch(`${url}/api/collections/tasks/records/${id}`, { headers: as(ann.token) })).status === 404) || undefined, 'cron cleanup', 30_000);

    // A user-only route refuses anonymous callers, and shows a user only their own tasks.
    const mine = await fetch(`${url}/api/board/mine`);
    assert.equal(mine.status, 401);
    assert.equal(((await mine.json()) as { type: string }).type, 'strata/unauthorized');
    const annMine = (await (await fetch(`${url}/api/board/mine`, { headers: as(ann.token) })).json()) as { items: { title: string }[] };
    assert.deepEqual(annMine.items.map((t) => t.title), ['ann task']);

    // The example's routes are in the OpenAPI document.
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const p of ['/hooks/tasks', '/board', '/api/board/mine', '/api/board/stats']) assert.ok(doc.paths[p], p);
  } finally {
    await s.stop();
  }
});
