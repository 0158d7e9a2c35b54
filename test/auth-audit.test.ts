// The audit log on SQLite, PostgreSQL and MariaDB (record, filters, cursor pages, retention, transactions,
// secrets never stored) and its superuser route GET /api/admin/audit on a real socket (problem+json for bad input).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { handleError } from '../src/edge/index.js';
import { ForbiddenError } from '../src/core/index.js';
import { createAuditLog, redactDetails, type AuditLog } from '../src/ops/index.js';
import { createSqlAuditStore } from '../src/data/auth-tables/audit-store-sql.js';
import { auditRoutes } from '../src/api/admin/audit.js';
import { authDeps, authEngines } from './auth-stores-helpers.js';

const engines = await authEngines();
after(async () => {
  for (const e of engines) await e.close();
});

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10);

async function seed(audit: AuditLog): Promise<void> {
  const alice = { id: 'u_alice', collection: 'users' };
  const root = { id: 's_root', collection: '_superusers' };
  await audit.record({ at: T0, action: 'auth.signup', actor: alice, target: 'users/u_alice', ip: '192.0.2.1', userAgent: 'UA/1' });
  await audit.record({ at: T0 + 1000, action: 'auth.login.failure', target: 'users', ip: '192.0.2.9', outcome: 'failure', details: { email: 'alice@example.com', password: 'hunter2hunter2' } });
  await audit.record({ at: T0 + 2000, action: 'auth.login.success', actor: alice, ip: '192.0.2.1' });
  await audit.record({ at: T0 + 3000, action: 'auth.loginx', actor: alice });
  await audit.record({ at: T0 + DAY, action: 'collections.update', actor: root, target: 'posts', details: { fields: ['title'], nested: { apiKey: 'sk_x', ok: 1 } } });
  await audit.record({ at: T0 + 2 * DAY, action: 'superuser.create', actor: root, target: '_superusers/s_2', details: { token: 't', resetCode: 'c', name: 'Bob' } });
}

test('redaction drops credential-like keys at any depth and bounds size', () => {
  assert.deepEqual(
    redactDetails({ password: 'p', newPassword: 'p', token: 't', refresh_token: 't', secret: 's', totpCode: '1', apiKey: 'k', Authorization: 'B', email: 'a@x', list: [{ sessionId: 's', n: 1 }] }),
    { email: 'a@x', list: [{ n: 1 }] },
  );
  assert.deepEqual(redactDetails(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'y'.repeat(200)]))), { truncated: true });
  assert.equal(redactDetails({ s: 'z'.repeat(5000) }).s, 'z'.repeat(1000) + '…');
});

for (const e of engines) {
  describe(`${e.name} audit log`, { skip: e.skip }, () => {
    test(`${e.name}: filters by action prefix, actor and time; newest first; cursor pages; no secrets stored`, async () => {
      const ctx = await e.fresh();
      const audit = createAuditLog({ store: createSqlAuditStore(ctx) });
      await seed(audit);
      const all = await audit.query();
      assert.deepEqual(all.items.map((r) => r.action), ['superuser.create', 'collections.update', 'auth.loginx', 'auth.login.success', 'auth.login.failure', 'auth.signup']);
      assert.equal(all.nextCursor, null);
      const failure = all.items.find((r) => r.action === 'auth.login.failure')!;
      assert.deepEqual({ actor: failure.actor, outcome: failure.outcome, ip: failure.ip, details: failure.details }, {
        actor: null, outcome: 'failure', ip: '192.0.2.9', details: { email: 'alice@example.com' },
      });
      const signup = all.items.find((r) => r.action === 'auth.signup')!;
      assert.deepEqual({ actor: signup.actor, target: signup.target, userAgent: signup.userAgent, at: signup.at, outcome: signup.outcome }, {
        actor: { id: 'u_alice', collection: 'users' }, target: 'users/u_alice', userAgent: 'UA/1', at: T0, outcome: 'success',
      });
      assert.deepEqual(all.items.find((r) => r.action === 'collections.update')!.details, { fields: ['title'], nested: { ok: 1 } });
      assert.deepEqual(all.items[0].details, { name: 'Bob' });
      const raw = JSON.stringify(await ctx.db.selectFrom(`${ctx.names.prefix}_auth_audit`).selectAll().execute());
      for (const secret of ['hunter2hunter2', 'sk_x', '"t"', '"c"']) assert.ok(!raw.includes(secret), `${secret} not stored`);

      assert.deepEqual((await audit.query({ action: 'auth.login' })).items.map((r) => r.action), ['auth.login.success', 'auth.login.failure'], 'prefix is per segment');
      assert.deepEqual((await audit.query({ action: 'auth' })).items.length, 4);
      assert.deepEqual((await audit.query({ action: 'auth.signup' })).items.length, 1);
      assert.deepEqual((await audit.query({ actor: 's_root' })).items.map((r) => r.action), ['superuser.create', 'collections.update']);
      assert.deepEqual((await audit.query({ since: T0 + 1000, until: T0 + DAY })).items.map((r) => r.action), ['auth.loginx', 'auth.login.success', 'auth.login.failure']);

      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await audit.query({ limit: 4, cursor });
        seen.push(...page.items.map((r) => r.action));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      assert.deepEqual(seen, all.items.map((r) => r.action), 'pages cover everything once');
    });

    test(`${e.name}: retention prunes old entries; entries commit and roll back with the caller's transaction`, async () => {
      const ctx = await e.fresh();
      const audit = createAuditLog({ store: createSqlAuditStore(ctx), retentionDays: 1, now: () => T0 + 2 * DAY + 1 });
      await seed(audit);
      assert.equal(await audit.prune(), 5, 'everything older than a day');
      assert.deepEqual((await audit.query()).items.map((r) => r.action), ['superuser.create']);
      assert.equal(await createAuditLog({ store: createSqlAuditStore(ctx) }).prune(T0 + 100 * DAY), 0, 'retention 0 keeps everything');

      await assert.rejects(ctx.db.transaction().execute(async (tx) => {
        await audit.record({ action: 'rules.update', target: 'posts' }, tx);
        throw new Error('rule change failed');
      }));
      assert.equal((await audit.query({ action: 'rules' })).items.length, 0);
      await ctx.db.transaction().execute((tx) => audit.record({ action: 'rules.update', target: 'posts' }, tx));
      assert.equal((await audit.query({ action: 'rules' })).items.length, 1);
      await assert.rejects(() => audit.record({ action: 'Bad Action' }), /dotted/);
    });
  });
}

