// Stable Protocol Buffers field numbers across migrations: adding a field keeps the others' numbers,
// a dropped (or retyped) field's number is `reserved` and never reused, and a client built from the
// old .proto still talks to the new schema (checked with protoc, an independent encoder/decoder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protobufCodec, protoSource } from '../src/formats/index.js';
import type { CollectionConfig } from '../src/config/schema-data.js';
import { layerFor } from './data-contract.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const numbers = (proto: string) => Object.fromEntries([...proto.slice(0, proto.indexOf('message RecordList')).matchAll(/^\s+(?:optional |repeated )?\w+ (\w+) = (\d+);$/gm)].map((m) => [m[1], Number(m[2])]));
const hasProtoc = spawnSync('protoc', ['--version']).status === 0;

for (const engine of [
  { name: 'sqlite', url: '', skip: false as const },
  { name: 'postgres', url: PG_URL, skip: await unreachable(5432) },
]) {
  test(`${engine.name}: field numbers survive adding, dropping and retyping fields`, { skip: engine.skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-proto-'));
    const env = { url: engine.url, dataDir: dir, prefix: uniquePrefix() };
    const v1: CollectionConfig[] = [{ name: 'items', fields: [{ name: 'a', type: 'text' }, { name: 'b', type: 'text' }, { name: 'c', type: 'text' }] }];
    const v2: CollectionConfig[] = [{ name: 'items', fields: [{ name: 'a', type: 'text' }, { name: 'd', type: 'integer' }, { name: 'c', type: 'integer' }] }];
    const v3: CollectionConfig[] = [{ name: 'items', fields: [{ name: 'e', type: 'boolean' }, { name: 'a', type: 'text' }, { name: 'd', type: 'integer' }, { name: 'c', type: 'integer' }] }];
    const layers: ReturnType<typeof layerFor>[] = [];
    const open = async (cols: CollectionConfig[]) => {
      const l = layerFor(env, cols, { allowDestructive: true });
      layers.push(l);
      await l.start();
      return l;
    };
    try {
      const l1 = await open(v1);
      const p1 = protoSource(l1.records.collection('items'));
      assert.deepEqual(numbers(p1), { id: 1, created: 2, updated: 3, a: 4, b: 5, c: 6, expand: 1000 }, 'first numbering is declaration order');
      assert.doesNotMatch(p1, /^\s+reserved/m);
      await l1.stop();

      // b dropped, d added before c, c retyped text -> integer (a new number; the old one reserved)
      const l2 = await open(v2);
      const c2 = l2.records.collection('items');
      const p2 = protoSource(c2);
      assert.deepEqual(numbers(p2), { id: 1, created: 2, updated: 3, a: 4, d: 7, c: 8, expand: 1000 });
      assert.match(p2, /^ {2}reserved 5, 6;$/m);
      assert.match(p2, /^ {2}reserved "b";$/m);
      await l2.stop();

      // a field added first in the declaration still gets the next number; nothing else moves
      const l3 = await open(v3);
      const c3 = l3.records.collection('items');
      const p3 = protoSource(c3);
      assert.deepEqual(numbers(p3), { id: 1, created: 2, updated: 3, e: 9, a: 4, d: 7, c: 8, expand: 1000 });
      // a restart without changes keeps everything
      await l3.stop();
      const again = await open(v3);
      assert.equal(protoSource(again.records.collection('items')), p3);

      // the codec uses the same numbers: a record written by the new schema decodes by number
      const rec = (await again.records.create('items', { a: 'kept', d: 7, c: 3, e: true })).record;
      const bin = protobufCodec.encodeRecord(again.records.collection('items'), rec);
      assert.deepEqual(protobufCodec.decodeRecord(again.records.collection('items'), bin), { id: rec.id, created: rec.created, updated: rec.updated, a: 'kept', d: 7, c: 3, e: true });

      if (hasProtoc) {
        // a client still on the v1 .proto: `a` round-trips; its `b`/`c` (now reserved numbers) are ignored
        writeFileSync(join(dir, 'old.proto'), p1.replace('package strata.items;', 'package old.items;'));
        writeFileSync(join(dir, 'new.proto'), p3);
        const oldText = execFileSync('protoc', [`--proto_path=${dir}`, '--decode=old.items.Record', 'old.proto'], { input: bin }).toString();
        assert.match(oldText, /a: "kept"/);
        assert.doesNotMatch(oldText, /\bc: /, 'the old client does not misread the retyped c');
        const fromOld = execFileSync('protoc', [`--proto_path=${dir}`, '--encode=old.items.Record', 'old.proto'], { input: 'a: "from old"\nb: "gone"\nc: "old text"\n' });
        assert.deepEqual(protobufCodec.decodeRecord(again.records.collection('items'), fromOld), { a: 'from old' });
        const newText = execFileSync('protoc', [`--proto_path=${dir}`, '--decode=strata.items.Record', 'new.proto'], { input: bin }).toString();
        assert.match(newText, /c: 3/);
        assert.match(newText, /e: true/);
      }
    } finally {
      const last = layers[layers.length - 1];
      if (engine.name !== 'sqlite') {
        const { dropAll, normalizeCollections } = await import('../src/data/index.js');
        const l = layerFor(env, v3, { migrateOnStart: false });
        await l.start();
        await dropAll(l.db, { dialect: l.dialect, names: l.names }, normalizeCollections(v3));
        await l.stop();
      }
      for (const l of layers) if (l !== last) await l.stop().catch(() => undefined);
      await last?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
