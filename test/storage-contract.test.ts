// The blob storage contract, on the data directory and on a real S3-compatible server (s3rver).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { localBlobStore, s3BlobStore, StorageError, StorageNotFoundError, type BlobStore } from '../src/storage/index.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

const bytesOf = async (r: Readable) => {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

function contract(name: string, open: () => Promise<{ store: BlobStore; done: () => Promise<void> }>): void {
  describe(`blob store contract: ${name}`, { timeout: 120_000 }, () => {
    let store: BlobStore;
    let done: () => Promise<void>;
    before(async () => ({ store, done } = await open()));
    after(async () => {
      await store?.close();
      await done?.();
    });

    test('put/get/head/list/delete round-trip, streamed, including a multi-part upload', async () => {
      const small = randomBytes(1000);
      const big = randomBytes(20 * 1024 * 1024 + 123); // more than two 8 MiB parts
      assert.equal((await store.put('a/one.bin', small)).bytes, 1000);
      assert.equal((await store.put('a/two.bin', Readable.from((function* () {
        for (let i = 0; i < big.length; i += 1 << 20) yield big.subarray(i, i + (1 << 20));
      })()))).bytes, big.length);
      await store.put('b.txt', Buffer.from('b'));
      assert.deepEqual(await bytesOf(await store.get('a/one.bin')), small);
      assert.ok((await bytesOf(await store.get('a/two.bin'))).equals(big));
      assert.equal((await store.head('a/two.bin'))?.bytes, big.length);
      assert.equal(await store.head('nope.bin'), undefined);
      assert.deepEqual((await store.list('a/')).map((b) => b.key), ['a/one.bin', 'a/two.bin']);
      assert.deepEqual((await store.list()).map((b) => b.key), ['a/one.bin', 'a/two.bin', 'b.txt']);
      await store.delete('a/one.bin');
      await store.delete('a/one.bin');
      assert.deepEqual((await store.list('a/')).map((b) => b.key), ['a/two.bin']);
      await assert.rejects(store.get('a/one.bin'), StorageNotFoundError);
      await store.put('b.txt', Buffer.from('replaced'));
      assert.equal((await bytesOf(await store.get('b.txt'))).toString(), 'replaced');
    });

    test('get with a byte range returns exactly those bytes (start and end inclusive)', async () => {
      const body = randomBytes(10_000);
      await store.put('ranged/file.bin', body);
      assert.ok((await bytesOf(await store.get('ranged/file.bin', { start: 100, end: 199 }))).equals(body.subarray(100, 200)));
      assert.ok((await bytesOf(await store.get('ranged/file.bin', { start: 9_990, end: 9_999 }))).equals(body.subarray(9_990)));
      await assert.rejects(store.get('ranged/none.bin', { start: 0, end: 1 }), StorageNotFoundError);
    });

    test('keys that could leave the store are refused', async () => {
      for (const bad of ['../x', 'a/../../x', '/abs', '', 'a//b', 'a/./b', 'sp ace', 'x'.repeat(300)]) {
        await assert.rejects(store.put(bad, Buffer.from('x')), StorageError, bad);
        await assert.rejects(store.get(bad), StorageError, bad);
      }
    });
  });
}

contract('local', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-blobs-'));
  return { store: localBlobStore(dir), done: async () => rmSync(dir, { recursive: true, force: true }) };
});

let s3: TestS3;
contract('s3 (s3rver)', async () => {
  s3 = await startS3();
  const store = await s3BlobStore({ bucket: s3.bucket, prefix: 'contract', endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  return { store, done: () => s3.close() };
});
