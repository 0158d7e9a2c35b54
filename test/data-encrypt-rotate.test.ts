// `strata keys rotate` end to end: a rotation killed with SIGKILL mid-way leaves values under both keys that all
// still decrypt; running it again resumes under the same new key and finishes; progress is plain lines off a TTY
// and a redrawn bar on one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config/index.js';
import { keysRotate } from '../src/server/index.js';
import { BIN, runStrata, startStrata, tempDir } from './helpers/strata-process.js';
import { CollectionSchema } from '../src/config/schema-data.js';

// Public access rules once collections take them (access is closed by default where they exist).
const PUBLIC = 'rules' in CollectionSchema.properties ? '    rules: { list: "", view: "", create: "", update: "", delete: "" }\n' : '';

const yaml = `
collections:
  - name: patients
    fields:
      - { name: name, type: text, required: true }
      - { name: ssn, type: text, encrypted: true }
      - { name: notes, type: json, encrypted: true }
${PUBLIC}  - name: plain
    fields:
      - { name: title, type: text }
`;
const N = 300;

function keyFile(cwd: string): { current: string; keys: Record<string, string> } {
  return JSON.parse(readFileSync(join(cwd, 'strata-data', 'keys', 'encryption.json'), 'utf8'));
}

/** Key id of every stored ssn/notes value. */
function storedKids(cwd: string): string[] {
  const db = new Database(join(cwd, 'strata-data', 'data.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT ssn, notes FROM patients ORDER BY id').all() as Array<{ ssn: string | null; notes: string | null }>;
    return rows.flatMap((r) => [r.ssn, r.notes].flatMap((v) => (v === null ? [] : [v.split(':')[2]])));
  } finally {
    db.close();
  }
}

async function readAll(cwd: string): Promise<Array<Record<string, unknown>>> {
  const s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'] });
  try {
    const r = await fetch(`${s.http}/api/collections/patients/records?perPage=500&sort=name`);
    assert.equal(r.status, 200);
    return ((await r.json()) as { items: Array<Record<string, unknown>> }).items;
  } finally {
    await s.stop();
  }
}

