// The Balancer contract: every policy must pass these tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Balancer, BalanceTarget } from './balancer.js';

const t = (id: string, weight = 1, active = 0): BalanceTarget => ({ id, weight, active });

export function balancerContract(name: string, make: (all: readonly BalanceTarget[]) => Balancer): void {
  const all = [t('a'), t('b', 2), t('c', 1, 3)];
  test(`${name}: empty candidates give undefined`, () => {
    assert.equal(make(all).pick([], 'k'), undefined);
  });
  test(`${name}: always picks one of the candidates (subsets too)`, () => {
    const b = make(all);
    for (let i = 0; i < 200; i++) {
      const subset = i % 2 ? all : all.slice(1);
      const p = b.pick(subset, `key-${i}`);
      assert.ok(p && subset.includes(p), `${p?.id}`);
    }
  });
  test(`${name}: a single candidate is always chosen`, () => {
    const b = make(all);
    for (let i = 0; i < 20; i++) assert.equal(b.pick([all[2]], `k${i}`), all[2]);
  });
  test(`${name}: every candidate gets traffic over many distinct keys`, () => {
    const b = make(all);
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) seen.add(b.pick(all.map((x) => ({ ...x, active: 0 })), `client-${i}`)!.id);
    assert.equal(seen.size, 3);
  });
}
