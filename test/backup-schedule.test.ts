// Backups taken by the running server: on backup.schedule (once per tick), on demand from the admin API
// (superusers only), pruned by backup.keep, in the audit log and metrics; a schedule without a key stops start-up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';
import { runStrata } from './helpers/strata-process.js';

const until = async <T>(probe: () => Promise<T | undefined | false>, what: string, ms = 60_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('backups taken by the server', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-backup-schedule-'));
  const keyFile = join(dir, 'backup.key');
  const out = join(dir, 'archives');
  let server: StrataServer;
  let base = '';
  let root = '';
  const call = async (method: string, path: string, token?: string) => {
    const r = await fetch(base + path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await r.text();
    return { status: r.status, body: text && r.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : ({ text } as Record<string, unknown>) };
  };

  before(async () => {
    writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    writeFileSync(join(dir, 'strata.yaml'), 'collections:\n  - name: notes\n    fields: [{ name: body, type: text }]\n');
    const { config } = loadConfig({
      cwd: dir,
      env: {},
      overrides: { dataDir: join(dir, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'backup.schedule': '*/2 * * * * *', 'backup.keyFile': keyFile, 'backup.dir': out, 'backup.keep.daily': 1, 'backup.keep.weekly': 0, 'backup.keep.monthly': 0 },
    });
    server = await createServer(config, pino({ level: 'silent' }));
    await server.start();
    base = server.edge.urls().find((u) => u.kind === 'http')!.url;
    root = (await server.auth.services.accessTokens.issue({ sub: 'root1', col: '_superusers' })).token;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the schedule runs backups; retention keeps the newest of the day; runs are audited and measured', async () => {
    const runs = await until(async () => {
      const r = await call('GET', '/metrics');
      const n = Number(/strata_backup_runs_total\{outcome="success",trigger="schedule"\} (\d+)/.exec(String(r.body.text))?.[1] ?? 0);
      return n >= 2 ? r : undefined;
    }, 'two scheduled backups');
    assert.match(String(runs.body.text), /strata_backup_last_success_timestamp_seconds \d/);
    assert.match(String(runs.body.text), /strata_backup_last_size_bytes [1-9]/);
    await server.backups.idle();
    const status = await call('GET', '/api/admin/backups', root);
    assert.equal(status.status, 200, JSON.stringify(status.body));
    assert.equal(status.body.schedule, '*/2 * * * * *');
    assert.equal((status.body.lastSuccess as { trigger: string }).trigger, 'schedule');
    const archives = status.body.archives as { name: string; bytes: number }[];
    assert.equal(archives.length, 1, `keep.daily 1 keeps one archive: ${JSON.stringify(archives)}`);
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.sbk')), [archives[0].name]);
    const audit = await call('GET', '/api/admin/audit?action=backup&limit=10', root);
    const items = audit.body.items as { action: string; outcome: string; details: { trigger: string } }[];
    assert.ok(items.some((x) => x.action === 'backup.create' && x.outcome === 'success' && x.details.trigger === 'schedule'), JSON.stringify(items));
  });

  test('superusers start one from the admin API; others are refused; the archive verifies', async () => {
    // A server of its own, without a schedule (the one above prunes every 2 s).
    await server.stop();
    const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: join(dir, 'data-api'), 'server.http.port': 0, 'server.https.enabled': false, 'backup.keyFile': keyFile, 'backup.dir': join(dir, 'api-archives') } });
    server = await createServer(config, pino({ level: 'silent' }));
    await server.start();
    base = server.edge.urls().find((u) => u.kind === 'http')!.url;
    root = (await server.auth.services.accessTokens.issue({ sub: 'root1', col: '_superusers' })).token;
    assert.equal((await call('GET', '/api/admin/backups')).status, 401);
    assert.equal((await call('POST', '/api/admin/backups')).status, 401);
    const user = (await server.auth.services.accessTokens.issue({ sub: 'u1', col: 'users' })).token;
    assert.equal((await call('POST', '/api/admin/backups', user)).status, 403);
    const started = await call('POST', '/api/admin/backups', root);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const again = await call('POST', '/api/admin/backups', root);
    assert.ok(again.status === 409 || again.status === 202, 'a second start while one runs is refused (or the first one had ended)');
    const last = await until(async () => {
      const s = await call('GET', '/api/admin/backups', root);
      const l = s.body.last as { trigger: string; ok: boolean; file: string } | null;
      return l && l.trigger === 'api' ? l : undefined;
    }, 'the API backup');
    assert.equal(last.ok, true, JSON.stringify(last));
    const v = await runStrata({ cwd: dir, args: ['backup', 'verify', last.file, '--key-file', keyFile] });
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  test('a failed scheduled backup is logged and shown in /readyz details (still 200) until one succeeds', async () => {
    // backup.dir is a regular file, so every run fails until it is replaced by a folder.
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'not a folder');
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: join(dir, 'data-fail'), 'server.http.port': 0, 'server.https.enabled': false, 'backup.schedule': '*/2 * * * * *', 'backup.keyFile': keyFile, 'backup.dir': blocked } });
    const s3 = await createServer(config, logger);
    await s3.start();
    try {
      const url = s3.edge.urls().find((u) => u.kind === 'http')!.url + '/readyz';
      const failing = await until(async () => {
        const r = await fetch(url);
        const body = (await r.json()) as { status: string; details?: Record<string, string> };
        return body.details?.backups ? { code: r.status, body } : undefined;
      }, 'a failed scheduled backup in /readyz');
      assert.equal(failing.code, 200, 'a failed backup does not take the instance out of rotation');
      assert.equal(failing.body.status, 'ready');
      assert.match(failing.body.details!.backups, /^the last scheduled backup failed at \d{4}-.*; last success: never$/);
      assert.ok(!failing.body.details!.backups.includes(blocked), 'no server paths on the public probe');
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; trigger?: string; err?: string }).find((l) => l.msg === 'backup failed');
      assert.equal(logged?.trigger, 'schedule');
      assert.ok(logged?.err, 'the log line carries the error');
      rmSync(blocked);
      const healed = await until(async () => {
        const body = (await (await fetch(url)).json()) as { details?: Record<string, string> };
        return body.details?.backups === undefined ? body : undefined;
      }, 'the notice to clear after a successful backup');
      assert.equal((healed as { status: string }).status, 'ready');
      assert.ok(s3.backups.status().lastSuccess, 'a later scheduled backup succeeded');
    } finally {
      await s3.stop();
    }
  });

  test('a schedule without a backup key stops start-up with a clear message', async () => {
    const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: join(dir, 'data2'), 'server.http.port': 0, 'server.https.enabled': false, 'backup.schedule': '0 3 * * *' } });
    const saved = process.env.STRATA_BACKUP_PASSPHRASE;
    delete process.env.STRATA_BACKUP_PASSPHRASE;
    try {
      const s2 = await createServer(config, pino({ level: 'silent' }));
      await assert.rejects(s2.start(), /backup\.schedule is set but there is no backup key/);
    } finally {
      if (saved !== undefined) process.env.STRATA_BACKUP_PASSPHRASE = saved;
    }
  });
});
