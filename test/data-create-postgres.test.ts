// On PostgreSQL a create whose collection needs no reads around the insert is one statement: the
// record and its outbox event inserted together (WITH ... INSERT), no BEGIN/COMMIT; its event is the
// record as a read returns it, and a refused insert leaves no event. Collections with relations or
// JSON fields, before-hooks (and access rules) keep the transaction. Database `test`, a unique table prefix per run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { StrataError } from '../src/core/index.js';
import { Value } from '@sinclair/typebox/value';
import { createDataLayer, dropAll, normalizeCollections, type DataLayer, type RecordHooks } from '../src/data/index.js';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import type { CollectionConfig } from '../src/config/schema-data.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const COLLECTIONS: CollectionConfig[] = [
  {
    name: 'items',
    fields: [
      { name: 'title', type: 'text', required: true, unique: true },
      { name: 'n', type: 'integer' },
      { name: 'x', type: 'number' },
      { name: 'ok', type: 'boolean' },
      { name: 'kind', type: 'select', values: ['a', 'b'] },
      { name: 'due', type: 'date' },
    ],
  },
  { name: 'tagged', fields: [{ name: 'title', type: 'text' }, { name: 'meta', type: 'json' }] },
  { name: 'hooked', fields: [{ name: 'title', type: 'text' }] },
];

/** Function hooks as the functions capability gives them: a before-hook on `hooked` only. */
const hooks: RecordHooks = {
  hasBefore: (_action, collection) => collection === 'hooked',
  before: async (_action, collection, input) => (collection === 'hooked' ? { ...(input.body as object), title: 'from the hook' } : undefined),
};

describe('a create in one statement on PostgreSQL', { skip: await unreachable(5432) }, () => {
  let layer: DataLayer;
  const statements: string[] = [];
  const query = pg.Client.prototype.query;
  before(async () => {
    const data = Value.Default(DataSchema, { url: PG_URL, tablePrefix: uniquePrefix(), poolSize: 4 }) as DataConfig;
    layer = createDataLayer({ dataDir: '.', data, collections: COLLECTIONS, hooks });
    await layer.start();
    // every statement the pool's clients send, to count a create's
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0];
      statements.push(typeof q === 'string' ? q : String((q as { text?: string }).text ?? ''));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });
  after(async () => {
    pg.Client.prototype.query = query;
    if (!layer) return;
    await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections(COLLECTIONS));
    await layer.stop();
  });
  const outbox = async () => (await sql<{ record: string }>`SELECT record FROM ${sql.table(layer.names.outbox)} ORDER BY insert_key`.execute(layer.db)).rows.map((r) => JSON.parse(r.record) as Record<string, unknown>);
  const table = () => layer.names.record('items');

  test('record and event in one statement; the event is the record as read back', async () => {
    statements.length = 0;
    const created = await layer.records.create('items', { title: 'one', n: 2 ** 40, x: 0.1, ok: true, kind: 'b', due: '2026-03-01T10:00:00.000Z' });
    // (no relay runs here: every statement is the create's or the read's below)
    const mine = [...statements];
    assert.equal(mine.filter((s) => /^begin|^commit/i.test(s.trim())).length, 0, mine.join('\n'));
    const inserts = mine.filter((s) => s.includes(`"${table()}"`));
    assert.equal(inserts.length, 1, mine.join("\n"));
    assert.match(inserts[0], /^with "r" as \(insert into/i);
    const read = (await layer.records.get('items', String(created.record.id))).record;
    assert.deepEqual(created.record, read);
    const events = await outbox();
    assert.deepEqual(events[events.length - 1], read, 'the event carries the record as REST returns it');
    assert.equal(read.ok, true);
    assert.equal(read.n, 2 ** 40);
  });

  test('a refused insert (unique) writes no event; a field left out is null in both', async () => {
    const before = (await outbox()).length;
    await assert.rejects(layer.records.create('items', { title: 'one' }), (e: unknown) => e instanceof StrataError && e.status === 409);
    assert.equal((await outbox()).length, before);
    const two = await layer.records.create('items', { title: 'two' });
    const events = await outbox();
    assert.deepEqual(events[events.length - 1], two.record);
    assert.equal(two.record.ok, null);
  });

  test('a collection with a before-hook keeps the transaction (the hook runs in it); one without takes one statement', async () => {
    statements.length = 0;
    const r = await layer.records.create('hooked', { title: 'mine' });
    assert.equal(r.record.title, 'from the hook');
    assert.ok(statements.some((s) => /^begin/i.test(s.trim())), statements.join('\n'));
    statements.length = 0;
    await layer.records.create('items', { title: 'no hook here' });
    assert.ok(!statements.some((s) => /^begin/i.test(s.trim())), statements.join('\n'));
  });

  test('a collection with a JSON field keeps the transaction (jsonb normalizes what it stores)', async () => {
    statements.length = 0;
    const r = await layer.records.create('tagged', { title: 't', meta: { b: 1, a: [1, 2] } });
    assert.ok(statements.some((s) => /^begin/i.test(s.trim())), statements.join('\n'));
    const events = await outbox();
    assert.deepEqual(events[events.length - 1], r.record);
  });
});
