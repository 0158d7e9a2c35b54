// Rows that become records in place: which collections qualify per engine, and a list built from such
// rows is, key for key and in order, what fromRow makes of the same records (as `get` returns them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import type { CollectionConfig } from '../config/schema-data.js';
import { normalizeCollections } from './collection-model.js';
import { createDataLayer, type DataLayer } from './data-layer.js';
import { mysqlDialect } from './dialects/mysql.js';
import { postgresDialect } from './dialects/postgres.js';
import { sqliteDialect } from './dialects/sqlite.js';
import { recordColumns } from './record-row.js';

const one = (fields: CollectionConfig['fields'], extra: Partial<CollectionConfig> = {}) => normalizeCollections([{ name: 'c', fields, ...extra } as CollectionConfig]).find((c) => c.name === 'c')!;

test('which rows become records in place, and which of their fields are converted, per engine', () => {
  const conv = (c: ReturnType<typeof one>, d: Parameters<typeof recordColumns>[1]) => recordColumns(c, d)?.convert.map((f) => f.name);
  const strings = one([{ name: 'a', type: 'text' }, { name: 's', type: 'select', values: ['x'] }, { name: 'd', type: 'date' }]);
  for (const d of [sqliteDialect, postgresDialect, mysqlDialect]) {
    assert.deepEqual(recordColumns(strings, d)?.columns, ['id', 'created', 'updated', 'a', 's', 'd'], d.name);
    assert.deepEqual(conv(strings, d), [], d.name);
  }
  const mixed = one([{ name: 'n', type: 'integer' }, { name: 'b', type: 'boolean' }, { name: 'j', type: 'json' }, { name: 'x', type: 'number' }]);
  assert.deepEqual(conv(mixed, sqliteDialect), ['b', 'j'], 'SQLite: booleans as 0/1, JSON as text');
  assert.deepEqual(conv(mixed, postgresDialect), ['n'], 'PostgreSQL: a bigint past 2^53 comes as a string');
  assert.deepEqual(conv(mixed, mysqlDialect), ['n', 'b', 'j', 'x']);
  assert.equal(recordColumns(one([{ name: 'r', type: 'relation', collection: 'c', multiple: true }]), sqliteDialect), undefined, 'link-table values');
  assert.equal(recordColumns(one([{ name: 'x', type: 'text', encrypted: true }]), sqliteDialect), undefined);
  assert.equal(recordColumns(one([], { type: 'document' }), sqliteDialect), undefined);
  assert.equal(recordColumns(one([], { type: 'auth' }), postgresDialect), undefined);
});

const dir = mkdtempSync(join(tmpdir(), 'strata-record-row-'));
let data: DataLayer;
before(async () => {
  data = createDataLayer({
    dataDir: dir,
    data: loadConfig({ cwd: dir, env: {} }).config.data,
    collections: [
      { name: 'plain', fields: [{ name: 'title', type: 'text' }, { name: 'n', type: 'integer' }, { name: 'x', type: 'number' }, { name: 'tag', type: 'select', values: ['a', 'b'] }, { name: 'ref', type: 'relation', collection: 'plain' }, { name: 'ok', type: 'boolean' }, { name: 'meta', type: 'json' }], rules: { list: '', view: '', create: '' } },
    ],
  });
  await data.start();
});
after(async () => {
  await data.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a list of rows taken as records equals the records get returns (keys, order, values, nulls)', async () => {
  const a = await data.records.create('plain', { title: 'a', n: 3, x: 1.5, tag: 'b', ok: true, meta: { k: [1, 'v'] } });
  await data.records.create('plain', { title: null, ref: a.record.id, ok: false });
  const list = await data.records.list('plain', { sort: 'created' });
  assert.equal(list.items.length, 2);
  for (const item of list.items) {
    const got = (await data.records.get('plain', String(item.id))).record;
    assert.deepEqual(item, got);
    assert.deepEqual(Object.keys(item), Object.keys(got));
  }
  assert.deepEqual(Object.keys(list.items[0]), ['id', 'created', 'updated', 'title', 'n', 'x', 'tag', 'ref', 'ok', 'meta']);
  assert.equal(list.items[0].ok, true);
  assert.equal(list.items[1].ok, false);
  assert.deepEqual(list.items[0].meta, { k: [1, 'v'] });
  assert.equal('_version' in list.items[0], false);
});
