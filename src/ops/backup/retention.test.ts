import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepers, pruneArchives } from './retention.js';

const name = (iso: string) => `strata-backup-${iso.replace(/:/g, '-')}.sbk`;

test('keeps the newest of each of the last N days, ISO weeks and months, and the newest of all', () => {
  const names = [
    '2026-12-07T05:00:00Z', '2026-12-07T01:00:00Z', // Monday: newest of the day is 05:00
    '2026-12-06T23:00:00Z', '2026-12-06T10:00:00Z', // Sunday (ISO week 49)
    '2026-12-05T10:00:00Z',
    '2026-11-30T10:00:00Z', '2026-11-29T10:00:00Z', // Monday W49 / Sunday W48
    '2026-10-15T10:00:00Z', '2026-09-01T10:00:00Z',
  ].map(name);
  const k = (daily: number, weekly: number, monthly: number) => [...keepers([...names, 'notes.txt'], { daily, weekly, monthly })].sort();
  assert.deepEqual(k(0, 0, 0), [name('2026-12-07T05:00:00Z')]);
  assert.deepEqual(k(2, 0, 0), [name('2026-12-06T23:00:00Z'), name('2026-12-07T05:00:00Z')]);
  assert.deepEqual(k(0, 2, 0), [name('2026-12-06T23:00:00Z'), name('2026-12-07T05:00:00Z')], 'W50 (from Monday Dec 7) and W49 (Nov 30 to Dec 6, newest Dec 6)');
  assert.deepEqual(k(0, 3, 0), [name('2026-11-29T10:00:00Z'), name('2026-12-06T23:00:00Z'), name('2026-12-07T05:00:00Z')]);
  assert.deepEqual(k(0, 0, 3), [name('2026-10-15T10:00:00Z'), name('2026-11-30T10:00:00Z'), name('2026-12-07T05:00:00Z')]);
});

test('pruneArchives deletes what is not kept and stale leftovers of interrupted backups, nothing else', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-retention-'));
  for (const iso of ['2026-12-07T05:00:00Z', '2026-12-07T04:00:00Z', '2026-12-06T04:00:00Z']) writeFileSync(join(dir, name(iso)), 'x');
  writeFileSync(join(dir, 'keep-me.txt'), 'x');
  writeFileSync(join(dir, `${name('2026-12-07T06:00:00Z')}.partial`), 'x');
  writeFileSync(join(dir, `${name('2026-12-07T06:30:00Z')}.partial`), 'x');
  mkdirSync(join(dir, '.staging-old'));
  const old = new Date(Date.now() - 2 * 3_600_000);
  utimesSync(join(dir, `${name('2026-12-07T06:00:00Z')}.partial`), old, old);
  utimesSync(join(dir, '.staging-old'), old, old);
  const gone = await pruneArchives(dir, { daily: 1, weekly: 0, monthly: 0 });
  assert.deepEqual(gone.sort(), ['.staging-old', name('2026-12-06T04:00:00Z'), name('2026-12-07T04:00:00Z'), `${name('2026-12-07T06:00:00Z')}.partial`].sort());
  assert.deepEqual(readdirSync(dir).sort(), [name('2026-12-07T05:00:00Z'), `${name('2026-12-07T06:30:00Z')}.partial`, 'keep-me.txt'].sort(), 'a fresh .partial may be a backup running now');
});
