import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { diskStore, serialize, parse } from './disk.js';

const root = mkdtempSync(join(tmpdir(), 'strata-disk-'));
after(() => rmSync(root, { recursive: true, force: true }));
const fileOf = (dir: string, key: string) => {
  const h = createHash('sha256').update(key).digest('hex');
  return join(dir, h.slice(0, 2), h);
};

test('a torn (truncated) or bit-flipped file reads as a miss and is removed', async () => {
  const dir = join(root, 'torn');
  const s = await diskStore({ dir });
  await s.set('a', Buffer.from('hello world, a value of some length'));
  await s.set('b', Buffer.from('another value'));
  const fa = fileOf(dir, 'a');
  const full = readFileSync(fa);
  writeFileSync(fa, full.subarray(0, full.length - 5)); // what a crash mid-write without rename would leave
  assert.equal(await s.get('a'), undefined);
  assert.equal(existsSync(fa), false);
  const fb = fileOf(dir, 'b');
  const buf = readFileSync(fb);
  buf[buf.length - 1] ^= 0x01;
  writeFileSync(fb, buf);
  assert.equal(await s.get('b'), undefined);
});

test('every strict prefix of a serialized entry is rejected', () => {
  const file = serialize('k', Buffer.from('value-bytes'), 0);
  assert.deepEqual(parse(file, 'k'), Buffer.from('value-bytes'));
  for (let n = 0; n < file.length; n++) assert.equal(parse(file.subarray(0, n), 'k'), undefined);
  assert.equal(parse(file, 'other-key'), undefined);
});

test('entries survive a restart; leftover temp files are removed; the byte bound holds', async () => {
  const dir = join(root, 'persist');
  const s1 = await diskStore({ dir, maxBytes: 10_000 });
  await s1.set('keep', Buffer.from('persisted'));
  writeFileSync(join(dir, 'tmp', 'leftover.123'), 'partial');
  const s2 = await diskStore({ dir, maxBytes: 10_000 });
  assert.deepEqual(await s2.get('keep'), Buffer.from('persisted'));
  assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
  for (let i = 0; i < 50; i++) await s2.set(`k${i}`, Buffer.alloc(1000, i));
  const st = await s2.stats();
  assert.ok(st.bytes !== undefined && st.bytes <= 10_000, `bytes ${st.bytes}`);
  assert.ok(st.evictions > 0);
  assert.deepEqual(await s2.get('k49'), Buffer.alloc(1000, 49));
  assert.equal(await s2.get('k0'), undefined);
  const s3 = await diskStore({ dir, maxBytes: 3_000 }); // a smaller bound on reopen evicts down to it
  assert.ok(((await s3.stats()).bytes as number) <= 3_000);
});
