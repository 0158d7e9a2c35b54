// The records service's hooks option (what defineHook plugs into), on a real SQLite file:
// before-hooks inside the write (modify, reject, roll back their own writes), after-hooks after
// commit, batches as one unit, and update/delete seeing the id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { sql } from 'kysely';
import { ValidationError } from '../src/core/index.js';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import { createDataLayer, type DataLayer, type RecordHooks } from '../src/data/index.js';

const collections = [
  { name: 'notes', fields: [{ name: 'title', type: 'text', required: true }] },
  { name: 'audit', fields: [{ name: 'what', type: 'text', required: true }] },
];

async function layerWith(hooks: RecordHooks): Promise<DataLayer> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-hooks-'));
  const layer = createDataLayer({ dataDir: dir, data: Value.Default(DataSchema, {}) as DataConfig, collections, hooks });
  await layer.start();
  return layer;
}

test('record hooks: before modifies, rejects and rolls back; after runs once committed', async () => {
  const events: string[] = [];
  let layer!: DataLayer;
  layer = await layerWith({
    async before(action, collection, input, tx) {
      events.push(`before ${action} ${collection} ${input.id ?? ''}`.trim());
      if (collection !== 'notes') return undefined;
      // A write through the transaction: it must vanish if the hook then rejects.
      await sql`INSERT INTO audit (id, created, updated, _version, what) VALUES (${'a' + Math.random().toString(36).slice(2, 12)}, '2026-01-01', '2026-01-01', 1, ${action})`.execute(tx);
      const body = input.body as { title?: string } | undefined;
      if (body?.title === 'reject') throw new ValidationError('Rejected by hook.', [{ field: 'title', message: 'rejected' }]);
      return action === 'delete' ? undefined : { ...body, title: String(body?.title).toUpperCase() };
    },
    async after(action, collection, result) {
      // Committed: another read outside the transaction sees the outcome.
      const seen = action === 'delete' ? 'gone' : (await layer.records.get(collection, result.id)).record.title;
      events.push(`after ${action} ${collection} ${result.id} ${seen}`);
    },
  });
  try {
    const r = await layer.records.create('notes', { title: 'hello' });
    assert.equal(r.record.title, 'HELLO');
    assert.deepEqual(events, ['before create notes', `after create notes ${r.record.id} HELLO`]);
    events.length = 0;

    await assert.rejects(layer.records.create('notes', { title: 'reject' }), { type: 'strata/validation' });
    assert.equal((await layer.records.list('notes', { filter: 'title = "REJECT" || title = "reject"' })).items.length, 0);
    assert.equal((await layer.records.list('audit', {})).items.length, 1, 'the rejected write rolled back the hook\'s own insert');
    assert.deepEqual(events, ['before create notes'], 'no after-hook for a rejected write');
    events.length = 0;

    const id = String(r.record.id);
    await layer.records.update('notes', id, { title: 'changed' });
    assert.equal((await layer.records.get('notes', id)).record.title, 'CHANGED');
    await layer.records.delete('notes', id);
    assert.deepEqual(events, [`before update notes ${id}`, `after update notes ${id} CHANGED`, `before delete notes ${id}`, `after delete notes ${id} gone`]);
    events.length = 0;

    // A batch: every before-hook inside the one transaction, after-hooks only once it committed...
    const ok = await layer.records.batch([
      { action: 'create', collection: 'notes', body: { title: 'one' } },
      { action: 'create', collection: 'notes', body: { title: 'two' } },
    ]);
    assert.deepEqual(events.map((e) => e.split(' ').slice(0, 3).join(' ')), ['before create notes', 'before create notes', 'after create notes', 'after create notes']);
    assert.ok(events[2].endsWith(' ONE') && events[3].endsWith(' TWO'));
    assert.equal(ok.length, 2);
    events.length = 0;
    // ...and none when any operation fails.
    await assert.rejects(layer.records.batch([
      { action: 'create', collection: 'notes', body: { title: 'three' } },
      { action: 'create', collection: 'notes', body: { title: 'reject' } },
    ]));
    assert.ok(events.every((e) => e.startsWith('before')), events.join('; '));
    assert.equal((await layer.records.list('notes', { filter: 'title = "THREE"' })).items.length, 0);
  } finally {
    await layer.stop();
  }
});
