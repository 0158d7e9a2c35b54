// The `file` field type: declaration checks, defaults, and values (stored names only) — issue 19 slice 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../src/core/index.js';
import { FILE_MAX_SIZE, normalizeCollections } from '../src/data/index.js';
import { validateInput } from '../src/data/record-validate.js';
import type { CollectionConfig } from '../src/config/schema-data.js';
import { avroRecordSchema, protoSource } from '../src/formats/index.js';
import { openapiDocument } from '../src/api/index.js';
import { fileTokens } from '../src/api/files/index.js';

const col = (fields: CollectionConfig['fields']): CollectionConfig => ({ name: 'docs', fields });
const docs = (fields: CollectionConfig['fields']) => normalizeCollections([col(fields)]).find((c) => c.name === 'docs')!;

test('a file field gets defaults: one file, 5 MiB, any type, no thumbs, not protected', () => {
  const f = docs([{ name: 'avatar', type: 'file' }]).fields[0]!;
  assert.equal(f.multiple, false);
  assert.deepEqual(f.file, { maxSelect: 1, maxSize: FILE_MAX_SIZE, mimeTypes: [], thumbs: [], protected: false });
  const many = docs([{ name: 'scans', type: 'file', file: { maxSelect: 3, mimeTypes: ['image/png'], thumbs: ['100x100'], protected: true } }]).fields[0]!;
  assert.equal(many.multiple, true);
  assert.equal(many.file?.maxSelect, 3);
});

test('file options on other fields, and unique/indexed/default on file fields, are refused', () => {
  assert.throws(() => docs([{ name: 'a', type: 'text', file: { maxSize: 10 } }]), (e: unknown) => e instanceof ValidationError && /file options/.test(JSON.stringify(e.errors)));
  assert.throws(() => docs([{ name: 'a', type: 'file', unique: true }]), ValidationError);
  assert.throws(() => docs([{ name: 'a', type: 'file', multiple: true }]), ValidationError);
});

test('values are stored names: a client name, a path or too many names are refused', () => {
  const c = docs([{ name: 'one', type: 'file' }, { name: 'many', type: 'file', file: { maxSelect: 2 } }]);
  assert.deepEqual(validateInput(c, { one: 'report_abcdefghij.pdf', many: ['a_0123456789.png'] }, false), { one: 'report_abcdefghij.pdf', many: ['a_0123456789.png'] });
  assert.deepEqual(validateInput(c, { one: '' }, true), { one: null });
  for (const bad of [{ one: '../etc/passwd' }, { one: 'Report.pdf' }, { one: 5 }, { many: ['a_0123456789.png', 'b_0123456789.png', 'c_0123456789.png'] }, { many: 'a_0123456789.png' }]) {
    assert.throws(() => validateInput(c, bad, true), ValidationError, JSON.stringify(bad));
  }
  const req = docs([{ name: 'one', type: 'file', required: true }]);
  assert.throws(() => validateInput(req, {}, false), ValidationError);
});

test('OpenAPI, .proto and Avro show a multiple file field as a list of strings', () => {
  const c = docs([{ name: 'scans', type: 'file', file: { maxSelect: 3 } }, { name: 'one', type: 'file' }]);
  assert.match(protoSource(c), /repeated string scans = /);
  const avro = avroRecordSchema(c) as { fields: { name: string; type: unknown }[] };
  assert.deepEqual(avro.fields.find((f) => f.name === 'scans')?.type, ['null', { type: 'array', items: 'string' }]);
  const doc = openapiDocument([c], { title: 't', version: '1' }) as { components: { schemas: Record<string, { properties: Record<string, { type: unknown; maxItems?: number }> }> } };
  const scans = doc.components.schemas.docs_record!.properties.scans!;
  assert.equal(scans.type, 'array');
  assert.equal(scans.maxItems, 3);
  assert.deepEqual(doc.components.schemas.docs_record!.properties.one!.type, ['string', 'null']);
});

test('file tokens: the caller comes back until they expire; forged or tampered tokens are refused', () => {
  let now = 1_000_000;
  const tokens = fileTokens(Buffer.alloc(32, 7), 120, () => now);
  const p = { id: 'abcdefghijklmno', collection: 'users', superuser: false, scopes: [] };
  const { token, expiresAt } = tokens.issue(p);
  assert.equal(expiresAt, new Date(1_000_000 + 120_000).toISOString());
  assert.deepEqual(tokens.verify(token), p);
  assert.equal(fileTokens(Buffer.alloc(32, 8), 120, () => now).verify(token), undefined);
  const [body, sig] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), s: 1 })).toString('base64url');
  assert.equal(tokens.verify(`${forged}.${sig}`), undefined);
  now += 120_000;
  assert.equal(tokens.verify(token), undefined);
});
