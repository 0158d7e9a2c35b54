// The one contract every Bus adapter must pass, against the real engine.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { until } from '../queue.contract.js';
import type { Bus } from './bus-types.js';

export interface BusContractOptions {
  make: () => Promise<Bus>;
  /** True when two instances made by `make` share messages (a broker). */
  shared: boolean;
  skip?: string | boolean;
}

export function busContract(name: string, opts: BusContractOptions): void {
  describe(`bus contract: ${name}`, { skip: opts.skip }, () => {
    let bus: Bus;
    let other: Bus;
    const root = `t${randomBytes(4).toString('hex')}`;
    before(async () => {
      bus = await opts.make();
      other = opts.shared ? await opts.make() : bus;
    });
    after(async () => {
      await bus?.close();
      if (other !== bus) await other?.close();
    });

    /** Publish `topics`, then a marker; once the marker arrives everything before it has (per-publisher order). */
    async function collect(pattern: string, topics: string[]): Promise<string[]> {
      const got: string[] = [];
      let marker = false;
      const off = await other.subscribe(pattern, (_p, topic) => void got.push(topic));
      const offMarker = await other.subscribe(`${root}.marker`, () => void (marker = true));
      for (const t of topics) await bus.publish(t, { t });
      await bus.publish(`${root}.marker`, {});
      await until(() => marker, 'marker');
      await off();
      await offMarker();
      return got;
    }

    test('exact topic delivers the payload', async () => {
      const got: unknown[] = [];
      const off = await other.subscribe(`${root}.records.posts.create`, (p, topic) => void got.push([topic, p]));
      await bus.publish(`${root}.records.posts.create`, { id: 1, title: 'hi', tags: ['a'] });
      await until(() => got.length === 1, 'delivery');
      assert.deepEqual(got[0], [`${root}.records.posts.create`, { id: 1, title: 'hi', tags: ['a'] }]);
      await off();
    });

    test('`*` matches exactly one token', async () => {
      const got = await collect(`${root}.records.posts.*`, [`${root}.records.posts.create`, `${root}.records.posts`, `${root}.records.posts.a.b`, `${root}.records.users.create`]);
      assert.deepEqual(got, [`${root}.records.posts.create`]);
    });

    test('`>` matches one or more trailing tokens, not zero', async () => {
      const got = await collect(`${root}.records.>`, [`${root}.records`, `${root}.records.posts`, `${root}.records.posts.update`, `${root}.other.x`]);
      assert.deepEqual(got, [`${root}.records.posts`, `${root}.records.posts.update`]);
    });

    test('every subscriber gets its copy; unsubscribe stops delivery', async () => {
      let a = 0;
      let b = 0;
      const offA = await other.subscribe(`${root}.fan`, () => void a++);
      const offB = await other.subscribe(`${root}.fan`, () => void b++);
      await bus.publish(`${root}.fan`, 1);
      await until(() => a === 1 && b === 1, 'both subscribers');
      await offA();
      const got = await collect(`${root}.fan`, [`${root}.fan`]);
      assert.equal(got.length, 1);
      assert.equal(a, 1, 'unsubscribed handler got nothing more');
      await offB();
    });

    test('a throwing handler does not stop other handlers or later messages', async () => {
      let ok = 0;
      const offBad = await other.subscribe(`${root}.err`, () => {
        throw new Error('handler bug');
      });
      const offGood = await other.subscribe(`${root}.err`, () => void ok++);
      await bus.publish(`${root}.err`, 1);
      await bus.publish(`${root}.err`, 2);
      await until(() => ok === 2, 'both messages to the good handler');
      await offBad();
      await offGood();
    });

    test('bad topics and patterns are validation errors', async () => {
      await assert.rejects(bus.publish('bad topic', 1), { type: 'strata/validation' });
      await assert.rejects(bus.publish(`${root}.*`, 1), { type: 'strata/validation' });
      await assert.rejects(bus.subscribe('a.>.b', () => {}), { type: 'strata/validation' });
    });

    test('another instance receives what this one publishes', { skip: opts.shared ? false : 'in-process bus' }, async () => {
      const got: unknown[] = [];
      const off = await other.subscribe(`${root}.cross.*`, (p) => void got.push(p));
      await bus.publish(`${root}.cross.one`, 'from A');
      await until(() => got.length === 1, 'cross-instance delivery');
      assert.deepEqual(got, ['from A']);
      await off();
    });
  });
}
