// Encrypted fields on every engine through the data layer: ciphertext in the raw row (read with a plain SELECT),
// plaintext from the records service, a field switched to `encrypted` on existing data keeps its old plaintext
// readable until `strata keys rotate` encrypts it, and a copied ciphertext does not decrypt in another record.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Value } from '@sinclair/typebox/value';
import { createFieldCipher, loadFieldKeys } from '../src/crypto/index.js';
import { loadConfig } from '../src/config/index.js';
import { DataSchema, type CollectionConfig, type DataConfig } from '../src/config/schema-data.js';
import { createDataLayer, dropAll, normalizeCollections, type DataLayer } from '../src/data/index.js';
import type { StrataError } from '../src/core/index.js';
import { keysRotate } from '../src/server/index.js';
import { MYSQL_URL, PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const plain: CollectionConfig[] = [{ name: 'people', fields: [{ name: 'name', type: 'text' }, { name: 'secret', type: 'text' }, { name: 'meta', type: 'json' }] }];
const sealed: CollectionConfig[] = [{ name: 'people', fields: [{ name: 'name', type: 'text' }, { name: 'secret', type: 'text', encrypted: true }, { name: 'meta', type: 'json', encrypted: true }] }];

function engine(name: string, url: string, skip: false | string): void {
  describe(`encrypted fields: ${name}`, { skip }, () => {
    test('legacy plaintext, ciphertext at rest, rotation encrypts the rest', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'strata-enc-'));
      const prefix = url ? uniquePrefix() : '';
      const keyFile = join(dir, 'keys', 'encryption.json');
      const cipher = createFieldCipher(await loadFieldKeys({ keyFile }));
      const make = (collections: CollectionConfig[]): DataLayer =>
        createDataLayer({ dataDir: dir, data: Value.Default(DataSchema, { url, tablePrefix: prefix, poolSize: 2, schemaPollInterval: 0 }) as DataConfig, collections, cipher });
      const raw = async (layer: DataLayer, id: string) =>
        (await sql<Record<string, unknown>>`SELECT secret, meta FROM ${sql.table(layer.names.record('people'))} WHERE id = ${id}`.execute(layer.db)).rows[0];
      let layer = make(plain);
      try {
        await layer.start();
        const old = await layer.records.create('people', { name: 'old', secret: 'before', meta: { a: 1 } });
        await layer.stop();

        layer = make(sealed);
        assert.deepEqual((await layer.migrate({ dryRun: true })).plan, ['change field people.secret (text -> text, encrypted)', 'change field people.meta (json -> json, encrypted)']);
        await layer.start();
        const oldId = String(old.record.id);
        // values from before the switch are still plaintext and still readable
        assert.deepEqual((await layer.records.get('people', oldId)).record.meta, { a: 1 });
        const fresh = await layer.records.create('people', { name: 'new', secret: 'after', meta: { b: [1, 2] } });
        const id = String(fresh.record.id);
        const row = await raw(layer, id);
        assert.match(String(row.secret), /^enc:v1:/);
        assert.match(String(row.meta), /^enc:v1:/);
        assert.deepEqual([(await layer.records.get('people', id)).record.secret, (await layer.records.get('people', id)).record.meta], ['after', { b: [1, 2] }]);
        await assert.rejects(layer.records.list('people', { filter: 'secret = "after"' }), (e: StrataError) => e.status === 400);

        // a ciphertext copied into another record does not decrypt there (bound to its record id)
        await sql`UPDATE ${sql.table(layer.names.record('people'))} SET secret = ${String(row.secret)} WHERE id = ${oldId}`.execute(layer.db);
        await assert.rejects(layer.records.get('people', oldId), (e: StrataError) => e.status === 500 && e.type === 'strata/decryption-failed');
        await sql`UPDATE ${sql.table(layer.names.record('people'))} SET secret = ${'before'} WHERE id = ${oldId}`.execute(layer.db);
        await layer.stop();

        // rotation: a new key, every value (the old plaintext ones too) under it
        const cwd = mkdtempSync(join(tmpdir(), 'strata-enc-cfg-'));
        writeFileSync(join(cwd, 'strata.yaml'), JSON.stringify({ dataDir: dir, data: { url, tablePrefix: prefix }, collections: sealed, auth: { encryption: { keyFile } } }));
        const config = loadConfig({ cwd, env: {} }).config;
        const lines: string[] = [];
        const r = await keysRotate({ config, env: {}, batch: 1, out: { write: (s) => void lines.push(s) } });
        rmSync(cwd, { recursive: true, force: true });
        assert.equal(r.rewritten, 2);
        assert.ok(lines.some((l) => l === 'keys rotate: people 2/2\n'), lines.join(''));

        const rotated = createFieldCipher(await loadFieldKeys({ keyFile }));
        assert.equal(rotated.currentKid, r.kid);
        layer = createDataLayer({ dataDir: dir, data: Value.Default(DataSchema, { url, tablePrefix: prefix, poolSize: 2, schemaPollInterval: 0 }) as DataConfig, collections: sealed, cipher: rotated });
        await layer.start();
        for (const x of [oldId, id]) {
          const rr = await raw(layer, x);
          assert.equal(rotated.keyIdOf(String(rr.secret)), r.kid);
          assert.equal(rotated.keyIdOf(String(rr.meta)), r.kid);
        }
        assert.equal((await layer.records.get('people', oldId)).record.secret, 'before');
        assert.deepEqual((await layer.records.get('people', id)).record.meta, { b: [1, 2] });
      } finally {
        if (url) await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections(sealed)).catch(() => undefined);
        await layer.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

engine('sqlite', '', false);
engine('postgres', PG_URL, await unreachable(5432));
engine('mysql', MYSQL_URL, await unreachable(3306));

test('keys rotate covers collections made over the admin API', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-enc-api-'));
  const cwd = mkdtempSync(join(tmpdir(), 'strata-enc-api-cfg-'));
  try {
    const keyFile = join(dir, 'keys', 'encryption.json');
    const data = Value.Default(DataSchema, { schemaPollInterval: 0 }) as DataConfig;
    let layer = createDataLayer({ dataDir: dir, data, collections: [], cipher: createFieldCipher(await loadFieldKeys({ keyFile })) });
    await layer.start();
    await layer.admin.change({ action: 'create', definition: { name: 'vault', fields: [{ name: 's', type: 'text', encrypted: true }] } });
    const id = String((await layer.records.create('vault', { s: 'hidden' })).record.id);
    await layer.stop();

    writeFileSync(join(cwd, 'strata.yaml'), JSON.stringify({ dataDir: dir, auth: { encryption: { keyFile } } }));
    const r = await keysRotate({ config: loadConfig({ cwd, env: {} }).config, env: {}, out: { write: () => undefined } });
    assert.equal(r.rewritten, 1);

    const rotated = createFieldCipher(await loadFieldKeys({ keyFile }));
    layer = createDataLayer({ dataDir: dir, data, collections: [], cipher: rotated });
    await layer.start();
    try {
      const row = (await sql<{ s: string }>`SELECT s FROM vault WHERE id = ${id}`.execute(layer.db)).rows[0];
      assert.equal(rotated.keyIdOf(row.s), r.kid);
      assert.equal((await layer.records.get('vault', id)).record.s, 'hidden');
    } finally {
      await layer.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
});
