// linkedBus over an in-memory link joining three "processes" (as the cluster primary relays):
// shared topics reach every process's subscribers once and in order; other topics stay local.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busContract } from './bus.contract.js';
import { memoryBus } from './memory.js';
import { linkedBus, type BusLink, type LinkedMessage } from './linked.js';

/** A hub like the cluster primary: what one member sends goes to every other member. */
function hub() {
  const members = new Set<(m: LinkedMessage) => void>();
  return (): BusLink => {
    let mine: ((m: LinkedMessage) => void) | undefined;
    return {
      send: (m) => {
        const copy = JSON.parse(JSON.stringify(m)) as LinkedMessage;
        for (const other of members) if (other !== mine) queueMicrotask(() => other(copy));
      },
      listen(on) {
        mine = on;
        members.add(on);
        return () => void members.delete(on);
      },
    };
  };
}

const settle = () => new Promise((r) => setTimeout(r, 10));
const shared = (t: string) => t.startsWith('records.');

test('a shared topic published on one process reaches every process once, in order; other topics stay local', async () => {
  const join = hub();
  const buses = [0, 1, 2].map(() => linkedBus(memoryBus(), join(), shared));
  const got: string[][] = [[], [], []];
  for (const [i, b] of buses.entries()) await b.subscribe('>', (p, topic) => void got[i].push(`${topic}:${(p as { n: number }).n}`));
  for (let n = 0; n < 5; n++) await buses[n % 3].publish('records.items.created', { n });
  await buses[1].publish('orders.paid', { n: 9 });
  await settle();
  const records = ['records.items.created:0', 'records.items.created:1', 'records.items.created:2', 'records.items.created:3', 'records.items.created:4'];
  assert.deepEqual(got[0], records);
  assert.deepEqual(got[1], [...records, 'orders.paid:9']);
  assert.deepEqual(got[2], records);
  for (const b of buses) await b.close();
});

test('after close a process no longer hears the link', async () => {
  const join = hub();
  const [a, b] = [linkedBus(memoryBus(), join(), shared), linkedBus(memoryBus(), join(), shared)];
  const got: unknown[] = [];
  await b.subscribe('records.>', (p) => void got.push(p));
  await b.close();
  await a.publish('records.items.created', { n: 1 });
  await settle();
  assert.deepEqual(got, []);
  await a.close();
});

busContract('memory, linked (records.* shared)', { make: async () => linkedBus(memoryBus(), hub()(), shared), shared: false });
// Every topic shared, the instances joined by one hub: the contract's cross-instance cases apply.
const everything = hub();
busContract('memory, linked (all shared)', { make: async () => linkedBus(memoryBus(), everything(), () => true), shared: true });
