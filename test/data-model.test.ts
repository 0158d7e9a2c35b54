// Collection declarations (normalization, refused patterns), ids, and the pure migration diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../src/core/index.js';
import { describeStep, isDestructive, newRecordId, normalizeCollections, planMigration } from '../src/data/index.js';
import { TEST_COLLECTIONS } from './data-helpers.js';

const problems = (cols: Parameters<typeof normalizeCollections>[0]) => {
  try {
    normalizeCollections(cols);
    return [];
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    return (e.errors ?? []).map((x) => `${x.field}: ${x.message}`);
  }
};

test('declarations are checked: reserved names, catastrophic regexes, unknown targets, bad indexes', () => {
  assert.deepEqual(problems(TEST_COLLECTIONS), []);
  const p = problems([
    {
      name: 'a',
      fields: [
        { name: 'id', type: 'text' },
        { name: 'evil', type: 'text', pattern: '^(a+)+$' },
        { name: 'broken', type: 'text', pattern: '(' },
        { name: 'r', type: 'relation', collection: 'nope' },
        { name: 's', type: 'select' },
        { name: 'n', type: 'number', min: 'x' },
        { name: 'big', type: 'text', unique: true, length: { max: 5000 } },
      ],
      indexes: [{ fields: ['missing'] }],
    },
    { name: 'a' },
  ]);
  for (const want of ['fields.id: "id" is a reserved name', 'evil: pattern can backtrack', 'broken: pattern is not a valid', 'r: unknown collection', 's: select fields need', 'n: min must be a number', 'big: length.max 5000', 'indexes: cannot index "missing"', 'collections.a: declared twice']) {
    assert.ok(p.some((x) => x.includes(want)), `${want} in ${JSON.stringify(p)}`);
  }
});

