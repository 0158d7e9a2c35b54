// The write path's compiled statements: one SQL text per shape, raw values never cached, statements
// run at once only inside a transaction (SQLite), and a create answers with the row as stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { sqliteDialect } from './dialects/sqlite.js';
import type { OpenedEngine } from './dialects/dialect.js';
import { compiledRunner, insertStatements } from './write-statements.js';
import { loadConfig } from '../config/index.js';
import { createDataLayer, type DataLayer } from './data-layer.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-write-st-'));
let engine: OpenedEngine;
let data: DataLayer;

before(async () => {
  engine = await sqliteDialect.open({ url: `sqlite:${join(dir, 'st.db')}`, poolSize: 1, busyTimeout: 1000 });
  await sql`CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, flag INTEGER, note TEXT)`.execute(engine.db);
  data = createDataLayer({
    dataDir: join(dir, 'layer'),
    data: loadConfig({ cwd: dir, env: {} }).config.data,
    collections: [{ name: 'items', fields: [{ name: 'title', type: 'text' }, { name: 'n', type: 'number' }, { name: 'ok', type: 'boolean' }, { name: 'meta', type: 'json' }], rules: { list: '', view: '', create: '' } }],
  });
  await data.start();
});

after(async () => {
  await data.stop();
  await engine.db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('one SQL text per table and column list; parameters in key order', () => {
  const insert = insertStatements(engine.db);
  const a = insert('t', { id: 'a', n: 1, note: 'x' }, true);
  const b = insert('t', { id: 'b', n: 2, note: 'y' }, true);
  assert.equal(a.sql, b.sql);
  assert.match(a.sql, /returning \*/i);
  assert.deepEqual(b.parameters, ['b', 2, 'y']);
  const other = insert('t', { id: 'c', note: 'z' }, false);
  assert.notEqual(other.sql, a.sql);
  assert.doesNotMatch(other.sql, /returning/i);
  assert.deepEqual(other.parameters, ['c', 'z']);
});

test('a row holding a raw SQL value is compiled each time, never reused with bare parameters', () => {
  const insert = insertStatements(engine.db);
  const q1 = insert('t', { id: 'r1', n: sql`1 + 1` }, false);
  const q2 = insert('t', { id: 'r2', n: sql`2 + 2` }, false);
  assert.match(q1.sql, /1 \+ 1/);
  assert.match(q2.sql, /2 \+ 2/);
  assert.deepEqual(q2.parameters, ['r2']);
});

test('statements run at once inside a transaction, through Kysely outside one', async () => {
  assert.equal(engine.runInTx!('select 1 as one', []), undefined, 'no transaction open: the driver queue is used');
  const run = compiledRunner(engine.runInTx);
  const insert = insertStatements(engine.db);
  const stored = await engine.db.transaction().execute(async (tx) => {
    const q = insert('t', { id: 'tx1', n: 5, flag: 1 }, true);
    return (await run(tx, q.sql, q.parameters)).rows[0];
  });
  assert.deepEqual(stored, { id: 'tx1', n: 5, flag: 1, note: null });
  const outside = await run(engine.db, 'update t set n = ? where id = ?', [6, 'tx1']);
  assert.equal(outside.changes, 1);
  // a rolled-back transaction keeps nothing written at once inside it
  await assert.rejects(
    engine.db.transaction().execute(async (tx) => {
      const q = insert('t', { id: 'tx2', n: 1 }, false);
      await run(tx, q.sql, q.parameters);
      throw new Error('roll back');
    }),
    /roll back/,
  );
  assert.equal((await sql<{ n: number }>`select count(*) as n from t where id = 'tx2'`.execute(engine.db)).rows[0].n, 0);
});

test('a create answers with the record exactly as a later read returns it (booleans, numbers, JSON)', async () => {
  const created = await data.records.create('items', { title: 'a', n: 2.5, ok: true, meta: { k: [1, 'x'] } });
  const read = await data.records.get('items', String(created.record.id));
  assert.deepEqual(created.record, read.record);
  assert.equal(created.etag, read.etag);
  assert.deepEqual(Object.keys(created.record), ['id', 'created', 'updated', 'title', 'n', 'ok', 'meta']);
  assert.equal(created.record.ok, true);
});
