// A full disk (issue 23 item 7): the data directory on a small tmpfs (mounted here when the machine
// allows it; else SQLite's max_page_count, which fails writes with the same SQLITE_FULL). Record
// creates answer 507 problem+json naming storage, the cause is logged once per interval (not once
// per request, and never "cannot rollback"), and writes resume once space is freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';

function mountTmpfs(dir: string, size = '12m'): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('full disk: 507 strata/storage-full for writes, the cause logged once per interval, writes resume when space is freed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-full-'));
  const tmpfs = mountTmpfs(dir);
  let logs = '';
  const sink = new Writable({
    write(chunk, _e, cb) {
      logs += chunk;
      cb();
    },
  });
  writeFileSync(join(dir, 'strata.yaml'), 'collections:\n  - name: items\n    fields: [{ name: body, type: text }]\n    rules: { create: "" }\n');
  const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.https.enabled': false } });
  const server = await createServer(config, pino({ level: 'info' }, sink));
  await server.start();
  const base = server.edge.urls().find((u) => u.kind === 'http')!.url;
  const ballast = join(dir, 'ballast');
  try {
    if (tmpfs) writeFileSync(ballast, Buffer.alloc(1024 * 1024)); // freed later: the "space freed" step
    else {
      const pages = Number((await sql<{ page_count: number }>`PRAGMA page_count`.execute(server.data.db)).rows[0].page_count);
      await sql.raw(`PRAGMA max_page_count = ${pages + 200}`).execute(server.data.db);
    }
    const create = () => fetch(`${base}/api/collections/items/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: 'x'.repeat(15_000) }) });
    let r = await create();
    let created = 0;
    for (let i = 0; i < 2000 && r.status === 201; i++) {
      created++;
      r = await create();
    }
    assert.ok(created > 0, `writes succeeded before the disk filled: ${r.status} ${await r.clone().text()}`);
    assert.equal(r.status, 507, await r.clone().text());
    assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await r.json()) as { type: string; detail: string };
    assert.equal(problem.type, 'strata/storage-full');
    assert.match(problem.detail, /storage is full/);
    for (let i = 0; i < 20; i++) assert.equal((await create()).status, 507);
    assert.equal(logs.match(/storage full: writes fail until space is freed/g)?.length, 1, 'the cause is logged once in the interval');
    assert.match(logs, /database or disk is full|SQLITE_FULL/);
    assert.doesNotMatch(logs, /cannot rollback/);

    if (tmpfs) rmSync(ballast);
    else await sql.raw('PRAGMA max_page_count = 1073741823').execute(server.data.db);
    assert.equal((await create()).status, 201, 'writes resume once space is freed');
  } finally {
    await server.stop();
    if (tmpfs) execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('full disk: /readyz is 503 naming storage while writes fail and 200 again once space is freed (before any write); login and enqueue answer 507 too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-full-'));
  if (!mountTmpfs(dir, '24m')) {
    rmSync(dir, { recursive: true, force: true });
    return t.skip('cannot mount a tmpfs here (needs root): the queue database has no page limit to stand in for it');
  }
  writeFileSync(join(dir, 'strata.yaml'), 'collections:\n  - name: items\n    fields: [{ name: body, type: text }]\n    rules: { create: "" }\n');
  const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.https.enabled': false } });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  const base = server.edge.urls().find((u) => u.kind === 'http')!.url;
  const ballast = join(dir, 'ballast');
  const json = (path: string, body: unknown, token?: string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  const PASSWORD = 'correct horse battery staple 42';
  try {
    assert.equal((await json('/_strata/setup', { token: server.setupToken, email: 'root@example.com', password: PASSWORD })).status, 201);
    const login = () => json('/api/collections/_superusers/auth/login', { identity: 'root@example.com', password: PASSWORD });
    const token = String(((await (await login()).json()) as { token: string }).token);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    // Freed later. (With only 1 MiB freed on a 12 MiB tmpfs the probe's COMMIT still failed with
    // SQLITE_FULL beside a 4 MB write-ahead log; 8 MiB leaves clear room.)
    writeFileSync(ballast, Buffer.alloc(8 * 1024 * 1024));
    let r = await json('/api/collections/items/records', { body: 'x'.repeat(15_000) });
    for (let i = 0; i < 2000 && r.status === 201; i++) r = await json('/api/collections/items/records', { body: 'x'.repeat(15_000) });
    assert.equal(r.status, 507, await r.clone().text());
    // the queue database is on the same file system: fill what is left
    let q = await json('/api/admin/queues/jobs/jobs', { payload: { pad: 'y'.repeat(15_000) } }, token);
    for (let i = 0; i < 2000 && q.status === 201; i++) q = await json('/api/admin/queues/jobs/jobs', { payload: { pad: 'y'.repeat(15_000) } }, token);
    const problem = async (res: Response) => [res.status, res.headers.get('content-type')?.split(';')[0], ((await res.json()) as { type: string }).type];
    assert.deepEqual(await problem(q), [507, 'application/problem+json', 'strata/storage-full'], 'enqueue');
    assert.deepEqual(await problem(await login()), [507, 'application/problem+json', 'strata/storage-full'], 'login');

    const ready = await fetch(`${base}/readyz`);
    const report = (await ready.json()) as { status: string; components: Record<string, string>; details?: Record<string, string> };
    assert.equal(ready.status, 503);
    assert.equal(report.components.storage, 'not-ready');
    assert.match(report.details?.storage ?? '', /storage is full/i);
    assert.match(report.details?.storage ?? '', /database or disk is full|SQLITE_FULL|ENOSPC/);

    rmSync(ballast);
    // no write has been tried since: the readiness probe itself finds storage writable again
    const again = await fetch(`${base}/readyz`);
    assert.equal(again.status, 200, await again.clone().text());
    assert.equal(((await again.json()) as { components: Record<string, string> }).components.storage, 'ready');
    assert.equal((await json('/api/collections/items/records', { body: 'z' })).status, 201);
    assert.equal((await login()).status, 200);
  } finally {
    await server.stop();
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
