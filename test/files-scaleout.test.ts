// Files with two Strata instances on one PostgreSQL database and one S3 bucket (issue 19): a resumable
// upload staged in the bucket continues on either instance, and a collection's quota holds across them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';
import { s3BlobStore } from '../src/storage/index.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const PASSWORD = 'correct horse battery staple 42';
const skip = await unreachable(5432);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const meta = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');

describe('files across two instances (PostgreSQL + S3)', { skip, timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const servers: StrataServer[] = [];
  let s3: TestS3;
  let a = '';
  let b = '';
  let token = '';

  before(async () => {
    s3 = await startS3('strata-scaleout');
    const prefix = uniquePrefix();
    // Instances behind one load balancer share the token signing keys (auth.tokens.keyDir).
    const keys = mkdtempSync(join(tmpdir(), 'strata-scaleout-keys-'));
    dirs.push(keys);
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'strata-scaleout-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'strata.yaml'), `
data:
  url: ${PG_URL}
  tablePrefix: ${prefix}
files:
  sweepInterval: 0
  sweepGrace: 0
  uploadTtl: 60
  storage: s3
  s3: { bucket: ${s3.bucket}, endpoint: ${s3.endpoint}, accessKeyId: ${s3.accessKeyId}, secretAccessKey: ${s3.secretAccessKey}, prefix: files }
  quotas: [{ collection: shared, maxBytes: 1500, maxFiles: 0 }]
collections:
  - name: docs
    fields:
      - { name: title, type: text }
      - { name: big, type: file, file: { maxSize: 8000000 } }
    rules: { list: "", view: "", create: "", update: "", delete: "" }
  - name: shared
    fields:
      - { name: f, type: file }
    rules: { list: "", view: "", create: "", update: "", delete: "" }
`);
      const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.https.enabled': false, 'server.shutdownGrace': 1000, 'auth.tokens.keyDir': keys } }).config;
      const server = await createServer(config, pino({ level: 'silent' }));
      await server.start();
      servers.push(server);
    }
    [a, b] = servers.map((s) => s.edge.urls().find((u) => u.kind === 'http')?.url ?? '');
    const email = `u-${randomBytes(4).toString('hex')}@example.com`;
    assert.equal((await fetch(`${a}/api/collections/users/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD, passwordConfirm: PASSWORD }) })).status, 201);
    const login = await fetch(`${b}/api/collections/users/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: email, password: PASSWORD }) });
    token = String(((await login.json()) as Record<string, unknown>).token);
  });
  after(async () => {
    for (const s of servers) await s.stop();
    await s3?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const tus = (base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
    fetch(base + path, { method, headers: { 'tus-resumable': '1.0.0', ...(body ? { 'content-type': 'application/offset+octet-stream' } : {}), ...headers }, body });

  test('tus staged in S3: created on A, a part sent to B, the offset read on A, finished on B; the record has the whole file', async () => {
    const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(300_000)]);
    const auth = { authorization: `Bearer ${token}` };
    const made = await tus(a, 'POST', '/api/files/uploads', { ...auth, 'upload-length': String(file.length), 'upload-metadata': meta({ collection: 'docs', field: 'big', filename: 'Scale Out.pdf', data: JSON.stringify({ title: 'both' }) }) });
    assert.equal(made.status, 201, await made.text());
    const loc = made.headers.get('location')!;
    const cut = 120_000;
    const part = await tus(b, 'PATCH', loc, { ...auth, 'upload-offset': '0' }, file.subarray(0, cut));
    assert.equal(part.status, 204, await part.text());
    // Staged in the bucket: the upload's info and one object for the PATCH.
    const id = loc.split('/').pop()!;
    assert.deepEqual((await servers[1]!.files.store().list('_uploads/')).map((x) => x.key), [`_uploads/${id}.000000000000000`, `_uploads/${id}.info`]);
    // Only its creator continues it, on either instance.
    assert.equal((await tus(a, 'HEAD', loc, {})).status, 401);
    const head = await tus(a, 'HEAD', loc, auth);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('upload-offset'), String(cut));
    assert.equal((await tus(b, 'HEAD', loc, auth)).headers.get('upload-offset'), String(cut));
    const end = await tus(b, 'PATCH', loc, { ...auth, 'upload-offset': String(cut) }, file.subarray(cut));
    const text = await end.text();
    assert.equal(end.status, 200, text);
    const rec = JSON.parse(text) as Record<string, string>;
    assert.equal(rec.title, 'both');
    assert.match(rec.big!, /^scale_out_[a-z0-9]{10}\.pdf$/);
    for (const base of [a, b]) {
      const d = await fetch(`${base}/api/files/docs/${rec.id}/${rec.big}`);
      assert.equal(d.status, 200);
      assert.equal(sha(Buffer.from(await d.arrayBuffer())), sha(file));
      assert.equal(d.headers.get('content-type'), 'application/pdf');
    }
    // Nothing stays staged, and the URL is gone on both.
    assert.deepEqual((await servers[0]!.files.store().list('_uploads/')).map((x) => x.key), []);
    assert.equal((await tus(a, 'HEAD', loc, auth)).status, 404);
  });

  test('tus staged in S3: a PATCH cut off mid-body keeps the bytes that arrived; the upload continues from there on the other instance', async () => {
    const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(200_000)]);
    const auth = { authorization: `Bearer ${token}` };
    const made = await tus(b, 'POST', '/api/files/uploads', { ...auth, 'upload-length': String(file.length), 'upload-metadata': meta({ collection: 'docs', field: 'big', filename: 'cut.pdf' }) });
    assert.equal(made.status, 201);
    const loc = made.headers.get('location')!;
    const incoming = join(dirs[2]!, 'uploads', '.incoming');
    const req = request(`${b}${loc}`, { method: 'PATCH', headers: { ...auth, 'tus-resumable': '1.0.0', 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', 'content-length': String(file.length) } });
    req.on('error', () => undefined);
    req.write(file.subarray(0, 100_000));
    // Cut the connection once B has some of the bytes (polled in its staging folder), as a dropped network would.
    const arrived = () => readdirSync(incoming).some((n) => (statSync(join(incoming, n), { throwIfNoEntry: false })?.size ?? 0) > 0);
    for (let i = 0; i < 2000 && !arrived(); i++) await new Promise((r) => setImmediate(r));
    assert.ok(arrived(), 'B received bytes');
    req.destroy();
    let offset = 0;
    for (let i = 0; i < 2000 && offset === 0; i++) offset = Number((await tus(a, 'HEAD', loc, auth)).headers.get('upload-offset'));
    assert.ok(offset > 0 && offset <= 100_000, String(offset));
    const end = await tus(a, 'PATCH', loc, { ...auth, 'upload-offset': String(offset) }, file.subarray(offset));
    const text = await end.text();
    assert.equal(end.status, 200, text);
    const rec = JSON.parse(text) as Record<string, string>;
    const d = await fetch(`${a}/api/files/docs/${rec.id}/${rec.big}`);
    assert.equal(sha(Buffer.from(await d.arrayBuffer())), sha(file));
  });

  test('tus staged in S3: an upload abandoned past files.uploadTtl is swept by either instance', async () => {
    const made = await tus(a, 'POST', '/api/files/uploads', { 'upload-length': '1000', 'upload-metadata': meta({ collection: 'docs', field: 'big', filename: 'slow.txt' }) });
    assert.equal(made.status, 201);
    const loc = made.headers.get('location')!;
    assert.equal((await tus(b, 'PATCH', loc, { 'upload-offset': '0' }, Buffer.alloc(100, 0x78))).status, 204);
    assert.equal((await servers[1]!.files.sweep()).uploads, 0, 'a young upload stays');
    assert.equal((await tus(a, 'HEAD', loc, {})).headers.get('upload-offset'), '100');
    assert.equal(await servers[1]!.files.staging().sweep(60_000, Date.now() + 61_000), 1);
    assert.equal((await tus(a, 'HEAD', loc, {})).status, 404);
    assert.deepEqual((await servers[0]!.files.store().list('_uploads/')).map((x) => x.key), []);
  });

  test('a quota holds across instances: of two uploads sent at once to A and B that do not both fit, exactly one is kept; a delete frees its bytes for either', async () => {
    const txt = (n: number) => Buffer.alloc(n, 0x61);
    const upload = (base: string, name: string) => {
      const fd = new FormData();
      fd.append('f', new Blob([txt(1000)], { type: 'text/plain' }), name);
      return fetch(`${base}/api/collections/shared/records`, { method: 'POST', body: fd });
    };
    const keys = async () => (await servers[0]!.files.store().list('shared/')).map((x) => x.key);
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([upload(a, 'a.txt'), upload(b, 'b.txt')]);
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 413], `round ${round}: one kept, one refused`);
      const refused = answers.find((r) => r.status === 413)!;
      assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(((await refused.json()) as Record<string, unknown>).type, 'strata/file-quota');
      const kept = (await answers.find((r) => r.status === 201)!.json()) as Record<string, string>;
      assert.deepEqual(await keys(), [`shared/${kept.id}/${kept.f}`], 'storage holds the kept file only');
      // Deleted on either instance, the file's bytes count for the next round again.
      const del = await fetch(`${round % 2 ? a : b}/api/collections/shared/records/${kept.id}`, { method: 'DELETE' });
      assert.equal(del.status, 204);
      for (let i = 0; i < 100 && (await keys()).length > 0; i++) await new Promise((r) => setImmediate(r));
    }
    // The sweep on either instance finds the count matching storage: nothing to release or add.
    assert.deepEqual((await servers[1]!.files.sweep()).quota, { released: 0, added: 0 });
    // A file deleted behind Strata's back (here straight from the bucket) counts until a sweep reconciles.
    const kept = (await (await upload(a, 'c.txt')).json()) as Record<string, string>;
    const raw = await s3BlobStore({ bucket: s3.bucket, endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, prefix: 'files', region: '', forcePathStyle: true });
    await raw.delete(`shared/${kept.id}/${kept.f}`);
    await raw.close();
    assert.equal((await upload(b, 'd.txt')).status, 413, 'still counted');
    assert.deepEqual((await servers[0]!.files.sweep()).quota, { released: 1, added: 0 });
    assert.equal((await upload(b, 'e.txt')).status, 201);
  });
});
