// Field encryption at rest end to end: `encrypted: true` fields hold AES-256-GCM ciphertext in the raw row
// (read with better-sqlite3 directly), REST returns plaintext, filter/sort/aggregate on them are 400, config
// refuses unique/indexed/fullText/non-text encrypted fields, and a lost or wrong key stops start-up clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isDestructive, normalizeCollections, planMigration } from '../src/data/index.js';
import { runStrata, startStrata, tempDir } from './helpers/strata-process.js';
import { CollectionSchema } from '../src/config/schema-data.js';

// Public access rules once collections take them (access is closed by default where they exist).
const PUBLIC = 'rules' in CollectionSchema.properties ? '    rules: { list: "", view: "", create: "", update: "", delete: "" }\n' : '';

const yaml = `
collections:
  - name: patients
    fields:
      - { name: name, type: text, required: true }
      - { name: ssn, type: text, encrypted: true, pattern: '^[0-9]{3}-[0-9]{2}-[0-9]{4}$' }
      - { name: contact, type: email, encrypted: true }
      - { name: notes, type: json, encrypted: true }
      - { name: level, type: select, values: [low, high], encrypted: true }
${PUBLIC}`;

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; type: string | null }> {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : {}, type: r.headers.get('content-type') };
}
const post = (url: string, body: unknown) => json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('encrypted fields: ciphertext at rest, plaintext over REST, no filtering or sorting, clear key errors', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'strata.yaml'), yaml);
  let s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'] });
  let id: string;
  try {
    const base = `${s.http}/api/collections/patients/records`;
    const created = await post(base, { name: 'Ada', ssn: '123-45-6789', contact: 'ada@example.com', notes: { allergies: ['nuts'] }, level: 'high' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    id = created.body.id as string;
    assert.deepEqual([created.body.ssn, created.body.contact, created.body.notes, created.body.level], ['123-45-6789', 'ada@example.com', { allergies: ['nuts'] }, 'high']);
    // validation still runs on the plaintext
    const bad = await post(base, { name: 'Bob', ssn: 'nope' });
    assert.equal(bad.status, 400);

    // the raw row holds ciphertext with a key id; nothing of the plaintext
    const raw = new Database(join(cwd, 'strata-data', 'data.db'), { readonly: true });
    const row = raw.prepare('SELECT * FROM patients WHERE id = ?').get(id) as Record<string, string>;
    raw.close();
    for (const f of ['ssn', 'contact', 'notes', 'level']) {
      assert.match(row[f], /^enc:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/, f);
    }
    assert.ok(!JSON.stringify(row).includes('6789') && !JSON.stringify(row).includes('ada@') && !JSON.stringify(row).includes('nuts'));
    assert.equal(row.name, 'Ada');

    const got = await json(`${base}/${id}`);
    assert.equal(got.body.ssn, '123-45-6789');
    const updated = await json(`${base}/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ssn: '987-65-4321' }) });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.ssn, '987-65-4321');
    const list = await json(`${base}?filter=${encodeURIComponent('name = "Ada"')}`);
    assert.equal((list.body.items as Array<Record<string, unknown>>)[0].contact, 'ada@example.com');

    for (const [q, param] of [
      [`filter=${encodeURIComponent('ssn = "987-65-4321"')}`, 'filter'],
      [`filter=${encodeURIComponent('contact ~ "ada"')}`, 'filter'],
      ['sort=-level', 'sort'],
    ] as const) {
      const r = await json(`${base}?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(String(r.type), /^application\/problem\+json/);
      assert.equal(r.body.type, 'strata/validation');
      assert.match(String(r.body.detail), /is encrypted at rest, so it cannot be (filtered|sorted)/);
      assert.equal((r.body.errors as Array<{ field: string }>)[0].field, param);
    }
    const agg = await json(`${s.http}/api/collections/patients/aggregate?groupBy=level&metrics=count`);
    assert.equal(agg.status, 400);
    assert.match(String(agg.body.detail), /cannot be grouped/);
  } finally {
    assert.equal(await s.stop(), 0);
  }

  // a restart with the key file in place reads the values back
  s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'] });
  try {
    const got = await json(`${s.http}/api/collections/patients/records/${id}`);
    assert.equal(got.body.ssn, '987-65-4321');
  } finally {
    await s.stop();
  }

  // a wrong key (STRATA_ENCRYPTION_KEY wins over the key file) stops start-up with a clear message
  const wrong = await runStrata({ cwd, args: ['serve', '--port', '0', '--no-https'], env: { STRATA_ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /cannot decrypt stored values of patients\.(ssn|contact|notes|level) \(encrypted with key id k[a-z0-9]+\).*STRATA_ENCRYPTION_KEY/);

  // a lost key file: a fresh key is made, which cannot read the old values
  rmSync(join(cwd, 'strata-data', 'keys', 'encryption.json'));
  const lost = await runStrata({ cwd, args: ['serve', '--port', '0', '--no-https'] });
  assert.equal(lost.code, 1);
  assert.match(lost.stderr, /cannot decrypt stored values of patients\./);
});

test('config refuses encrypted fields that would need plaintext in the database', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ name: 'a', fields: [{ name: 'x', type: 'text', encrypted: true, unique: true }] }, /cannot be unique or indexed/],
    [{ name: 'a', fields: [{ name: 'x', type: 'text', encrypted: true, indexed: true }] }, /cannot be unique or indexed/],
    [{ name: 'a', fields: [{ name: 'x', type: 'integer', encrypted: true }] }, /integer fields cannot be encrypted/],
    [{ name: 'a', fields: [{ name: 'x', type: 'date', encrypted: true }] }, /date fields cannot be encrypted/],
    [{ name: 'a', fields: [{ name: 'x', type: 'text', encrypted: true }], fullText: ['x'] }, /encrypted and cannot be searched/],
    [{ name: 'a', fields: [{ name: 'x', type: 'text', encrypted: true }], indexes: [{ fields: ['x', 'created'] }] }, /cannot index "x"/],
    [{ name: 'a', type: 'document', fields: [{ name: 'x', type: 'text', encrypted: true }] }, /document collections cannot encrypt/],
  ];
  for (const [c, re] of cases) {
    assert.throws(
      () => normalizeCollections([c as never]),
      (e: { errors?: Array<{ message: string }> }) => (e.errors ?? []).some((x) => re.test(x.message)),
      String(re),
    );
  }
  assert.equal(normalizeCollections([{ name: 'a', fields: [{ name: 'x', type: 'json', encrypted: true }] } as never]).find((c) => c.name === 'a')!.fields[0].encrypted, true);
});

