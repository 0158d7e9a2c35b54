// The filter language: parser positions, and a fuzz run (random and mutated filters) through the
// real records service on SQLite: anything but a 400 ValidationError, or SQL that fails, is a bug.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../src/core/index.js';
import { parseFilter, type DataLayer } from '../src/data/index.js';
import { layerFor } from './data-contract.js';

test('parser builds the AST with precedence and positions', () => {
  const ast = parseFilter('a = 1 || b = 2 && c = 3');
  assert.equal(ast.kind, 'or');
  const e = (() => {
    try {
      parseFilter('title ~ "x" && (views >');
    } catch (err) {
      return err;
    }
  })();
  assert.ok(e instanceof ValidationError);
  assert.equal((e as ValidationError).extensions?.position, 23);
  assert.deepEqual(parseFilter(`x = 'it\\'s'`), { kind: 'compare', op: '=', any: false, left: { kind: 'path', path: ['x'], pos: 0 }, right: { kind: 'literal', value: "it's", pos: 4 }, pos: 2 });
  assert.throws(() => parseFilter('('.repeat(40) + 'a = 1' + ')'.repeat(40)), ValidationError);
  assert.throws(() => parseFilter('a = 1 && '.repeat(200) + 'a = 1'), ValidationError);
  assert.throws(() => parseFilter('x'.repeat(5000)), ValidationError);
});

const dir = mkdtempSync(join(tmpdir(), 'strata-fuzz-'));
let layer: DataLayer;
before(async () => {
  layer = layerFor({ url: '', dataDir: dir, prefix: '' });
  await layer.start();
  await layer.records.create('users', { name: 'A' });
});
after(async () => {
  await layer.stop();
  rmSync(dir, { recursive: true, force: true });
});

// a small seeded PRNG so a failure can be replayed
function rng(seed: number) {
  return () => ((seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

const PIECES = ['title', 'views', 'author.name', 'tags.label', 'meta.a.b', 'id', 'created', 'pinned', 'published', 'score', 'nope', 'author.x.y',
  '=', '!=', '>', '>=', '<', '<=', '~', '!~', '?=', '?~', '?>', '@@', '&&', '||', '(', ')', '"x"', "'y'", '1', '-2.5', '1e400', 'true', 'false', 'null',
  '"; DROP TABLE posts; --"', "' OR 1=1 --", '\\', '"', "'", '.', '$', '%', '_', '\u0000', '😀', ' '];
const VALID = [
  'title ~ "strata" && (views > 10 || pinned = true) && created >= "2026-01-01"',
  'author.name = "A" || tags.label ?= "x"',
  'meta.a.b > 5 && published != null',
  'views > score && title @@ "hello"',
];

test('fuzz: random and mutated filters only ever fail with a 400 ValidationError', async () => {
  const rand = rng(20261125);
  const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const inputs: string[] = [];
  for (let i = 0; i < 1500; i++) inputs.push(Array.from({ length: 1 + Math.floor(rand() * 9) }, () => pick(PIECES)).join(rand() < 0.8 ? ' ' : ''));
  for (let i = 0; i < 1500; i++) {
    let s = pick(VALID);
    for (let m = 0; m < 1 + Math.floor(rand() * 4); m++) {
      const at = Math.floor(rand() * (s.length + 1));
      const op = rand();
      if (op < 0.33) s = s.slice(0, at) + s.slice(at + 1);
      else if (op < 0.66) s = s.slice(0, at) + pick(PIECES) + s.slice(at);
      else s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + s.slice(at + 1);
    }
    inputs.push(s);
  }
  let ok = 0;
  let rejected = 0;
  for (const filter of inputs) {
    try {
      await layer.records.list('posts', { filter, perPage: 1 });
      ok++;
    } catch (e) {
      if (!(e instanceof ValidationError) || e.status !== 400) assert.fail(`filter ${JSON.stringify(filter)} threw ${String(e)}`);
      rejected++;
    }
  }
  assert.ok(ok > 50 && rejected > 50, `both outcomes exercised (ok ${ok}, rejected ${rejected})`);
});

test('fuzz: Mongo-style query documents and body decoders only ever fail with 4xx', async () => {
  const { DEFAULT_CODECS } = await import('../src/api/index.js');
  const { StrataError } = await import('../src/core/index.js');
  const rand = rng(42);
  const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const keys = ['kind', 'nested.n', 'nested.tags', 'nested.tags.0', 'id', '$and', '$or', '$not', '$gt', '$in', '$exists', '$ne', '$nin', '$regex', 'a"b', 'a..b', '', '__proto__'];
  const vals = (): unknown => {
    const r = rand();
    if (r < 0.15) return pick([1, -2.5, 'x', true, false, null, 1e308]);
    if (r < 0.3) return [pick([1, 'a', null]), pick([{}, [], 2])];
    if (r < 0.5) return {};
    return { [pick(keys)]: rand() < 0.5 ? pick([1, 'a', null, true]) : vals() };
  };
  const docs: string[] = [];
  for (let i = 0; i < 600; i++) {
    const doc = JSON.stringify({ [pick(keys)]: vals(), ...(rand() < 0.3 ? { [pick(keys)]: vals() } : {}) });
    docs.push(rand() < 0.2 ? doc.slice(0, Math.floor(rand() * doc.length)) : doc);
  }
  for (const filter of docs) {
    try {
      await layer.records.list('notes', { filter, perPage: 1 });
    } catch (e) {
      if (!(e instanceof ValidationError)) assert.fail(`filter ${filter} threw ${String(e)}`);
    }
  }
  const posts = layer.records.collection('posts');
  for (const codec of DEFAULT_CODECS) {
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      try {
        const input = codec.decodeRecord(posts, bytes, false);
        await layer.records.create('posts', input).catch((e) => {
          if (!(e instanceof StrataError) || e.status >= 500) throw e;
        });
      } catch (e) {
        if (!(e instanceof StrataError) || e.status >= 500) assert.fail(`${codec.name} on ${bytes.toString('hex')} threw ${String(e)}`);
      }
    }
  }
});

test('date macros are read when the filter is parsed: each parse of the same text gets the clock of its time', async () => {
  const at = (src: string) => ((parseFilter(src) as { right: { value: unknown } }).right.value);
  const first = at('created < @now');
  await new Promise((r) => setTimeout(r, 5));
  const second = at('created < @now');
  assert.match(String(first), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(String(second) > String(first), 'a later parse reads a later @now');
  const today = new Date().toISOString().slice(0, 10);
  assert.equal(at('created >= @todayStart'), `${today}T00:00:00.000Z`);
  assert.equal(at('created <= @todayEnd'), `${today}T23:59:59.999Z`);
  assert.equal(at('created >= @yearStart'), `${today.slice(0, 4)}-01-01T00:00:00.000Z`);
  assert.equal(at('created <= @yearEnd'), `${today.slice(0, 4)}-12-31T23:59:59.999Z`);
  assert.equal(at('x = @weekday'), new Date().getUTCDay());
  // Compiled lists and access rules are reused by their text, unless it holds a macro.
  const { hasMacros } = await import('../src/data/index.js');
  assert.equal(hasMacros('owner = @request.auth.id'), false);
  assert.equal(hasMacros('created > @todayStart'), true);
  assert.equal(hasMacros('title = "@nowhere"'), false);
});
