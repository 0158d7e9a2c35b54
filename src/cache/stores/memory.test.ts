import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryStore } from './memory.js';

test('the memory store is bounded by bytes, not entries, and counts evictions', async () => {
  const s = memoryStore({ maxBytes: 100_000 });
  for (let i = 0; i < 100; i++) await s.set(`k${i}`, Buffer.alloc(5_000));
  const st = await s.stats();
  assert.ok((st.bytes as number) <= 100_000);
  assert.ok((st.entries as number) < 20);
  assert.ok(st.evictions > 80);
  assert.ok(await s.get('k99'));
});

test('an entry bigger than the per-entry bound is not kept and does not leave an old copy', async () => {
  const s = memoryStore({ maxBytes: 80_000 });
  await s.set('x', Buffer.from('small'));
  await s.set('x', Buffer.alloc(50_000));
  assert.equal(await s.get('x'), undefined);
});

test('values that are slices of a pooled buffer are stored as their own copies', async () => {
  const s = memoryStore({ maxBytes: 1 << 20 });
  const pool = Buffer.alloc(8192, 1);
  await s.set('a', pool.subarray(10, 20));
  const v = (await s.get('a')) as Buffer;
  assert.equal(v.length, 10);
  assert.equal(v.buffer.byteLength, 10, 'does not pin the 8 KiB pool');
});