test('migration plans: encrypting a field keeps its values, decrypting one replaces the column', () => {
  // (the system collections come first: pick `a`)
  const plainC = normalizeCollections([{ name: 'a', fields: [{ name: 'x', type: 'text' }] } as never]).find((c) => c.name === 'a')!;
  const sealedC = normalizeCollections([{ name: 'a', fields: [{ name: 'x', type: 'text', encrypted: true }] } as never]).find((c) => c.name === 'a')!;
  const on = planMigration([plainC], [sealedC]);
  assert.equal(on.length, 1);
  assert.equal(isDestructive(on[0]), false);
  const off = planMigration([sealedC], [plainC]);
  assert.equal(off.length, 1);
  assert.equal(isDestructive(off[0]), true);
  // snapshots written before the option existed have no `encrypted` key: no change planned
  const { encrypted: _e, ...legacyField } = plainC.fields[0];
  assert.deepEqual(planMigration([{ ...plainC, fields: [legacyField as never] }], [plainC]), []);
});

test('without a cipher the layer starts, and encrypted fields fail clearly when used', async () => {
  const { createDataLayer } = await import('../src/data/index.js');
  const { Value } = await import('@sinclair/typebox/value');
  const { DataSchema } = await import('../src/config/schema-data.js');
  const dir = tempDir();
  const layer = createDataLayer({ dataDir: dir, data: Value.Default(DataSchema, { schemaPollInterval: 0 }) as never, collections: [{ name: 'v', fields: [{ name: 's', type: 'text', encrypted: true }, { name: 'p', type: 'text' }] }] as never });
  await layer.start();
  try {
    await assert.rejects(layer.records.create('v', { s: 'x' }), (e: { type?: string; detail?: string }) => e.type === 'strata/field-encryption' && /v\.s is encrypted but no field encryption key/.test(String(e.detail)));
    assert.equal((await layer.records.create('v', { p: 'plain' })).record.p, 'plain');
  } finally {
    await layer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
