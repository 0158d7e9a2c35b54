import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessRing } from './access-ring.js';

test('the ring keeps the last `size` lines, newest first, paths cut at 1024 characters, filtered', () => {
  let now = 0;
  const ring = accessRing(3, () => now);
  for (const [i, status] of [200, 404, 500, 201].entries()) {
    now = i * 1000;
    ring.push({ reqId: `r${i}`, ip: '1.2.3.4', method: i === 1 ? 'DELETE' : 'GET', path: i === 3 ? `/x${'y'.repeat(2000)}` : `/p${i}`, status, ms: 1 });
  }
  const all = ring.query({});
  assert.equal(all.held, 3);
  assert.deepEqual(all.items.map((l) => l.reqId), ['r3', 'r2', 'r1'], 'the oldest dropped');
  assert.equal(all.items[0].path.length, 1024);
  assert.deepEqual(ring.query({ status: '5xx' }).items.map((l) => l.reqId), ['r2']);
  assert.deepEqual(ring.query({ status: '404', method: 'delete' }).items.map((l) => l.reqId), ['r1']);
  assert.deepEqual(ring.query({ since: 2000 }).items.map((l) => l.reqId), ['r3', 'r2']);
  assert.deepEqual(ring.query({ until: 1000 }).items.map((l) => l.reqId), ['r1']);
  assert.deepEqual(ring.query({ path: '/p', limit: 1 }).items.map((l) => l.reqId), ['r2']);
  const none = accessRing(0);
  none.push({ reqId: 'a', ip: undefined, method: 'GET', path: '/', status: 200, ms: 0 });
  assert.deepEqual(none.query({}), { items: [], held: 0 });
});
