// Framed AES-256-GCM: round trip, and every way of spoiling an archive fails before its bytes are used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveCipherError, archiveKey, decryptFrames, encryptFrames, headerDigest, newArchiveKey } from './archive-cipher.js';

const collect = async (chunks: Buffer[], t: NodeJS.ReadWriteStream): Promise<Buffer> => {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), t, async function* (src) {
    for await (const c of src) out.push(c as Buffer);
  });
  return Buffer.concat(out);
};

test('frames round-trip; a changed header, frame, order, end or tail and a wrong key all fail', async () => {
  const { key, header } = await newArchiveKey({ kind: 'key', key: randomBytes(32) });
  const head = Buffer.from(JSON.stringify(header));
  const plain = randomBytes(200_000);
  const sealed = await collect([plain.subarray(0, 70_000), plain.subarray(70_000)], encryptFrames(key, header, headerDigest(head)));
  assert.deepEqual(await collect([sealed], decryptFrames(key, header, headerDigest(head))), plain);
  const frame = 5 + 65_536 + 16; // the first three frames are full
  const fails = async (bytes: Buffer, digest = headerDigest(head), k = key, message = /damaged|altered|truncated|after its end/) =>
    assert.rejects(collect([bytes], decryptFrames(k, header, digest)), (e: Error) => e instanceof ArchiveCipherError && message.test(e.message));
  await fails(sealed, headerDigest(Buffer.from(head.toString() + ' ')));
  const flipped = Buffer.from(sealed);
  flipped[frame + 100] ^= 1;
  await fails(flipped);
  await fails(Buffer.concat([sealed.subarray(frame, 2 * frame), sealed.subarray(0, frame), sealed.subarray(2 * frame)]));
  await fails(sealed.subarray(0, 3 * frame), undefined, undefined, /truncated/);
  await fails(Buffer.concat([sealed, sealed.subarray(0, frame)]), undefined, undefined, /after its end/);
  await fails(sealed, undefined, randomBytes(32));
  await assert.rejects(archiveKey({ kind: 'key', key: randomBytes(32) }, header), /wrong key or passphrase/);
  await assert.rejects(archiveKey({ kind: 'passphrase', passphrase: 'a passphrase long enough' }, header), /key file, not a passphrase/);
  const p = await newArchiveKey({ kind: 'passphrase', passphrase: 'a passphrase long enough' });
  assert.deepEqual(await archiveKey({ kind: 'passphrase', passphrase: 'a passphrase long enough' }, p.header), p.key);
  await assert.rejects(newArchiveKey({ kind: 'passphrase', passphrase: 'short' }), /at least 12 characters/);
});
