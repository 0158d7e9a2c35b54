// The ResponseStore contract: every store backing the response cache must pass these tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResponseStore, StoredResponse } from './response-store.js';

const entry = (body: string): StoredResponse => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from(body), requestTime: 1, responseTime: 2 });

/** Registers the contract tests for a store made by `make` (a fresh, empty store per test). */
export function responseStoreContract(name: string, make: () => Promise<ResponseStore> | ResponseStore): void {
  test(`${name}: set then get returns the entry; delete removes it`, async () => {
    const s = await make();
    await s.set('k1', entry('one'), { ttlMs: 60_000, tags: [] });
    const got = await s.get('k1');
    assert.ok(got && 'body' in got);
    assert.ok(Buffer.isBuffer(got.body), 'bodies come back as Buffers');
    assert.equal(got.body.toString(), 'one');
    assert.deepEqual(got.headers, { 'content-type': 'text/plain' });
    assert.equal(got.status, 200);
    assert.equal(await s.delete('k1'), true);
    assert.equal(await s.get('k1'), undefined);
    assert.equal(await s.delete('k1'), false);
  });

  test(`${name}: entries expire after their TTL`, async () => {
    const s = await make();
    await s.set('short', entry('x'), { ttlMs: 30, tags: [] });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await s.get('short'), undefined);
  });

  test(`${name}: deleteByTag removes every entry with the tag and only those`, async () => {
    const s = await make();
    await s.set('a', entry('a'), { ttlMs: 60_000, tags: ['t:red', 'u:/a'] });
    await s.set('b', entry('b'), { ttlMs: 60_000, tags: ['t:red'] });
    await s.set('c', entry('c'), { ttlMs: 60_000, tags: ['t:blue'] });
    const n = await s.deleteByTag('t:red');
    if (n !== undefined) assert.equal(n, 2, 'a store that counts must count right');
    assert.equal(await s.get('a'), undefined);
    assert.equal(await s.get('b'), undefined);
    assert.ok(await s.get('c'));
    const again = await s.deleteByTag('t:red');
    if (again !== undefined) assert.equal(again, 0);
  });

  test(`${name}: overwriting replaces the value and its tags`, async () => {
    const s = await make();
    await s.set('k', entry('old'), { ttlMs: 60_000, tags: ['t:old'] });
    await s.set('k', entry('new'), { ttlMs: 60_000, tags: ['t:new'] });
    const n = await s.deleteByTag('t:old');
    if (n !== undefined) assert.equal(n, 0);
    const got = await s.get('k');
    assert.ok(got && 'body' in got && got.body.toString() === 'new', 'purging an old tag spares the rewritten entry');
    await s.deleteByTag('t:new');
    assert.equal(await s.get('k'), undefined);
  });

  test(`${name}: vary index entries round-trip`, async () => {
    const s = await make();
    await s.set('p', { varyOn: ['accept-language'] }, { ttlMs: 60_000, tags: ['u:/p'] });
    assert.deepEqual(await s.get('p'), { varyOn: ['accept-language'] });
  });
}

