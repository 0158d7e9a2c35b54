// The queue admin API as a table of scenarios against a real server on port 0 and a real SQLite queue.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../core/index.js';
import { sqliteQueue, type SqliteQueue } from '../../messaging/backends/sqlite.js';
import { queueRoutes } from './queues.js';
import { handleError } from '../../edge/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-qapi-'));
let app: FastifyInstance;
let q: SqliteQueue;
let base: string;

before(async () => {
  q = sqliteQueue({ file: join(dir, 'q.db') });
  app = Fastify();
  app.setErrorHandler(handleError); // errors become problem+json at the edge, as in the server
  await app.register(
    queueRoutes({
      queue: () => q,
      authorize: (req) => {
        if (!req.headers['x-user']) throw new UnauthorizedError();
        if (req.headers['x-user'] !== 'root') throw new ForbiddenError('Superusers only.');
      },
    }),
  );
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await app.close();
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Scenario {
  name: string;
  method: string;
  url: string;
  user?: string;
  body?: unknown;
  status: number;
  expect?: (body: Record<string, unknown>) => void;
}

const root = 'root';
const scenarios: Scenario[] = [
  { name: 'no credentials', method: 'GET', url: '/api/admin/queues', status: 401, expect: (b) => assert.equal(b.type, 'strata/unauthorized') },
  { name: 'not a superuser', method: 'GET', url: '/api/admin/queues', user: 'bob', status: 403, expect: (b) => assert.equal(b.type, 'strata/forbidden') },
  { name: 'enqueue', method: 'POST', url: '/api/admin/queues/mail/jobs', user: root, body: { payload: { to: 'a@b.c' }, idempotencyKey: 'k1' }, status: 201, expect: (b) => assert.equal(b.duplicate, false) },
  { name: 'enqueue duplicate key', method: 'POST', url: '/api/admin/queues/mail/jobs', user: root, body: { payload: 1, idempotencyKey: 'k1' }, status: 200, expect: (b) => assert.equal(b.duplicate, true) },
  { name: 'enqueue delayed', method: 'POST', url: '/api/admin/queues/mail/jobs', user: root, body: { payload: 2, delay: 60_000 }, status: 201 },
  { name: 'enqueue bad priority', method: 'POST', url: '/api/admin/queues/mail/jobs', user: root, body: { payload: 1, priority: 500 }, status: 400, expect: (b) => assert.equal(b.type, 'strata/validation') },
  { name: 'unknown fields are dropped (Fastify removeAdditional), payload kept', method: 'POST', url: '/api/admin/queues/other/jobs', user: root, body: { payload: 1, evil: true }, status: 201 },
  { name: 'enqueue bad queue name', method: 'POST', url: '/api/admin/queues/bad%20name/jobs', user: root, body: { payload: 1 }, status: 400 },
  { name: 'list', method: 'GET', url: '/api/admin/queues', user: root, status: 200, expect: (b) => assert.deepEqual(b.items, [{ name: 'mail', waiting: 1, delayed: 1, active: 0, dead: 0, paused: false }, { name: 'other', waiting: 1, delayed: 0, active: 0, dead: 0, paused: false }]) },
  { name: 'one queue', method: 'GET', url: '/api/admin/queues/mail', user: root, status: 200, expect: (b) => assert.equal(b.waiting, 1) },
  { name: 'unknown queue', method: 'GET', url: '/api/admin/queues/nope', user: root, status: 404, expect: (b) => assert.equal(b.type, 'strata/not-found') },
  { name: 'peek delayed', method: 'GET', url: '/api/admin/queues/mail/jobs?state=delayed', user: root, status: 200, expect: (b) => assert.equal((b.items as { payload: unknown }[])[0].payload, 2) },
  { name: 'peek bad state', method: 'GET', url: '/api/admin/queues/mail/jobs?state=gone', user: root, status: 400 },
  { name: 'pause', method: 'POST', url: '/api/admin/queues/mail/pause', user: root, status: 204 },
  { name: 'paused shows', method: 'GET', url: '/api/admin/queues/mail', user: root, status: 200, expect: (b) => assert.equal(b.paused, true) },
  { name: 'resume', method: 'POST', url: '/api/admin/queues/mail/resume', user: root, status: 204 },
  { name: 'pause a queue that never had a job', method: 'POST', url: '/api/admin/queues/fresh/pause', user: root, status: 204 },
  { name: 'the never-used queue shows paused', method: 'GET', url: '/api/admin/queues/fresh', user: root, status: 200, expect: (b) => assert.equal(b.paused, true) },
  { name: 'resume it', method: 'POST', url: '/api/admin/queues/fresh/resume', user: root, status: 204 },
  { name: 'pause a bad queue name', method: 'POST', url: '/api/admin/queues/bad%20name/pause', user: root, status: 400 },
  { name: 'retry dead (none)', method: 'POST', url: '/api/admin/queues/mail/dead/retry', user: root, body: {}, status: 200, expect: (b) => assert.equal(b.retried, 0) },
  { name: 'purge dead by ids', method: 'POST', url: '/api/admin/queues/mail/dead/purge', user: root, body: { ids: ['1'] }, status: 200, expect: (b) => assert.equal(b.purged, 0) },
  { name: 'malformed JSON', method: 'POST', url: '/api/admin/queues/mail/jobs', user: root, body: '{"payload":', status: 400 },
];

test('queue API scenarios', async () => {
  for (const s of scenarios) {
    const headers: Record<string, string> = {};
    if (s.user) headers['x-user'] = s.user;
    if (s.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + s.url, { method: s.method, headers, body: s.body === undefined ? undefined : typeof s.body === 'string' ? s.body : JSON.stringify(s.body) });
    assert.equal(res.status, s.status, `${s.name}: status`);
    if (res.status >= 400) assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, `${s.name}: problem+json`);
    if (s.expect) s.expect((await res.json()) as Record<string, unknown>);
  }
});

test('dead letters can be retried over the API', async () => {
  await q.enqueue('fail', 'x', { maxAttempts: 1 });
  const c = await q.consume('fail', () => Promise.reject(new Error('no')));
  while ((await q.counts('fail')).dead === 0) await new Promise((r) => setTimeout(r, 10));
  await c.stop();
  const h = { 'x-user': 'root', 'content-type': 'application/json' };
  const peek = (await (await fetch(`${base}/api/admin/queues/fail/jobs?state=dead`, { headers: h })).json()) as { items: { id: string; lastError: string }[] };
  assert.match(peek.items[0].lastError, /no/);
  const r = await fetch(`${base}/api/admin/queues/fail/dead/retry`, { method: 'POST', headers: h, body: JSON.stringify({ ids: [peek.items[0].id] }) });
  assert.deepEqual(await r.json(), { retried: 1 });
  assert.equal((await q.counts('fail')).waiting, 1);
});
