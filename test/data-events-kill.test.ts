// kill -9 between commit and publish: every acknowledged write's event is published after restart
// (at-least-once through the outbox), on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import { createDataLayer, dropAll, normalizeCollections, recordEventRelay } from '../src/data/index.js';
import type { RecordChangeEvent } from '../src/core/index.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-evkill-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = fileURLToPath(new URL('./fixtures/events-kill.fixture.ts', import.meta.url));
const COLLECTIONS = [{ name: 'items', fields: [{ name: 'n', type: 'integer' as const }] }];

for (const engine of [
  { name: 'sqlite', url: '', skip: false as const },
  { name: 'postgres', url: PG_URL, skip: await unreachable(5432) },
]) {
  test(`${engine.name}: events of acknowledged writes survive kill -9 between commit and publish`, { skip: engine.skip }, async () => {
    const prefix = uniquePrefix();
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, engine.url, dir, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked = new Set<string>();
    const pubBefore = new Set<string>();
    let tail = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: string) => {
        const lines = (tail + chunk).split('\n');
        tail = lines.pop() ?? '';
        for (const l of lines) {
          const [kind, id] = l.split(' ');
          (kind === 'ack' ? acked : pubBefore).add(id);
        }
        if (acked.size >= 300 && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    assert.ok(acked.size >= 300, `the child acknowledged ${acked.size} creates before the kill`);
    assert.equal(pubBefore.size, 20, 'the child published its first events, then hung');

    const data = Value.Default(DataSchema, { url: engine.url, tablePrefix: prefix, poolSize: 4 }) as DataConfig;
    const layer = createDataLayer({ dataDir: dir, data, collections: COLLECTIONS });
    await layer.start();
    const after: RecordChangeEvent[] = [];
    const relay = recordEventRelay(layer, () => ({ publish: async (_t: string, e: RecordChangeEvent) => void after.push(e) }));
    try {
      await relay.start();
      await relay.drain();
      const published = new Set([...pubBefore, ...after.map((e) => e.recordId)]);
      const lost = [...acked].filter((id) => !published.has(id));
      assert.deepEqual(lost, [], `${lost.length} acknowledged writes lost their event`);
      assert.ok(after.length >= acked.size - 20, 'the events pending at the kill were published on restart');
      const seqs = after.map((e) => e.seq);
      assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'in seq order');
    } finally {
      await relay.stop();
      if (engine.name !== 'sqlite') await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections(COLLECTIONS));
      await layer.stop();
    }
  });
}
