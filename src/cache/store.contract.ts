// The one contract every CacheStore must pass, exercised through the typed Cache.
// Usage: cacheStoreContract('redis', { make: () => redisStore(...) }) inside a *.test.ts file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCache } from './cache.js';
import type { Cache, CacheStore } from './cache-types.js';

export interface StoreContractOptions {
  /** A fresh, empty store in its own namespace. */
  make: () => Promise<CacheStore>;
  /** A second store over the same engine and namespace (another instance), if the engine is shared. */
  sibling?: () => Promise<CacheStore>;
  /** Another namespace on the same engine, to prove clear() stays in its own. */
  neighbour?: () => Promise<CacheStore>;
  skip?: string | boolean;
}

export function cacheStoreContract(name: string, opts: StoreContractOptions): void {
  describe(`cache store contract: ${name}`, { skip: opts.skip }, () => {
    let cache: Cache;
    before(async () => {
      cache = createCache(await opts.make());
      await cache.clear();
    });
    after(async () => {
      await cache?.clear();
      await cache?.close();
    });

    test('miss, then round-trips values of every JSON-ish type and Buffers', async () => {
      assert.equal(await cache.get('nothing'), undefined);
      const values: unknown[] = [{ a: 1, b: [1, 'x', null], c: { d: true } }, 'text ✓', 42, 0, false, null, [1, 2, 3], Buffer.from([0, 255, 7])];
      for (const [i, v] of values.entries()) await cache.set(`val:${i}`, v);
      for (const [i, v] of values.entries()) assert.deepEqual(await cache.get(`val:${i}`), v);
    });

    test('overwrite replaces the value; delete and has', async () => {
      await cache.set('k', 'one');
      await cache.set('k', 'two');
      assert.equal(await cache.get('k'), 'two');
      assert.equal(await cache.has('k'), true);
      assert.equal(await cache.delete('k'), true);
      assert.equal(await cache.has('k'), false);
      assert.equal(await cache.get('k'), undefined);
    });

    test('ttl: an entry is gone after it expires, others stay', async () => {
      // Generous TTL: on a loaded machine the two writes below can take tens of ms.
      await cache.set('short', 's', { ttl: 1500 });
      await cache.set('long', 'l', { ttl: 60_000 });
      await cache.set('forever', 'f');
      assert.equal(await cache.get('short'), 's');
      await sleep(1800);
      assert.equal(await cache.get('short'), undefined);
      assert.equal(await cache.get('long'), 'l');
      assert.equal(await cache.get('forever'), 'f');
    });

    test('getOrSet computes once for concurrent misses (single-flight) and then hits', async () => {
      let calls = 0;
      const compute = async () => {
        calls++;
        await sleep(20);
        return { n: 7 };
      };
      const all = await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('sf', compute, { ttl: 60_000 })));
      assert.equal(calls, 1);
      for (const v of all) assert.deepEqual(v, { n: 7 });
      assert.deepEqual(await cache.getOrSet('sf', compute), { n: 7 });
      assert.equal(calls, 1);
    });

    test('getOrSet does not cache a failure', async () => {
      await assert.rejects(cache.getOrSet('boom', () => Promise.reject(new Error('nope'))), /nope/);
      assert.equal(await cache.getOrSet('boom', () => 'ok'), 'ok');
    });

    test('invalidateTag misses exactly the tagged entries; re-set entries hit again', async () => {
      await cache.set('t:a', 'a', { tags: ['x'] });
      await cache.set('t:b', 'b', { tags: ['x', 'y'] });
      await cache.set('t:c', 'c', { tags: ['y'] });
      await cache.set('t:d', 'd');
      await cache.invalidateTag('x');
      assert.deepEqual(await cache.mget(['t:a', 't:b', 't:c', 't:d']), [undefined, undefined, 'c', 'd']);
      await cache.set('t:a', 'a2', { tags: ['x'] });
      assert.equal(await cache.get('t:a'), 'a2');
      await cache.invalidateTag('y');
      assert.deepEqual(await cache.mget(['t:a', 't:c']), ['a2', undefined]);
    });

    test('mset and mget keep order and report misses', async () => {
      await cache.mset<unknown>([
        { key: 'm1', value: 1 },
        { key: 'm2', value: { two: 2 }, ttl: 60_000 },
        { key: 'm3', value: 'three', tags: ['mt'] },
      ]);
      assert.deepEqual(await cache.mget(['m3', 'missing', 'm1', 'm2']), ['three', undefined, 1, { two: 2 }]);
      assert.deepEqual(await cache.mget([]), []);
    });

    test('a 256 KiB value and keys with unusual characters round-trip', async () => {
      const big = 'x'.repeat(256 * 1024);
      await cache.set('big', big);
      assert.equal(await cache.get('big'), big);
      const odd = 'key with spaces/ünïcode\n*?[]' + 'k'.repeat(300);
      await cache.set(odd, 'odd');
      assert.equal(await cache.get(odd), 'odd');
      assert.equal(await cache.get(odd.slice(0, -1)), undefined);
    });

    test('invalid keys and undefined values are refused', async () => {
      await assert.rejects(cache.set('', 1), { type: 'strata/validation' });
      await assert.rejects(cache.set('u', undefined));
    });

    test('stats count hits and misses', async () => {
      const before = await cache.stats();
      await cache.set('st', 1);
      await cache.get('st');
      await cache.get('st-missing');
      const s = await cache.stats();
      assert.equal(s.hits - before.hits, 1);
      assert.equal(s.misses - before.misses, 1);
      assert.equal(typeof s.evictions, 'number');
    });

    test('clear empties the namespace', async () => {
      await cache.set('c1', 1);
      await cache.clear();
      assert.equal(await cache.get('c1'), undefined);
      await cache.set('c2', 2);
      assert.equal(await cache.get('c2'), 2);
    });

    test('another instance sees writes, deletes and tag invalidations', { skip: opts.sibling ? false : 'engine is not shared' }, async () => {
      const other = createCache(await (opts.sibling as () => Promise<CacheStore>)());
      try {
        await cache.set('shared', 'v1', { tags: ['st'] });
        assert.equal(await other.get('shared'), 'v1');
        await cache.set('shared', 'v2', { tags: ['st'] });
        assert.equal(await other.get('shared'), 'v2');
        await other.invalidateTag('st');
        assert.equal(await cache.get('shared'), undefined);
        await other.set('shared2', 'w');
        await other.delete('shared2');
        assert.equal(await cache.get('shared2'), undefined);
      } finally {
        await other.close();
      }
    });

    test('clear leaves other namespaces alone', { skip: opts.neighbour ? false : 'engine has one namespace per store' }, async () => {
      const other = createCache(await (opts.neighbour as () => Promise<CacheStore>)());
      try {
        await other.set('n', 'keep');
        await cache.set('n', 'drop');
        await cache.clear();
        assert.equal(await cache.get('n'), undefined);
        assert.equal(await other.get('n'), 'keep');
      } finally {
        await other.clear();
        await other.close();
      }
    });
  });
}
