import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sqliteQueue } from '../backends/sqlite.js';
import { cronScheduler, tickOf, type CronTick } from './cron.js';
import { sqliteLock } from './cron-lock.js';

test('two instances on one schedule enqueue exactly one job per tick', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cron-'));
  try {
    // Separate queue files, so only the shared tick lock can stop a double fire.
    const qa = sqliteQueue({ file: join(dir, 'a.db') });
    const qb = sqliteQueue({ file: join(dir, 'b.db') });
    const la = sqliteLock(join(dir, 'locks.db'));
    const lb = sqliteLock(join(dir, 'locks.db'));
    const a = cronScheduler({ queue: qa, lock: la });
    const b = cronScheduler({ queue: qb, lock: lb });
    const s = { name: 'every-second', pattern: '* * * * * *', queue: 'ticks', payload: { hello: 1 } };
    a.add(s);
    b.add(s);
    assert.match(a.list()[0].next ?? '', /^\d{4}-/);
    await sleep(2600);
    a.stop();
    b.stop();
    await sleep(50);
    const jobs = [...(await qa.peek('ticks', 'waiting', 100)), ...(await qb.peek('ticks', 'waiting', 100))];
    const ticks = jobs.map((j) => (j.payload as CronTick).tick);
    assert.ok(ticks.length >= 2, `ticks fired: ${ticks.length}`);
    assert.equal(new Set(ticks).size, ticks.length, 'no tick enqueued twice');
    assert.deepEqual((jobs[0].payload as CronTick).payload, { hello: 1 });
    await Promise.all([qa.close(), qb.close(), la.close(), lb.close()]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad patterns and names are validation errors', () => {
  const c = cronScheduler({ queue: {} as never, lock: {} as never });
  assert.throws(() => c.add({ name: 'x', pattern: 'not a cron', queue: 'q' }), { type: 'strata/validation' });
  assert.throws(() => c.add({ name: 'bad name', pattern: '* * * * *', queue: 'q' }), { type: 'strata/validation' });
  c.stop();
});

test('a run that fires late keeps its scheduled second as its tick', () => {
  assert.equal(tickOf(new Date('2026-01-01T03:00:00.000Z')), '2026-01-01T03:00:00.000Z');
  assert.equal(tickOf(new Date('2026-01-01T03:00:00.600Z')), '2026-01-01T03:00:00.000Z', 'late by 0.6 s');
  assert.equal(tickOf(new Date('2026-01-01T03:00:00.950Z')), '2026-01-01T03:00:00.000Z', 'late by 0.95 s');
  assert.equal(tickOf(new Date('2026-01-01T02:59:59.990Z')), '2026-01-01T03:00:00.000Z', 'a timer 10 ms early');
});
