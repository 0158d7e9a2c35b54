import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeCollections, type Collection } from '../data/index.js';
import { argReaderFor, filterLiterals, type ArgPart, type StrataSchema } from './strata-args.js';

const cols = new Map<string, Collection>(normalizeCollections([
  { name: 'posts', fields: [{ name: 'title', type: 'text' }, { name: 'price', type: 'number' }, { name: 'pinned', type: 'boolean' }, { name: 'published', type: 'date' },
    { name: 'status', type: 'select', values: ['draft', 'live'] }, { name: 'owner', type: 'relation', collection: 'posts' }], fullText: ['title'] },
] as never).map((c) => [c.name, c]));
const schema: StrataSchema = { collections: () => cols };
const q = (name: string, value: string): ArgPart => ({ location: 'query', name, value });
const b = (name: string, value: string): ArgPart => ({ location: 'body', name, value });

test('filterLiterals: the string literals of a filter, none of @@ operands; undefined when it does not parse', () => {
  assert.deepEqual(filterLiterals('title ~ "where" && price >= 10'), ['where']);
  assert.deepEqual(filterLiterals("(status = 'published' && author != '')"), ['published']);
  assert.deepEqual(filterLiterals('title @@ "it\'s" && title ~ "x"'), ['x']);
  assert.equal(filterLiterals("1' union select password from users--"), undefined);
  assert.equal(filterLiterals("name ~ 'O''Brien'"), undefined);
});

test('records list: filter becomes its literals, name lists disappear, anything else is as it was', () => {
  const r = argReaderFor(schema, { method: 'GET', path: '/api/collections/posts/records' })!;
  assert.deepEqual(r.query([q('filter', 'title ~ "where"'), q('sort', '-created,title'), q('fields', 'id,title'), q('expand', 'owner.owner'), q('page', '2')]),
    [q('filter', 'where'), q('page', '2')]);
  // not Strata's grammar: inspected raw
  assert.deepEqual(r.query([q('filter', "x' or 1=1--"), q('sort', '(select 1)')]), [q('filter', "x' or 1=1--"), q('sort', '(select 1)')]);
  // unknown collections and other routes: no reader
  assert.equal(argReaderFor(schema, { method: 'GET', path: '/api/collections/nope/records' }), undefined);
  assert.equal(argReaderFor(schema, { method: 'GET', path: '/api/items' }), undefined);
  assert.equal(argReaderFor(undefined, { method: 'GET', path: '/api/collections/posts/records' }), undefined);
});

test('record writes: typed values that validate are not text; others are tagged with their field', () => {
  const r = argReaderFor(schema, { method: 'POST', path: '/api/collections/posts/records' })!;
  const out = r.body([b('title', "O'Brien"), b('price', '12.5'), b('pinned', 'true'), b('published', '2026-01-02T03:04:05Z'), b('status', 'live'), b('owner', 'abcde12345'), b('price', "1' or 1=1--"), b('status', '<script>')]);
  assert.deepEqual(out, [{ ...b('title', "O'Brien"), field: 'posts.title' }, { ...b('price', "1' or 1=1--"), field: 'posts.price' }, { ...b('status', '<script>'), field: 'posts.status' }]);
  // the query of a write carries fields/expand only: a filter there is not Strata's to parse
  assert.deepEqual(r.query([q('filter', 'a = "b"')]), [q('filter', 'a = "b"')]);
});

test('batch and Connect: the same knowledge where the same names appear', () => {
  const batch = argReaderFor(schema, { method: 'POST', path: '/api/batch' })!;
  assert.deepEqual(batch.body([b('operations.0.collection', 'posts'), b('operations.0.action', 'create'), b('operations.0.body.price', '3'), b('operations.0.body.title', 'x'), b('operations.1.body.price', '3')]),
    [b('operations.0.collection', 'posts'), b('operations.0.action', 'create'), { ...b('operations.0.body.title', 'x'), field: 'posts.title' }, b('operations.1.body.price', '3')]);
  const list = argReaderFor(schema, { method: 'POST', path: '/strata.posts.RecordService/List' })!;
  assert.deepEqual(list.body([b('filter', 'price >= 10 && title ~ "where"'), b('sort', '-price')]), [b('filter', 'where')]);
  const create = argReaderFor(schema, { method: 'POST', path: '/strata.posts.RecordService/Create' })!;
  assert.deepEqual(create.body([b('record.price', '4'), b('record.title', 't')]), [{ ...b('record.title', 't'), field: 'posts.title' }]);
});
