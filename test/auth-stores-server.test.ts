// The server wiring: auth starts after the data layer and keeps its tables in the data layer's database
// (no auth.db any more); the audit API is mounted and closed to non-superusers; no SMTP = one warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startStrata } from './helpers/strata-process.js';

test('strata serve: auth tables live in data.db, GET /api/admin/audit is superuser-only, missing SMTP is one warning', async () => {
  const s = await startStrata({ args: ['serve', '--port', '0', '--no-https'] });
  let code: number | null = null;
  try {
    for (const path of ['/api/admin/audit', '/api/admin/audit?limit=0']) {
      const res = await fetch(s.http + path);
      // Refused before the query is looked at: 403 while superusers do not exist, 401 (anonymous) once they do.
      assert.ok(res.status === 401 || res.status === 403, `${path}: ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    }
    const warnings = s.output().split('\n').filter((l) => l.includes('auth.email.smtp.host is not set'));
    assert.equal(warnings.length, 1);
  } finally {
    code = await s.stop();
  }
  assert.equal(code, 0);
  const dataDir = join(s.cwd, 'strata-data');
  assert.equal(existsSync(join(dataDir, 'auth.db')), false, 'no separate auth database');
  const db = new Database(join(dataDir, 'data.db'), { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_auth\\_%' ESCAPE '\\' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    for (const t of ['_auth_api_keys', '_auth_audit', '_auth_one_time', '_auth_outbox', '_auth_recovery_codes', '_auth_refresh', '_auth_totp_steps']) {
      assert.ok(tables.includes(t), `${t} in data.db`);
    }
  } finally {
    db.close();
  }
});
