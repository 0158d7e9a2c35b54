// The restore drill (issue 20), per engine: a real `strata serve` takes writes (records with an encrypted
// field, queue jobs) while the real CLI backs up; the archive is verified, restored into a fresh place and
// served again: every write acknowledged before the backup began is there, decrypted. Damaged, truncated,
// wrongly keyed and newer archives fail clearly and change nothing; kill -9 leaves no archive.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { BIN, runStrata, startStrata, tempDir, type StrataProcess } from './helpers/strata-process.js';

const PASS = 'correct horse battery staple 42';
const PW = 'correct horse battery staple 42!';

export interface BackupEngine {
  /** The `data:` lines of strata.yaml ('' for SQLite). */
  data: string;
  /** A fresh, empty database for a restore (its `data:` lines), and how to drop it. */
  fresh?: () => Promise<{ data: string; drop: () => Promise<void> }>;
}

const yaml = (data: string) => `${data}
collections:
  - name: notes
    fields:
      - { name: body, type: text }
      - { name: secret, type: text, encrypted: true }
      - { name: meta, type: json }
      - { name: done, type: boolean }
      - { name: score, type: number }
    fullText: [body]
    rules: { list: "", view: "", create: "", update: "", delete: "" }
  - name: docs
    fields:
      - { name: title, type: text }
      - { name: doc, type: file }
    rules: { list: "", view: "", create: "", update: "", delete: "" }
`;

interface Api {
  base: string;
  token: string;
}

