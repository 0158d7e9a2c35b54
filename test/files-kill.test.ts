// kill -9 during an upload and during record deletes (issue 19): after a restart (its sweep) storage and
// records agree: no file without a record referencing it, no record naming a missing file, no partial upload.
// Then, on the restarted server: every tus request has its access line and is counted in the metrics (an
// aborted PATCH as 499), the WAF in detect mode logs a tus file name it would block, and a resumable upload
// resumes after another kill -9 from the offset it had stored, its record getting the file whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStrata, tempDir, type StrataProcess } from './helpers/strata-process.js';

const CONFIG = `files: { sweepGrace: 0, sweepInterval: 3600 }
waf: { mode: detect }
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

    // tus on the restarted server: access lines, metrics, the WAF's detect mode, and a resume across kill -9.
    const MiB = 1024 * 1024;
    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2 * MiB)]);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const meta = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
    const tus = (method: string, path: string, reqId: string, headers: Record<string, string> = {}, body?: Buffer) =>
      fetch(`${s.http}${path}`, { method, body, headers: { 'tus-resumable': '1.0.0', 'x-request-id': reqId, ...(body ? { 'content-type': 'application/offset+octet-stream' } : {}), ...headers } });
    const lines = () => s.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const accessOf = (reqId: string) => lines().filter((l) => l.msg === 'request' && l.reqId === reqId);
    const created = await tus('POST', '/api/files/uploads', 'tus-post', { 'upload-length': String(bytes.length), 'upload-metadata': meta({ collection: 'docs', field: 'doc', filename: 'Big.pdf' }) });
    assert.equal(created.status, 201, await created.text());
    const loc = created.headers.get('location')!;
    const first = await tus('PATCH', loc, 'tus-patch', { 'upload-offset': '0' }, bytes.subarray(0, MiB));
    assert.equal(first.status, 204, await first.text());
    assert.equal((await tus('HEAD', loc, 'tus-head')).headers.get('upload-offset'), String(MiB));
    const other = await tus('POST', '/api/files/uploads', 'tus-post-2', { 'upload-length': '10', 'upload-metadata': meta({ collection: 'docs', field: 'doc', filename: 'x.txt' }) });
    assert.equal((await tus('DELETE', other.headers.get('location')!, 'tus-delete')).status, 204);
    // A PATCH whose client goes away after some bytes: its line says 499 (client closed request).
    const staged = join(cwd, 'strata-data', 'uploads', loc.split('/').pop()!);
    const aborted = httpRequest(`${s.http}${loc}`, { method: 'PATCH', headers: { 'tus-resumable': '1.0.0', 'x-request-id': 'tus-abort', 'upload-offset': String(MiB), 'content-type': 'application/offset+octet-stream', 'content-length': String(bytes.length - MiB) } });
    aborted.on('error', () => undefined);
    aborted.write(bytes.subarray(MiB, MiB + 256 * 1024));
    while (statSync(staged).size <= MiB) await sleep(20);
    aborted.destroy();
    while (accessOf('tus-abort').length === 0) await sleep(20);
    const want: [string, string, string, number][] = [['tus-post', 'POST', '/api/files/uploads', 201], ['tus-patch', 'PATCH', loc, 204], ['tus-head', 'HEAD', loc, 200], ['tus-post-2', 'POST', '/api/files/uploads', 201], ['tus-delete', 'DELETE', other.headers.get('location')!, 204], ['tus-abort', 'PATCH', loc, 499]];
    for (const [reqId, method, path, status] of want) {
      const got = accessOf(reqId);
      assert.equal(got.length, 1, `one access line for ${reqId}`);
      assert.deepEqual([got[0]!.method, got[0]!.path, got[0]!.status], [method, path, status], reqId);
    }
    const metrics = await (await fetch(`${s.http}/metrics`)).text();
    const count = (method: string, route: string, status: number) => Number(new RegExp(`^strata_http_requests_total\\{method="${method}",route="${route.replaceAll('/', '\\/')}",status="${status}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    assert.equal(count('POST', '/api/files/uploads', 201), 2);
    assert.equal(count('PATCH', '/api/files/uploads/:id', 204), 1);
    assert.equal(count('HEAD', '/api/files/uploads/:id', 200), 1);
    assert.equal(count('DELETE', '/api/files/uploads/:id', 204), 1);
    assert.equal(count('PATCH', '/api/files/uploads/:id', 499), 1);
    // waf.mode detect: a file name the WAF would block is let through and logged with where it was found.
    const xss = await tus('POST', '/api/files/uploads', 'tus-waf', { 'upload-length': '10', 'upload-metadata': meta({ collection: 'docs', field: 'doc', filename: '<script>alert(1)</script>.txt' }) });
    assert.equal(xss.status, 201, await xss.text());
    while (!lines().some((l) => l.reqId === 'tus-waf' && l.msg === 'waf detected')) await sleep(20);
    const detected = lines().find((l) => l.reqId === 'tus-waf' && l.msg === 'waf detected')!;
    assert.ok((detected.waf as { rules: string[] }).rules.some((r) => r.startsWith('xss/') && r.endsWith('@filename:filename')), JSON.stringify(detected));

    // kill -9 with the upload part-way; after the restart HEAD gives the stored offset and the rest completes it.
    s.proc.kill('SIGKILL');
    await s.exited;
    s = await startStrata({ cwd });
    const head = await tus('HEAD', loc, 'tus-head-2');
    assert.equal(head.status, 200);
    const offset = Number(head.headers.get('upload-offset'));
    assert.ok(offset >= MiB && offset < bytes.length, `the stored offset survived the crash: ${offset}`);
    assert.equal(offset, statSync(staged).size);
    const done = await tus('PATCH', loc, 'tus-rest', { 'upload-offset': String(offset) }, bytes.subarray(offset));
    assert.equal(done.status, 200);
    const rec = (await done.json()) as { id: string; doc: string };
    const file = Buffer.from(await (await fetch(`${s.http}/api/files/docs/${rec.id}/${rec.doc}`)).arrayBuffer());
    assert.equal(sha(file), sha(bytes), 'the record holds the whole file');
  } finally {
    await s.stop('SIGTERM').catch(() => undefined);
  }
});