test('keys rotate: killed mid-way, old and new keys both read, a rerun finishes', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'strata.yaml'), yaml);
  const s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'] });
  try {
    for (let i = 0; i < N; i += 100) {
      const operations = Array.from({ length: 100 }, (_, j) => ({ action: 'create', collection: 'patients', body: { name: `p${String(i + j).padStart(4, '0')}`, ssn: `ssn-${i + j}`, notes: { n: i + j } } }));
      const r = await fetch(`${s.http}/api/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operations }) });
      assert.equal(r.status, 200, await r.clone().text());
    }
  } finally {
    await s.stop();
  }
  const k1 = keyFile(cwd).current;
  assert.deepEqual(new Set(storedKids(cwd)), new Set([k1]));

  // kill -9 once a few batches are committed
  const child = spawn(process.execPath, [BIN, 'keys', 'rotate', '--batch', '20', '--pause-ms', '150'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if ((out.match(/^keys rotate: patients \d+\/300$/gm) ?? []).length >= 4) resolve();
    });
    child.once('exit', (code) => reject(new Error(`rotation ended before the kill (code ${code}): ${out} ${err}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(!out.includes('\r'), 'plain lines when stdout is not a TTY');

  const mid = keyFile(cwd);
  const k2 = mid.current;
  assert.notEqual(k2, k1);
  assert.deepEqual(Object.keys(mid.keys).sort(), [k1, k2].sort(), 'the old key is retained');
  assert.ok(existsSync(join(cwd, 'strata-data', 'keys', 'rotation.json')), 'progress was saved');
  const kids = storedKids(cwd);
  assert.ok(kids.includes(k1) && kids.includes(k2), `mid-rotation: values under both keys (${new Set(kids).size} kinds)`);

  // meanwhile every value still decrypts
  const items = await readAll(cwd);
  assert.equal(items.length, N);
  items.forEach((r, i) => assert.deepEqual([r.ssn, r.notes], [`ssn-${i}`, { n: i }]));

  // the rerun resumes under the same key and finishes
  const again = await runStrata({ cwd, args: ['keys', 'rotate', '--batch', '50'] });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`resumed and finished; current key ${k2};`));
  assert.equal(keyFile(cwd).current, k2);
  assert.equal(Object.keys(keyFile(cwd).keys).length, 2, 'no third key made by the resume');
  assert.deepEqual(new Set(storedKids(cwd)), new Set([k2]));
  assert.ok(!existsSync(join(cwd, 'strata-data', 'keys', 'rotation.json')));

  // a fresh rotation in-process, on a "TTY": a bar redrawn in place, every record rewritten
  let tty = '';
  const config = loadConfig({ cwd, env: {} }).config;
  const r = await keysRotate({ config: { ...config, dataDir: join(cwd, 'strata-data') }, batch: 100, env: {}, out: { isTTY: true, write: (x) => void (tty += x) } });
  assert.equal(r.resumed, false);
  assert.equal(r.rewritten, N);
  assert.match(tty, /\r\[#{30}\] 100% 300\/300 patients/);
  assert.deepEqual(new Set(storedKids(cwd)), new Set([r.kid]));
  const after = await readAll(cwd);
  after.forEach((x, i) => assert.equal(x.ssn, `ssn-${i}`));
});

test('keys rotate: usage errors and STRATA_ENCRYPTION_KEY setups', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'strata.yaml'), yaml);
  const bad = await runStrata({ cwd, args: ['keys', 'rotate', '--batch', '0'] });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--batch expects an integer from 1 to 100000/);
  const unknown = await runStrata({ cwd, args: ['keys', 'spin'] });
  assert.equal(unknown.code, 2);
  const env = await runStrata({ cwd, args: ['keys', 'rotate'], env: { STRATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') } });
  assert.equal(env.code, 1);
  assert.match(env.stderr, /keys come from STRATA_ENCRYPTION_KEY.*--no-new-key/);
  const ok = await runStrata({ cwd, args: ['keys', 'rotate', '--no-new-key'], env: { STRATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /done; current key k[0-9a-f]{8}; 0 of 0 record/);

  // the documented env-key rotation: new key first, --no-new-key, then the old key can go
  const A = `ka:${Buffer.alloc(32, 1).toString('base64')}`;
  const B = `kb:${Buffer.alloc(32, 2).toString('base64')}`;
  let s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'], env: { STRATA_ENCRYPTION_KEY: A } });
  let id: string;
  try {
    const r = await fetch(`${s.http}/api/collections/patients/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', ssn: 'secret-1' }) });
    assert.equal(r.status, 201);
    id = ((await r.json()) as { id: string }).id;
  } finally {
    await s.stop();
  }
  const env2 = await runStrata({ cwd, args: ['keys', 'rotate', '--no-new-key'], env: { STRATA_ENCRYPTION_KEY: `${B},${A}` } });
  assert.equal(env2.code, 0, env2.stderr);
  assert.match(env2.stdout, /done; current key kb; 1 of 1 record/);
  assert.deepEqual(storedKids(cwd), ['kb']);
  // a key that cannot read the stored values stops the rotation before anything is written
  const wrong = await runStrata({ cwd, args: ['keys', 'rotate', '--no-new-key'], env: { STRATA_ENCRYPTION_KEY: A } });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /cannot decrypt stored values of patients\.ssn \(encrypted with key id kb\)/);
  assert.deepEqual(storedKids(cwd), ['kb']);
  s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'], env: { STRATA_ENCRYPTION_KEY: B } });
  try {
    const r = await fetch(`${s.http}/api/collections/patients/records/${id}`);
    assert.equal(((await r.json()) as { ssn: string }).ssn, 'secret-1');
  } finally {
    await s.stop();
  }
});
