// kill -9 while a producer enqueues at full speed: every acknowledged enqueue is there after reopening.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sqliteQueue } from './sqlite.js';
import { openSqlite } from './sqlite-driver.js';

test('every acknowledged enqueue survives kill -9 of the producing process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-kill-'));
  const file = join(dir, 'q.db');
  try {
    const fixture = fileURLToPath(new URL('./sqlite-kill.fixture.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked = new Map<number, string>();
    let tail = '';
    child.stdout.setEncoding('utf8');
    const killed = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: string) => {
        const lines = (tail + chunk).split('\n');
        tail = lines.pop() ?? '';
        for (const l of lines) {
          const [i, id] = l.split(' ');
          acked.set(Number(i), id);
        }
        if (acked.size >= 5000 && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    await killed;
    assert.ok(acked.size >= 5000, `the child acknowledged ${acked.size} enqueues before the kill`);

    const db = openSqlite(file, 'normal');
    const rows = db.prepare(`SELECT id, payload FROM strata_queue_jobs WHERE queue = 'durable'`).all() as { id: number; payload: string }[];
    db.close();
    const stored = new Map(rows.map((r) => [(JSON.parse(r.payload) as { i: number }).i, String(r.id)]));
    const lost = [...acked.keys()].filter((i) => stored.get(i) !== acked.get(i));
    assert.deepEqual(lost, [], `${lost.length} acknowledged enqueues lost`);

    const q = sqliteQueue({ file }); // and the queue opens and serves the survivors
    assert.ok((await q.counts('durable')).waiting >= acked.size);
    await q.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
