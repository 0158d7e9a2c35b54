// The file sweeper at start (issue 19): files a crash left without a record (an upload whose record was
// never written) are deleted when the server starts again; files records reference stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';

test('a start sweeps files no record references and keeps referenced ones', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-files-sweep-'));
  writeFileSync(join(dir, 'strata.yaml'), 'files: { sweepInterval: 0 }\ncollections:\n  - name: docs\n    fields:\n      - { name: doc, type: file }\n    rules: { create: "", view: "" }\n');
  const open = (sweepInterval: number) =>
    createServer(loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.https.enabled': false, 'server.shutdownGrace': 500, 'files.sweepInterval': sweepInterval, 'files.sweepGrace': 0 } }).config, pino({ level: 'silent' }));
  try {
    const first = await open(0);
    await first.start();
    const base = first.edge.urls().find((u) => u.kind === 'http')!.url;
    const fd = new FormData();
    fd.append('doc', new Blob(['kept']), 'kept.txt');
    const rec = (await (await fetch(`${base}/api/collections/docs/records`, { method: 'POST', body: fd })).json()) as { id: string; doc: string };
    await first.stop();
    // What a crash between an upload and its record's write leaves behind:
    const orphanDir = join(dir, 'files', 'docs', 'aaaaaaaaaaaaaaa');
    mkdirSync(orphanDir, { recursive: true });
    writeFileSync(join(orphanDir, 'lost_0123456789.txt'), 'orphan');
    writeFileSync(join(dir, 'files', 'docs', rec.id, 'stray_0123456789.txt'), 'orphan');
    const second = await open(3600);
    await second.start();
    // The start's sweep runs in the background: wait for it (bounded by the test's timeout).
    while (existsSync(join(orphanDir, 'lost_0123456789.txt')) || existsSync(join(dir, 'files', 'docs', rec.id, 'stray_0123456789.txt'))) await sleep(50);
    assert.ok(existsSync(join(dir, 'files', 'docs', rec.id, rec.doc)), 'the referenced file stays');
    await second.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