async function call(api: Api, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(api.base + path, { method, headers: { authorization: `Bearer ${api.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function superuser(s: StrataProcess): Promise<Api> {
  const base = s.http!;
  const link = /setup: .* at (\S+)\/_strata\/setup#(\S+)/.exec(s.output());
  assert.ok(link, s.output());
  const post = (path: string, body: unknown) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await post('/_strata/setup', { token: link![2], email: 'root@example.com', password: PW })).status, 201);
  const login = (await (await post('/api/collections/_superusers/auth/login', { identity: 'root@example.com', password: PW })).json()) as { token: string };
  return { base, token: login.token };
}

async function loginOnly(s: StrataProcess): Promise<Api> {
  const r = await fetch(s.http + '/api/collections/_superusers/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: 'root@example.com', password: PW }) });
  assert.equal(r.status, 200, await r.clone().text());
  return { base: s.http!, token: ((await r.json()) as { token: string }).token };
}

async function allNotes(api: Api): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (let cursor = ''; ; ) {
    const r = await call(api, 'GET', `/api/collections/notes/records?perPage=500${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const n of r.body.items as Record<string, unknown>[]) out.set(String(n.id), n);
    if (!r.body.nextCursor) return out;
    cursor = String(r.body.nextCursor);
  }
}

const env = { STRATA_BACKUP_PASSPHRASE: PASS };
const serveArgs = (dataDir: string) => ['serve', '--port', '0', '--no-https', '--data-dir', dataDir];

export function backupContract(name: string, engine: () => BackupEngine, skip: false | string): void {
  describe(`backup and restore: ${name}`, { skip, timeout: 600_000 }, () => {
    const dir = tempDir('strata-backup-');
    const out = join(dir, 'backups');
    let e: BackupEngine;
    let s: StrataProcess | undefined;
    let api: Api;
    let archive = '';
    const cleanups: (() => Promise<void>)[] = [];

    before(async () => {
      e = engine();
      writeFileSync(join(dir, 'strata.yaml'), yaml(e.data));
      s = await startStrata({ cwd: dir, args: serveArgs(join(dir, 'data')) });
      api = await superuser(s);
    });
    after(async () => {
      await s?.stop();
      for (const c of cleanups) await c().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    test('a backup taken under writes restores every write acknowledged before it began, decrypted, and the queued jobs', async () => {
      for (let i = 0; i < 20; i++) assert.equal((await call(api, 'POST', '/api/admin/queues/bk/jobs', { payload: { i } })).status, 201);
      const acked: { id: string; secret: string; at: number }[] = [];
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const secret = `secret ${i} ${randomBytes(4).toString('hex')}`;
          const r = await call(api, 'POST', '/api/collections/notes/records', { body: `note ${i} "quoted" \\ back\nline ünï`, secret, meta: { i, tags: ['a', `b${i}`], nested: { x: null } }, done: i % 2 === 0, score: i / 3 });
          assert.equal(r.status, 201, JSON.stringify(r.body));
          acked.push({ id: String(r.body.id), secret, at: Date.now() });
        }
      })();
      // a stored file (local storage in the data directory) goes into the archive beside the database
      const fileBytes = randomBytes(3000);
      const fd = new FormData();
      fd.append('title', 'with a file');
      fd.append('doc', new Blob([fileBytes], { type: 'application/octet-stream' }), 'blob.bin');
      const up = await fetch(api.base + '/api/collections/docs/records', { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: fd });
      assert.equal(up.status, 201, await up.clone().text());
      const doc = (await up.json()) as { id: string; doc: string };
      while (acked.length < 200) await new Promise((r) => setTimeout(r, 20));
      const began = Date.now();
      const b = await runStrata({ cwd: dir, env, args: ['backup', '--data-dir', join(dir, 'data'), '--out', out] });
      writing = false;
      await writer;
      assert.equal(b.code, 0, b.stdout + b.stderr);
      archive = /backup: (\S+\.sbk)/.exec(b.stdout)?.[1] ?? '';
      assert.ok(existsSync(archive), b.stdout);
      assert.match(b.stderr, /"phase":"archive"/, 'progress as JSON lines when not on a terminal');
      const before = acked.filter((x) => x.at <= began);
      const audited = await call(api, 'GET', '/api/admin/audit?action=backup&limit=10');
      assert.ok((audited.body.items as { action: string; outcome: string; details: { via?: string } }[]).some((x) => x.action === 'backup.create' && x.outcome === 'success' && x.details.via === 'cli'), JSON.stringify(audited.body));
      assert.ok(before.length >= 200);

      const v = await runStrata({ cwd: dir, env, args: ['backup', 'verify', archive] });
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /verify: ok, \d+ parts match their checksums; restored to a scratch copy, \d+ tables and \d+ rows match the manifest/);

      // Restore into a fresh data directory (and a fresh database), then serve it.
      const target = join(dir, 'restored');
      mkdirSync(target);
      let data = '';
      if (e.fresh) {
        const f = await e.fresh();
        cleanups.push(f.drop);
        data = f.data;
      }
      writeFileSync(join(target, 'strata.yaml'), yaml(data));
      const r = await runStrata({ cwd: target, env, args: ['restore', archive, '--data-dir', join(target, 'data')] });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /restore: \d+ parts checked and restored/);
      const again = await startStrata({ cwd: target, args: serveArgs(join(target, 'data')) });
      try {
        const api2 = await loginOnly(again);
        const notes = await allNotes(api2);
        for (const w of before) {
          const n = notes.get(w.id);
          assert.ok(n, `acknowledged before the backup began, missing after restore: ${w.id}`);
          assert.equal(n!.secret, w.secret, 'the encrypted field decrypts with the restored keys');
          const i = Number(/^secret (\d+)/.exec(w.secret)![1]);
          assert.deepEqual([n!.body, n!.meta, n!.done, n!.score], [`note ${i} "quoted" \\ back\nline ünï`, { i, tags: ['a', `b${i}`], nested: { x: null } }, i % 2 === 0, i / 3]);
        }
        for (const id of notes.keys()) assert.ok(acked.some((x) => x.id === id), 'nothing that was never written');
        const search = await call(api2, 'GET', `/api/collections/notes/records?filter=${encodeURIComponent('body @@ "quoted"')}&perPage=1&totalItems=1`);
        assert.equal(search.body.totalItems, notes.size, 'full-text search works on the restored data');
        const restoredAudit = await call(api2, 'GET', '/api/admin/audit?action=backup.restore&limit=10');
        assert.equal((restoredAudit.body.items as unknown[]).length, 1, 'the restore is in the restored database\'s audit log');
        const got = await fetch(`${api2.base}/api/files/docs/${doc.id}/${doc.doc}`);
        assert.equal(got.status, 200, 'the stored file is restored');
        assert.ok(Buffer.from(await got.arrayBuffer()).equals(fileBytes), 'byte for byte');
        const q = await call(api2, 'GET', '/api/admin/queues/bk');
        assert.equal(q.status, 200, JSON.stringify(q.body));
        assert.equal(q.body.waiting ?? (q.body.counts as { waiting?: number } | undefined)?.waiting, 20, JSON.stringify(q.body));
      } finally {
        await again.stop();
      }
    });

    // The archive is checked (header, version, key, every part's checksum) before any engine is touched, so
    // these refusals are the same code on every engine: run them once, on SQLite.
    if (name.startsWith('sqlite')) test('a damaged, truncated, wrongly keyed or newer archive fails clearly and changes nothing', async () => {
      assert.ok(archive, 'needs the archive of the first test');
      const size = statSync(archive).size;
      const cases: [string, (f: string) => void, RegExp, Record<string, string>][] = [
        ['a flipped byte', (f) => {
          const b = readFileSync(f);
          b[Math.floor(size * 0.6)] ^= 0x40;
          writeFileSync(f, b);
        }, /damaged or altered/, env],
        ['a cut end', (f) => truncateSync(f, size - 40), /truncated/, env],
        ['a wrong passphrase', () => undefined, /wrong key or passphrase/, { STRATA_BACKUP_PASSPHRASE: 'not the passphrase at all' }],
        ['a newer Strata', (f) => {
          const b = readFileSync(f);
          const text = b.toString('latin1');
          const nl = text.indexOf('\n', text.indexOf('\n') + 1);
          const header = JSON.parse(text.slice(text.indexOf('\n') + 1, nl)) as { strata: string };
          header.strata = '99.0.0';
          writeFileSync(f, Buffer.concat([Buffer.from(`STRATA-BACKUP 1\n${JSON.stringify(header)}\n`), b.subarray(nl + 1)]));
        }, /written by Strata 99\.0\.0, newer than this one/, env],
        ['not an archive', (f) => writeFileSync(f, 'hello'), /not a Strata backup archive/, env],
      ];
      for (const [what, spoil, message, keyEnv] of cases) {
        const f = join(dir, `spoiled-${what.replace(/\W+/g, '-')}.sbk`);
        copyFileSync(archive, f);
        spoil(f);
        const v = await runStrata({ cwd: dir, env: keyEnv, args: ['backup', 'verify', f] });
        assert.equal(v.code, 1, `${what}: ${v.stdout}${v.stderr}`);
        assert.match(v.stderr, message, what);
        const target = join(dir, `target-${what.replace(/\W+/g, '-')}`);
        const r = await runStrata({ cwd: dir, env: keyEnv, args: ['restore', f, '--data-dir', target] });
        assert.equal(r.code, 1, `${what}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, message, what);
        const left = existsSync(target) ? readdirSync(target) : [];
        assert.deepEqual(left, [], `${what}: the target is left as it was`);
      }
    });

    if (!name.startsWith('sqlite')) return;
    test('kill -9 during a backup leaves no archive under a good name; the next backup works', async () => {
      // A large file makes the backup last long enough to be killed in the middle.
      const big = new Database(join(dir, 'data', 'zbig.db'));
      big.exec('CREATE TABLE b (x BLOB)');
      const ins = big.prepare('INSERT INTO b VALUES (?)');
      for (let i = 0; i < 400; i++) ins.run(randomBytes(100_000));
      big.close();
      const killed = join(dir, 'killed');
      const child = spawn(process.execPath, [BIN, 'backup', '--data-dir', join(dir, 'data'), '--out', killed], { cwd: dir, env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      const inFlight = () => existsSync(killed) && readdirSync(killed).some((f) => f.endsWith('.partial') || f.startsWith('.staging-'));
      for (let i = 0; i < 3000 && !inFlight(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(inFlight(), 'the backup was caught in the middle');
      child.kill('SIGKILL');
      await exited;
      assert.deepEqual(readdirSync(killed).filter((f) => f.endsWith('.sbk')), [], 'no archive under a good name');
      const b = await runStrata({ cwd: dir, env, args: ['backup', '--data-dir', join(dir, 'data'), '--out', killed] });
      assert.equal(b.code, 0, b.stderr);
      const good = readdirSync(killed).filter((f) => f.endsWith('.sbk'));
      assert.equal(good.length, 1);
      const v = await runStrata({ cwd: dir, env, args: ['backup', 'verify', join(killed, good[0])] });
      assert.equal(v.code, 0, v.stderr);
    });
  });
}