test('record ids are 20 url-safe characters and increase', () => {
  const ids = Array.from({ length: 2000 }, () => newRecordId());
  for (const id of ids) assert.match(id, /^[0-9a-z]{20}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
});

test('migration diff: creates, widenings, destructive drops and narrowings', () => {
  const v1 = normalizeCollections([{ name: 'a', fields: [{ name: 'n', type: 'integer' }, { name: 't', type: 'text' }, { name: 'e', type: 'email' }] }]);
  // Every app has the system collections (_superusers, users): diff against them.
  const system = normalizeCollections([]);
  assert.deepEqual(system.map((c) => c.name), ['_superusers', 'users']);
  assert.deepEqual(planMigration(system, v1).map(describeStep), ['create collection a']);
  const v2 = normalizeCollections([{ name: 'a', fields: [{ name: 'n', type: 'number', indexed: true }, { name: 'e', type: 'text' }, { name: 'x', type: 'boolean' }] }]);
  const steps = planMigration(v1, v2);
  assert.deepEqual(steps.map(describeStep), ['drop field a.t (its values are deleted)', 'add field a.x (boolean)', 'change field a.n (integer -> number)', 'change field a.e (email -> text)', 'add index a(n)']);
  assert.deepEqual(steps.filter(isDestructive).map((s) => s.kind), ['dropField']);
  const v3 = normalizeCollections([{ name: 'a', fields: [{ name: 'n', type: 'boolean', indexed: true }, { name: 'e', type: 'text' }, { name: 'x', type: 'boolean' }] }]);
  const narrow = planMigration(v2, v3);
  assert.deepEqual(narrow.filter(isDestructive).map(describeStep), ['replace field a.n (number -> boolean; its values are deleted)']);
  assert.deepEqual(planMigration(v3, system).map(describeStep), ['drop collection a (its records are deleted)']);
});

test('migrateCommand prints the plan, refuses destructive steps, then applies with progress', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Value } = await import('@sinclair/typebox/value');
  const { DataSchema } = await import('../src/config/schema-data.js');
  const { migrateCommand, DestructiveMigrationError } = await import('../src/data/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'strata-migrate-'));
  try {
    const data = Value.Default(DataSchema, {}) as Parameters<typeof migrateCommand>[0]['data'];
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    const v1 = [{ name: 'a', fields: [{ name: 'x', type: 'text' as const }] }];
    await migrateCommand({ dataDir: dir, data, collections: [], out }); // the system collections
    lines.length = 0;
    await migrateCommand({ dataDir: dir, data, collections: v1, out, dryRun: true });
    assert.deepEqual(lines, ['migrate: plan (1 step):', '  - create collection a']);
    lines.length = 0;
    await migrateCommand({ dataDir: dir, data, collections: v1, out });
    assert.deepEqual(lines, ['migrate: plan (1 step):', '  - create collection a', '  [1/1] create collection a', 'migrate: done']);
    lines.length = 0;
    await assert.rejects(migrateCommand({ dataDir: dir, data, collections: [{ name: 'a' }], out }), DestructiveMigrationError);
    assert.ok(lines.some((l) => l.includes('! drop field a.x')));
    lines.length = 0;
    await migrateCommand({ dataDir: dir, data, collections: [{ name: 'a' }], out, allowDestructive: true });
    assert.equal(lines.at(-1), 'migrate: done');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite drops and replaces to-one relation fields (table rebuild), keeping data, indexes, full-text and other references', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { sql } = await import('kysely');
  const { StrataError } = await import('../src/core/index.js');
  const { layerFor } = await import('./data-contract.js');
  const dir = mkdtempSync(join(tmpdir(), 'strata-relation-'));
  type C = import('../src/config/schema-data.js').CollectionConfig[];
  const p = (fields: NonNullable<C[number]['fields']>): C[number] => ({ name: 'p', fields, fullText: ['x'], indexes: [{ fields: ['x', 'created'] }] });
  const base = [{ name: 'x', type: 'text' as const, unique: true }, { name: 'reviewer', type: 'relation' as const, collection: 'u', onDelete: 'restrict' as const }];
  const v1: C = [{ name: 'u', fields: [{ name: 'n', type: 'text' }] }, p([...base, { name: 'owner', type: 'relation', collection: 'u', onDelete: 'cascade' }, { name: 'other', type: 'relation', collection: 'u' }])];
  const a = layerFor({ url: '', dataDir: dir, prefix: '' }, v1);
  let b: ReturnType<typeof layerFor> | undefined;
  try {
    await a.start();
    const u1 = String((await a.records.create('u', { n: 'one' })).record.id);
    const u2 = String((await a.records.create('u', { n: 'two' })).record.id);
    const kept = (await a.records.create('p', { x: 'kept words here', owner: u1, reviewer: u2, other: u2 })).record;
    await a.stop();

    // drop `owner` (cascade), replace `other` (relation -> text)
    const v2: C = [{ name: 'u', fields: [{ name: 'n', type: 'text' }] }, p([...base, { name: 'other', type: 'text' }])];
    b = layerFor({ url: '', dataDir: dir, prefix: '' }, v2);
    await assert.rejects(b.migrate(), (e: unknown) => e instanceof StrataError && e.type === 'strata/destructive-migration');
    const r = await b.migrate({ allowDestructive: true });
    assert.ok(r.applied);
    assert.ok(r.destructive.some((d) => d.startsWith('drop field p.owner')));
    await b.start();
    const got = (await b.records.get('p', String(kept.id))).record;
    assert.equal(got.x, 'kept words here');
    assert.equal(got.reviewer, u2);
    assert.equal(got.other, null, 'the replaced field starts empty');
    assert.equal('owner' in got, false);
    const cols = (await sql<{ name: string }>`SELECT name FROM pragma_table_info('p')`.execute(b.db)).rows.map((c) => c.name);
    assert.deepEqual(cols.sort(), ['_version', 'created', 'id', 'other', 'reviewer', 'updated', 'x']);
    // the dropped cascade is gone: deleting u1 keeps the post
    await b.records.delete('u', u1);
    assert.equal((await b.records.get('p', String(kept.id))).record.x, 'kept words here');
    // the kept relation still enforces restrict and existence
    await assert.rejects(b.records.delete('u', u2), (e: unknown) => e instanceof StrataError && e.status === 409);
    await assert.rejects(b.records.create('p', { x: 'y', reviewer: 'nosuchuser1' }), (e: unknown) => e instanceof StrataError && e.status === 400);
    // unique index and full-text survive the rebuild (same rowids)
    await assert.rejects(b.records.create('p', { x: 'kept words here' }), (e: unknown) => e instanceof StrataError && e.status === 409);
    assert.deepEqual((await b.records.list('p', { filter: 'x @@ "words"' })).items.map((i) => i.id), [kept.id]);
    const fresh = (await b.records.create('p', { x: 'fresh entry', other: 'text now' })).record;
    assert.deepEqual((await b.records.list('p', { filter: 'x @@ "fresh"' })).items.map((i) => i.id), [fresh.id]);
    assert.equal(((await sql<{ fk: number }>`PRAGMA foreign_keys`.execute(b.db)).rows[0] as unknown as { foreign_keys: number }).foreign_keys, 1, 'foreign keys are back on');
    assert.deepEqual((await b.migrate({ dryRun: true })).plan, []);
  } finally {
    await b?.stop();
    await a.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite immediate reads never see another request\'s uncommitted transaction', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { layerFor } = await import('./data-contract.js');
  const dir = mkdtempSync(join(tmpdir(), 'strata-isolation-'));
  const layer = layerFor({ url: '', dataDir: dir, prefix: '' }, [{ name: 'a', fields: [{ name: 'x', type: 'text' }] }]);
  try {
    await layer.start();
    let reads: Promise<unknown>[] = [];
    await layer.db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('a').values({ id: 'pending00001', created: 'c', updated: 'u', _version: 1, x: 'uncommitted' }).execute();
        reads = [layer.records.get('a', 'pending00001').then(() => 'seen', () => 'not seen'), layer.records.list('a', {}).then((l) => l.items.length)];
        await new Promise((r) => setTimeout(r, 30));
        throw new Error('roll back');
      })
      .catch(() => undefined);
    assert.deepEqual(await Promise.all(reads), ['not seen', 0]);
  } finally {
    await layer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
