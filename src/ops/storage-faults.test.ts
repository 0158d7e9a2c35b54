import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageFaults } from './storage-faults.js';

const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

test('each kind of storage fault is logged once per interval, with the count of those not logged', () => {
  let now = 1_000_000;
  const s = new StorageFaults({ logIntervalMs: 10_000, now: () => now });
  assert.deepEqual(s.failed('full', full), { suppressed: 0 });
  assert.equal(s.failed('full', full), undefined);
  assert.equal(s.failed('full', full), undefined);
  assert.deepEqual(s.failed('busy', new Error('busy')), { suppressed: 0 }, 'another kind has its own interval');
  now += 10_000;
  assert.deepEqual(s.failed('full', full), { suppressed: 2 });
  assert.equal(s.failed('full', full), undefined);
});

test('readiness: not ready while full, naming the cause; each check tries the probe, ready again once it writes', async () => {
  let probeFails = true;
  const s = new StorageFaults({ probe: async () => { if (probeFails) throw full; } });
  const check = s.check();
  assert.equal(await check.ready!(), true);
  assert.equal(check.detail!(), undefined);
  s.failed('busy', new Error('SQLITE_BUSY'));
  assert.equal(await check.ready!(), true, 'a busy database is no storage fault');
  s.failed('full', full);
  assert.equal(await check.ready!(), false);
  assert.match(check.detail!()!, /^storage is full since \S+: writes fail \(SQLITE_FULL: database or disk is full\); a test write still fails \(SQLITE_FULL: database or disk is full\)$/);
  probeFails = false;
  assert.equal(await check.ready!(), true);
  assert.equal(s.fault, undefined);
});

test('without a probe it stays not ready until a write is reported to succeed', async () => {
  const s = new StorageFaults();
  s.failed('full', new Error('No space left on device'));
  assert.equal(await s.check().ready!(), false);
  assert.match(s.fault!, /No space left on device/);
  s.writable();
  assert.equal(await s.check().ready!(), true);
});
