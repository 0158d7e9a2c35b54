// Concurrent writes that meet in the same index gap: sign-ups into an auth collection (record + credentials
// row) and creates with a unique field, all at once, on SQLite, PostgreSQL and MariaDB. On MariaDB an UPDATE
// that found no credentials row followed by an INSERT deadlocked two sign-ups (ER_LOCK_DEADLOCK → 500); the
// credentials are now written in one statement, and a transaction the engine rolls back as a deadlock victim
// is run again. Every request must answer 201 (or 409 for a real duplicate), never 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { MYSQL_URL, PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const PASSWORD = 'correct horse battery staple 42';
const ENGINES: Array<[string, () => string, number | undefined]> = [
  ['sqlite', () => '', undefined],
  ['postgres', () => `data:\n  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}\n`, 5432],
  ['mysql', () => `data:\n  url: ${MYSQL_URL}\n  tablePrefix: ${uniquePrefix()}\n`, 3306],
];
const COLLECTIONS = `
collections:
  - name: tags
    rules: { create: "" }
    fields:
      - { name: label, type: text, required: true, unique: true }
`;

for (const [engine, data, port] of ENGINES) {
  test(`concurrent sign-ups and unique creates answer 201 or 409, never 500: ${engine}`, { skip: port === undefined ? false : await unreachable(port) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-concurrent-'));
    writeFileSync(join(dir, 'strata.yaml'), data() + COLLECTIONS);
    const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.https.enabled': false } }).config;
    const server = await createServer(config, pino({ level: 'silent' }));
    try {
      await server.start();
      const base = server.edge.urls().find((u) => u.kind === 'http')?.url ?? '';
      const run = Math.random().toString(36).slice(2, 8);
      const post = async (path: string, body: unknown) => {
        const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return `${r.status}${r.status >= 500 ? ` ${await r.text()}` : ''}`;
      };
      for (let round = 0; round < 3; round++) {
        const who = Array.from({ length: 8 }, (_, i) => `u${round}-${i}-${run}@example.com`);
        const signups = await Promise.all(who.map((email) => post('/api/collections/users/records', { email, password: PASSWORD, passwordConfirm: PASSWORD })));
        assert.deepEqual(signups, who.map(() => '201'), `round ${round} sign-ups`);
        // the same label twice in each pair: one 201, one 409
        const labels = Array.from({ length: 8 }, (_, i) => `t${round}-${i >> 1}-${run}`);
        const creates = await Promise.all(labels.map((label) => post('/api/collections/tags/records', { label })));
        assert.deepEqual(creates.filter((s) => s === '201').length, 4, `round ${round} creates: ${creates.join(', ')}`);
        assert.deepEqual(creates.filter((s) => s === '409').length, 4, `round ${round} creates: ${creates.join(', ')}`);
      }
      // each account can sign in: its credentials row was written once, whole
      const r = await fetch(`${base}/api/collections/users/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: `u2-7-${run}@example.com`, password: PASSWORD }) });
      assert.equal(r.status, 200);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
