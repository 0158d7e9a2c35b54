// Balancing policies and the circuit breaker as pure logic (no sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, consistentHash, createBalancer, leastConnections, randomTwoChoices, roundRobin, weightedRoundRobin } from '../src/gateway/index.js';

const mk = (id: string, weight = 1, active = 0) => ({ id, weight, active });
const count = (picks: (string | undefined)[]) => picks.reduce<Record<string, number>>((m, p) => ((m[p ?? '-'] = (m[p ?? '-'] ?? 0) + 1), m), {});

test('round robin cycles evenly', () => {
  const b = roundRobin();
  const c = [mk('a'), mk('b'), mk('c')];
  assert.deepEqual(count(Array.from({ length: 30 }, () => b.pick(c)?.id)), { a: 10, b: 10, c: 10 });
  assert.equal(b.pick([]), undefined);
});

test('weighted round robin follows weights and interleaves', () => {
  const b = weightedRoundRobin();
  const c = [mk('a', 5), mk('b', 1), mk('c', 1)];
  const seq = Array.from({ length: 7 }, () => b.pick(c)?.id);
  assert.deepEqual(count(seq), { a: 5, b: 1, c: 1 });
  assert.deepEqual(seq, ['a', 'a', 'b', 'a', 'c', 'a', 'a']);
});

test('least connections prefers the idlest per weight, rotating ties', () => {
  const b = leastConnections();
  assert.equal(b.pick([mk('a', 1, 5), mk('b', 1, 1), mk('c', 1, 3)])?.id, 'b');
  assert.equal(b.pick([mk('a', 4, 4), mk('b', 1, 2)])?.id, 'a');
  const ties = count(Array.from({ length: 20 }, () => b.pick([mk('a'), mk('b')])?.id));
  assert.deepEqual(ties, { a: 10, b: 10 });
});

test('random two choices never picks the busier of its two samples', () => {
  const seq = [0.1, 0.9, 0.6, 0.2];
  let i = 0;
  const b = randomTwoChoices(() => seq[i++ % seq.length]);
  const c = [mk('a', 1, 9), mk('b', 1, 0)];
  assert.equal(b.pick(c)?.id, 'b');
  assert.equal(b.pick(c)?.id, 'b');
  const spread = count(Array.from({ length: 3000 }, () => randomTwoChoices().pick([mk('a'), mk('b'), mk('c')])?.id));
  for (const k of ['a', 'b', 'c']) assert.ok(spread[k] > 700, `${k}: ${spread[k]}`);
});

test('consistent hash is sticky and moves only the removed upstream keys', () => {
  const all = [mk('a'), mk('b'), mk('c'), mk('d')];
  const b = consistentHash(all);
  const keys = Array.from({ length: 2000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  const before = keys.map((k) => b.pick(all, k)?.id);
  assert.deepEqual(keys.map((k) => b.pick(all, k)?.id), before, 'same key, same upstream');
  const spread = count(before);
  for (const k of ['a', 'b', 'c', 'd']) assert.ok(spread[k] > 300, `${k}: ${spread[k]}`);
  const without = all.filter((x) => x.id !== 'c');
  const after = keys.map((k) => b.pick(without, k)?.id);
  keys.forEach((_, i) => {
    if (before[i] !== 'c') assert.equal(after[i], before[i]);
    else assert.notEqual(after[i], 'c');
  });
  assert.ok(b.pick(all, undefined), 'no key falls back to round robin');
});

test('registry builds every named policy', () => {
  for (const n of ['round-robin', 'weighted-round-robin', 'least-connections', 'random-two-choices', 'consistent-hash'] as const) {
    assert.equal(createBalancer(n, [mk('a')]).name, n);
  }
});

test('circuit breaker opens on failure ratio, half-opens after the wait, closes on success', () => {
  let now = 0;
  const cb = new CircuitBreaker({ window: 10, minRequests: 4, failureRatio: 0.5, openMs: 1000, halfOpenRequests: 1 }, () => now);
  cb.record(true);
  cb.record(false);
  cb.record(true);
  assert.equal(cb.state, 'closed');
  cb.record(false);
  assert.equal(cb.state, 'open');
  assert.equal(cb.allow(), false);
  assert.equal(cb.retryAfterMs(), 1000);
  now = 1000;
  assert.equal(cb.state, 'half-open');
  assert.equal(cb.allow(), true);
  assert.equal(cb.allow(), false, 'one trial at a time');
  cb.record(false);
  assert.equal(cb.state, 'open');
  now = 2500;
  assert.equal(cb.allow(), true);
  cb.record(true);
  assert.equal(cb.state, 'closed');
  assert.equal(cb.allow(), true);
});
