// On SQLite a create with nothing to read around its insert is one synchronous write transaction
// (record and outbox event, no Kysely transaction): its event is the record as read back, a refused
// insert leaves neither row nor event, and while another transaction holds the connection the
// create waits for it through Kysely instead of writing into it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Value } from '@sinclair/typebox/value';
import { StrataError } from '../src/core/index.js';
import { createDataLayer, type DataLayer } from '../src/data/index.js';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';

describe('a create written at once on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-create-sqlite-'));
  let layer: DataLayer;
  let transactions = 0;
  before(async () => {
    layer = createDataLayer({
      dataDir: dir,
      data: Value.Default(DataSchema, {}) as DataConfig,
      collections: [{ name: 'items', fields: [{ name: 'title', type: 'text', required: true, unique: true }, { name: 'ok', type: 'boolean' }, { name: 'n', type: 'integer' }] }],
    });
    await layer.start();
    const begin = layer.db.transaction.bind(layer.db);
    layer.db.transaction = (() => (transactions++, begin())) as typeof layer.db.transaction;
  });
  after(async () => {
    await layer.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const outbox = async () => (await sql<{ record: string }>`SELECT record FROM ${sql.table(layer.names.outbox)} ORDER BY seq`.execute(layer.db)).rows.map((r) => JSON.parse(r.record) as Record<string, unknown>);

  test('no Kysely transaction; the event is the record as read back', async () => {
    transactions = 0;
    const created = await layer.records.create('items', { title: 'one', ok: true, n: 3 });
    assert.equal(transactions, 0);
    const read = (await layer.records.get('items', String(created.record.id))).record;
    assert.deepEqual(created.record, read);
    const events = await outbox();
    assert.deepEqual(events[events.length - 1], read);
  });

  test('a refused insert (unique) leaves neither row nor event', async () => {
    const before = (await outbox()).length;
    await assert.rejects(layer.records.create('items', { title: 'one' }), (e: unknown) => e instanceof StrataError && e.status === 409);
    assert.equal((await outbox()).length, before);
    assert.equal((await layer.records.list('items', {})).items.length, 1);
  });

  test('while another transaction holds the connection, the create waits for it (through Kysely)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const open = layer.db.transaction().execute(async (tx) => {
      await sql`SELECT 1`.execute(tx);
      inside();
      await gate;
      // rolled back: nothing the create wrote may be lost with it
      throw new Error('roll back');
    });
    await entered;
    transactions = 0;
    const pending = layer.records.create('items', { title: 'two' });
    await new Promise((r) => setTimeout(r, 20));
    release();
    await assert.rejects(open, /roll back/);
    const two = await pending;
    assert.equal(transactions, 1, 'the create took the transaction path');
    assert.equal((await layer.records.get('items', String(two.record.id))).record.title, 'two');
  });
});