describe('GET /api/admin/audit', { skip: engines[0].skip }, () => {
  test('superusers page through entries; others are refused; bad parameters are problem+json 400', async () => {
    const ctx = await engines[0].fresh();
    const audit = createAuditLog({ store: createSqlAuditStore(ctx) });
    await seed(audit);
    const app = Fastify();
    app.setErrorHandler(handleError);
    await app.register(auditRoutes(async (req) => {
      if (req.headers['x-test-superuser'] !== 'yes') throw new ForbiddenError('superusers only');
    }, () => audit));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const get = (path: string, su = true) => fetch(base + path, { headers: su ? { 'x-test-superuser': 'yes' } : {} });
    try {
      let res = await get('/api/admin/audit?action=auth.login&limit=1');
      assert.equal(res.status, 200);
      const page = (await res.json()) as { items: { action: string; at: string }[]; nextCursor: string };
      assert.deepEqual(page.items.map((r) => r.action), ['auth.login.success']);
      assert.equal(page.items[0].at, new Date(T0 + 2000).toISOString());
      res = await get(`/api/admin/audit?action=auth.login&limit=1&cursor=${page.nextCursor}`);
      const page2 = (await res.json()) as { items: { action: string }[]; nextCursor: string | null };
      assert.deepEqual(page2.items.map((r) => r.action), ['auth.login.failure']);
      assert.equal(page2.nextCursor, null);
      res = await get(`/api/admin/audit?since=${encodeURIComponent(new Date(T0 + DAY).toISOString())}&actor=s_root`);
      assert.deepEqual(((await res.json()) as { items: { action: string }[] }).items.map((r) => r.action), ['superuser.create', 'collections.update']);

      res = await get('/api/admin/audit', false);
      assert.equal(res.status, 403);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const scenarios: [string, string][] = [
        ['?limit=0', 'limit below 1'],
        ['?limit=501', 'limit above 500'],
        ['?limit=abc', 'limit not a number'],
        ['?action=Auth%20Login', 'action not a dotted name'],
        ['?action=auth.%25', 'action with a LIKE wildcard'],
        ['?since=yesterday', 'since not a date-time'],
        ['?cursor=bm9wZQ', 'cursor not ours'],
        ['?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'since after until'],
        ['?sort=at', 'unknown parameter'],
      ];
      for (const [qs, why] of scenarios) {
        res = await get('/api/admin/audit' + qs);
        assert.equal(res.status, 400, why);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, why);
        const p = (await res.json()) as { status: number; type: string };
        assert.equal(p.status, 400, why);
      }
    } finally {
      await app.close();
    }
  });
});

test('authComponent on a data layer database: mailer and audit in its services; a refresh replay is audited', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadConfig } = await import('../src/config/index.js');
  const { authComponent } = await import('../src/auth/index.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-authaudit-'));
  const ctx = await engines[0].fresh();
  const auth = authComponent(loadConfig({ cwd: dataDir, env: {} }).config.auth, await authDeps(dataDir, { data: () => ctx }));
  await auth.start?.();
  try {
    const s = auth.services;
    const first = await s.refreshTokens.issue('u_alice');
    await s.refreshTokens.rotate(first.token);
    await assert.rejects(s.refreshTokens.rotate(first.token));
    let items: { action: string; outcome: string; target: string | null; details: Record<string, unknown> | null }[] = [];
    for (let i = 0; i < 250 && items.length === 0; i++) {
      items = (await s.audit.query({ action: 'auth.refresh' })).items;
      if (!items.length) await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(items.map((r) => [r.action, r.outcome, r.target, r.details]), [['auth.refresh.reuse', 'denied', 'u_alice', { familyId: first.familyId }]]);
    await s.mailer.enqueue({ to: 'ada@example.com', subject: 'Hi', text: 'x' });
    assert.equal((await s.mailer.list({ status: 'pending' })).length, 1, 'no SMTP configured: the mail waits');
  } finally {
    await auth.stop?.();
  }
});
