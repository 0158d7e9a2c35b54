// Backups to an S3-compatible bucket (a real s3rver): the CLI uploads, verifies and restores by name;
// the server's schedule uploads and prunes the bucket by backup.keep; nothing stays in the local folder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { s3BlobStore } from '../src/storage/index.js';
import { runStrata, startStrata, tempDir } from './helpers/strata-process.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

describe('backups to S3', { timeout: 300_000 }, () => {
  const dir = tempDir('strata-backup-s3-');
  const keyFile = join(dir, 'backup.key');
  let s3: TestS3;
  const yaml = (extra = '') => `collections:
  - name: notes
    fields: [{ name: body, type: text }]
    rules: { list: "", view: "", create: "" }
backup:
  keyFile: ${keyFile}
  dir: ${join(dir, 'staging')}
  s3: { bucket: ${'BUCKET'}, prefix: strata, endpoint: ${'ENDPOINT'}, accessKeyId: S3RVER, secretAccessKey: S3RVER }
${extra}`;
  const write = (at: string, extra = '') => writeFileSync(join(at, 'strata.yaml'), yaml(extra).replace('BUCKET', s3.bucket).replace('ENDPOINT', s3.endpoint));
  const bucket = () => s3BlobStore({ bucket: s3.bucket, prefix: 'strata', endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });

  before(async () => {
    s3 = await startS3();
    writeFileSync(keyFile, randomBytes(32).toString('base64'));
  });
  after(async () => {
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('strata backup uploads; verify and restore take the archive by name from the bucket', async () => {
    write(dir);
    const s = await startStrata({ cwd: dir, args: ['serve', '--port', '0', '--no-https', '--data-dir', join(dir, 'data')] });
    const ids: string[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const r = await fetch(`${s.http}/api/collections/notes/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: `n${i}` }) });
        assert.equal(r.status, 201);
        ids.push(String(((await r.json()) as { id: string }).id));
      }
      const b = await runStrata({ cwd: dir, args: ['backup', '--data-dir', join(dir, 'data')] });
      assert.equal(b.code, 0, b.stdout + b.stderr);
      const name = /backup: s3:\/\/[^/]+\/strata\/(strata-backup-\S+\.sbk)/.exec(b.stdout)?.[1];
      assert.ok(name, b.stdout);
      assert.deepEqual(readdirSync(join(dir, 'staging')).filter((f) => f.endsWith('.sbk')), [], 'the local copy is gone once uploaded');
      const store = await bucket();
      assert.deepEqual((await store.list()).map((x) => x.key), [name]);
      await store.close();
      const v = await runStrata({ cwd: dir, args: ['backup', 'verify', name!] });
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /verify: ok/);
      const target = join(dir, 'restored');
      mkdirSync(target);
      write(target);
      const r = await runStrata({ cwd: target, args: ['restore', name!, '--data-dir', join(target, 'data')] });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(existsSync(join(target, 'data', 'data.db')));
      const missing = await runStrata({ cwd: dir, args: ['backup', 'verify', 'strata-backup-2000-01-01T00-00-00Z.sbk'] });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no blob strata-backup-2000-01-01T00-00-00Z\.sbk/);
    } finally {
      await s.stop();
    }
  });

  test('the schedule uploads to the bucket and prunes it by backup.keep', async () => {
    const at = join(dir, 'scheduled');
    mkdirSync(at);
    write(at);
    const { config } = loadConfig({ cwd: at, env: {}, overrides: { dataDir: join(at, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'backup.schedule': '*/2 * * * * *', 'backup.keep.daily': 1, 'backup.keep.weekly': 0, 'backup.keep.monthly': 0, 'backup.s3.prefix': 'scheduled' } });
    const server = await createServer(config, pino({ level: 'silent' }));
    await server.start();
    try {
      // Every 2 s a backup; the second one prunes the first (keep.daily 1).
      for (let i = 0; i < 600 && !(server.backups.status().lastSuccess?.pruned ?? []).length; i++) {
        const last = server.backups.status().last;
        if (last && !last.ok) assert.fail(last.error);
        await new Promise((r) => setTimeout(r, 100));
      }
      await server.backups.idle();
      const st = server.backups.status();
      assert.equal(st.lastSuccess?.ok, true, JSON.stringify(st));
      assert.match(String(st.lastSuccess?.file), /^s3:\/\//);
      assert.ok((st.lastSuccess?.pruned ?? []).length >= 1, `an older archive was pruned: ${JSON.stringify(st.lastSuccess)}`);
      const archives = await server.backups.archives();
      assert.equal(archives.length, 1, JSON.stringify(archives));
    } finally {
      await server.stop();
    }
  });
});
