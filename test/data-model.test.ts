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

test('SQLite refuses to drop a relation field with a clear problem, and changes nothing', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { StrataError } = await import('../src/core/index.js');
  const { layerFor } = await import('./data-contract.js');
  const dir = mkdtempSync(join(tmpdir(), 'strata-relation-'));
  const v1 = [{ name: 'u' }, { name: 'p', fields: [{ name: 'x', type: 'text' as const }, { name: 'owner', type: 'relation' as const, collection: 'u' }] }];
  const a = layerFor({ url: '', dataDir: dir, prefix: '' }, v1);
  try {
    await a.start();
    const b = layerFor({ url: '', dataDir: dir, prefix: '' }, [{ name: 'u' }, { name: 'p', fields: [{ name: 'y', type: 'text' as const }] }]);
    await assert.rejects(b.migrate({ allowDestructive: true }), (e: unknown) => e instanceof StrataError && e.type === 'strata/migration-unsupported');
    await b.stop();
    assert.deepEqual((await a.migrate({ dryRun: true })).plan, [], 'the failed plan rolled back entirely');
    assert.equal((await a.records.create('p', { x: 'still here' })).record.x, 'still here');
  } finally {
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
