// kill -9 during an upload and during record deletes (issue 19): after a restart (its sweep) storage and
// records agree: no file without a record referencing it, no record naming a missing file, no partial upload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStrata, tempDir, type StrataProcess } from './helpers/strata-process.js';

const CONFIG = `files: { sweepGrace: 0, sweepInterval: 3600 }
collections:
  - name: docs
    fields:
      - { name: doc, type: file, file: { maxSize: 104857600 } }
    rules: { list: "", view: "", create: "", update: "", delete: "" }
`;

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

test('kill -9 mid-upload and around deletes leaves no orphan and no dangling name after restart', { timeout: 300_000 }, async () => {
  const cwd = tempDir('strata-files-kill-');
  writeFileSync(join(cwd, 'strata.yaml'), CONFIG);
  const files = join(cwd, 'strata-data', 'files');
  let s: StrataProcess = await startStrata({ cwd });
  const upload = async (base: string, body: string) => {
    const fd = new FormData();
    fd.append('doc', new Blob([body]), 'a.txt');
    const r = await fetch(`${base}/api/collections/docs/records`, { method: 'POST', body: fd });
    assert.equal(r.status, 201, await r.clone().text());
    return (await r.json()) as { id: string; doc: string };
  };
  try {
    const kept = await upload(s.http!, 'kept');
    const doomed = await Promise.all([1, 2, 3, 4].map((i) => upload(s.http!, `doomed ${i}`)));
    // An upload that never finishes: the body streams slowly, then the server dies mid-file.
    const boundary = 'killboundary';
    let wrote = 0;
    let stopped = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        if (stopped) return ctl.close();
        if (wrote === 0) ctl.enqueue(new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="doc"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`));
        wrote++;
        ctl.enqueue(new Uint8Array(64 * 1024).fill(0x61));
        await sleep(20);
      },
    });
    const pending = fetch(`${s.http}/api/collections/docs/records`, { method: 'POST', body: stream, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, duplex: 'half' } as RequestInit).catch(() => undefined);
    // Wait until the upload is being written to storage (a partial file exists).
    while (!walk(files).some((p) => p.includes('.tmp-'))) await sleep(20);
    // Deletes in flight when the process dies: each is before, during or after its commit.
    const deletes = doomed.map((d) => fetch(`${s.http}/api/collections/docs/records/${d.id}`, { method: 'DELETE' }).catch(() => undefined));
    await sleep(5);
    s.proc.kill('SIGKILL');
    await s.exited;
    stopped = true;
    await Promise.all([pending, ...deletes]);
    assert.ok(walk(files).some((p) => p.includes('.tmp-')), 'the crash left a partial upload');

    s = await startStrata({ cwd });
    // Records as the restarted server sees them, and what it must keep.
    const items = ((await (await fetch(`${s.http}/api/collections/docs/records?perPage=100`)).json()) as { items: { id: string; doc: string | null }[] }).items;
    assert.ok(items.some((r) => r.id === kept.id));
    const wanted = new Set(items.filter((r) => r.doc).map((r) => `docs/${r.id}/${r.doc}`));
    // The start's sweep runs in the background: wait until storage holds exactly what records name (bounded by the test's timeout).
    const stored = () => walk(files).map((p) => relative(files, p).split('\\').join('/'));
    while (stored().length !== wanted.size || !stored().every((k) => wanted.has(k))) await sleep(50);
    for (const k of wanted) assert.ok(existsSync(join(files, k)), `a record names a missing file: ${k}`);
    const r = await fetch(`${s.http}/api/files/docs/${kept.id}/${kept.doc}`);
    assert.equal(await r.text(), 'kept');
  } finally {
    await s.stop('SIGTERM').catch(() => undefined);
  }
});
