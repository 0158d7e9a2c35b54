// The data-layer contract: every SQL engine must pass the same scenarios.
// Registered by test/data-sqlite.test.ts, data-postgres.test.ts and data-mysql.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type SqlBool } from 'kysely';
import { StrataError } from '../src/core/index.js';
import { createDataLayer, dropAll, normalizeCollections, type DataLayer, type RecordsService } from '../src/data/index.js';
import { DataSchema, type CollectionConfig } from '../src/config/schema-data.js';
import { Value } from '@sinclair/typebox/value';
import { TEST_COLLECTIONS } from './data-helpers.js';

export interface EngineSetup {
  url: string;
  dataDir: string;
  prefix: string;
}

export function layerFor(e: EngineSetup, collections: CollectionConfig[] = TEST_COLLECTIONS, extra: Record<string, unknown> = {}): DataLayer {
  const data = Value.Default(DataSchema, { url: e.url, tablePrefix: e.prefix, poolSize: 4, ...extra }) as ReturnType<typeof createDataLayer> extends never ? never : Parameters<typeof createDataLayer>[0]['data'];
  return createDataLayer({ dataDir: e.dataDir, data, collections });
}

async function rejects(p: Promise<unknown>, status: number, type?: string): Promise<StrataError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StrataError, `expected a StrataError, got ${String(e)}`);
    assert.equal(e.status, status, `${e.type}: ${e.detail}`);
    if (type) assert.equal(e.type, type);
    return e;
  }
  assert.fail(`expected ${status}`);
}

export function dataContract(engine: string, setup: () => Promise<EngineSetup>, skip: false | string): void {
  describe(`data contract: ${engine}`, { skip }, () => {
    let env: EngineSetup;
    let layer: DataLayer;
    let r: RecordsService;
    const everDeclared: CollectionConfig[] = [...TEST_COLLECTIONS];
    const count = async (coll: string) => Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(layer.names.record(coll))}`.execute(layer.db)).rows[0].n);

    before(async () => {
      env = await setup();
      layer = layerFor(env);
      await layer.start();
      r = layer.records;
    });
    after(async () => {
      if (!layer) return;
      const byName = new Map<string, CollectionConfig>();
      for (const c of everDeclared) {
        const fields = [...(byName.get(c.name)?.fields ?? []), ...(c.fields ?? [])].filter((f, i, a) => a.findIndex((x) => x.name === f.name) === i);
        byName.set(c.name, { ...c, fields });
      }
      await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections([...byName.values()]));
      await layer.stop();
    });

    test('migration is applied once; a second run plans nothing', async () => {
      const again = await layer.migrate();
      assert.deepEqual(again.plan, []);
      assert.equal(again.applied, false);
    });

    let alice = '';
    let bob = '';
    let tagA = '';
    let tagB = '';
    test('create and get round-trip every field type with defaults and system fields', async () => {
      alice = (await r.create('users', { name: 'Alice', email: 'alice@example.com', age: 30 })).record.id as string;
      bob = (await r.create('users', { name: 'Bob', active: false })).record.id as string;
      tagA = (await r.create('tags', { label: 'alpha' })).record.id as string;
      tagB = (await r.create('tags', { label: 'beta' })).record.id as string;
      const { record: p, etag } = await r.create('posts', {
        title: 'Hello Strata',
        slug: 'hello-strata',
        views: 42,
        score: 1.5,
        pinned: true,
        published: '2026-03-01',
        site: 'https://example.com/x',
        meta: { a: { b: 7 }, list: [1, 'two'], s: 'x' },
        author: alice,
        tags: [tagB, tagA],
      });
      assert.match(String(p.id), /^[0-9a-z]{20}$/);
      assert.match(etag, /^"1-[0-9a-z]+"$/);
      assert.equal(p.title, 'Hello Strata');
      assert.equal(p.views, 42);
      assert.equal(p.score, 1.5);
      assert.equal(p.pinned, true);
      assert.equal(p.status, 'draft');
      assert.equal(p.published, '2026-03-01T00:00:00.000Z');
      assert.deepEqual(p.meta, { a: { b: 7 }, list: [1, 'two'], s: 'x' });
      assert.equal(p.author, alice);
      assert.equal(p.reviewer, null);
      assert.deepEqual(p.tags, [tagB, tagA]);
      assert.equal(typeof p.created, 'string');
      const got = await r.get('posts', String(p.id));
      assert.deepEqual(got.record, p);
      assert.equal(got.etag, etag);
      const u = await r.get('users', bob);
      assert.equal(u.record.active, false);
      assert.equal((await r.get('users', alice)).record.active, true);
    });

    test('validation errors list every bad field and change nothing', async () => {
      const before = await count('posts');
      const e = await rejects(
        r.create('posts', { title: 5, slug: 'Bad Slug', views: -1, status: 'gone', pinned: 'yes', site: 'javascript:alert(1)', extra: 1, created: 'x', author: 'nosuchuser1' }),
        400,
        'strata/validation',
      );
      const fields = (e.errors ?? []).map((x) => x.field).sort();
      assert.deepEqual(fields, ['created', 'extra', 'pinned', 'site', 'slug', 'status', 'title', 'views']);
      await rejects(r.create('posts', {}), 400);
      await rejects(r.create('posts', { title: 'x'.repeat(201) }), 400);
      const rel = await rejects(r.create('posts', { title: 'x', author: 'nosuchuser1' }), 400);
      assert.equal(rel.errors?.[0].field, 'author');
      await rejects(r.create('posts', { title: 'x', tags: [tagA, 'nosuchtag12'] }), 400);
      await rejects(r.create('posts', ['not', 'an', 'object']), 400);
      await rejects(r.create('nope', {}), 404);
      assert.equal(await count('posts'), before);
    });

    test('unique violations are 409 conflicts naming the field', async () => {
      const e = await rejects(r.create('users', { name: 'Alice' }), 409, 'strata/conflict');
      assert.deepEqual(e.errors?.map((x) => x.field), ['name']);
      await rejects(r.create('users', { id: alice, name: 'Other' }), 409);
      assert.equal(await count('users'), 2);
    });

    test('a dry-run create answers the record it would store, with relations expanded, and keeps nothing', async () => {
      const before = await count('posts');
      let ran = false;
      const d = await r.create('posts', { title: 'Dry', slug: 'dry-run', author: bob, tags: [tagA] }, { dryRun: true, expand: 'author', inTx: async () => void (ran = true) });
      assert.equal(d.record.title, 'Dry');
      assert.equal(d.record.views, 0, 'defaults applied as on a real create');
      assert.equal(typeof d.record.created, 'string');
      assert.equal((d.record.expand as { author: { name: string } }).author.name, 'Bob');
      assert.equal(ran, false, 'work inside the transaction does not run');
      assert.equal(await count('posts'), before);
      await rejects(r.get('posts', String(d.record.id)), 404);
      // It refuses what a create refuses, and the unique value it tried stays free.
      await rejects(r.create('posts', { title: 'x', author: 'nosuchuser1' }, { dryRun: true }), 400);
      await rejects(r.create('users', { name: 'Alice' }, { dryRun: true }), 409);
      const real = await r.create('posts', { title: 'Dry', slug: 'dry-run' });
      await r.delete('posts', String(real.record.id));
    });

    test('update is partial, bumps the ETag and honours If-Match', async () => {
      const { record, etag } = await r.create('posts', { title: 'Second', slug: 'second', views: 5, author: bob, reviewer: alice });
      const id = String(record.id);
      const u = await r.update('posts', id, { views: 6 }, { ifMatch: etag });
      assert.equal(u.record.views, 6);
      assert.equal(u.record.title, 'Second');
      assert.notEqual(u.etag, etag);
      await rejects(r.update('posts', id, { views: 7 }, { ifMatch: etag }), 412, 'strata/precondition-failed');
      await rejects(r.delete('posts', id, { ifMatch: etag }), 412);
      assert.equal((await r.get('posts', id)).record.views, 6);
      const t = await r.update('posts', id, { tags: [tagA] }, { ifMatch: '*' });
      assert.deepEqual(t.record.tags, [tagA]);
      await rejects(r.update('posts', id, { id: 'otherid12' }), 400);
      await rejects(r.update('posts', 'nosuchpost1', { views: 1 }), 404);
      await rejects(r.update('posts', id, { slug: 'hello-strata' }), 409);
    });

    test('filter language: operators, grouping, null, relations, json paths', async () => {
      await r.create('posts', { title: 'Third about STRATA', slug: 'third', views: 11, status: 'published', published: '2026-05-01T10:00:00Z', author: alice, meta: { a: { b: 3 } } });
      const titles = async (filter: string, sort = 'title') => (await r.list('posts', { filter, sort })).items.map((p) => p.title);
      assert.deepEqual(await titles('title ~ "strata" && (views > 10 || pinned = true) && created >= "2026-01-01"'), ['Hello Strata', 'Third about STRATA']);
      assert.deepEqual(await titles('views >= 6 && views <= 11'), ['Second', 'Third about STRATA']);
      assert.deepEqual(await titles('title !~ "strata"'), ['Second']);
      assert.deepEqual(await titles('published = null'), ['Second']);
      assert.deepEqual(await titles('published != null && published < "2026-04-01"'), ['Hello Strata']);
      assert.deepEqual(await titles('reviewer != null'), ['Second']);
      assert.deepEqual(await titles('status != "draft"'), ['Third about STRATA']);
      assert.deepEqual(await titles('author.name = "Alice"'), ['Hello Strata', 'Third about STRATA']);
      assert.deepEqual(await titles('author.active = false'), ['Second']);
      assert.deepEqual(await titles(`tags ?= "${tagB}"`), ['Hello Strata']);
      assert.deepEqual(await titles('tags.label ?= "alpha"'), ['Hello Strata', 'Second']);
      assert.deepEqual(await titles('meta.a.b > 5'), ['Hello Strata']);
      assert.deepEqual(await titles('meta.s = "x"'), ['Hello Strata']);
      assert.deepEqual(await titles('views > score'), ['Hello Strata']);
      assert.deepEqual(await titles('title @@ "hello strata"'), ['Hello Strata']);
      assert.deepEqual(await titles('title @@ "STRATA" && views > 10'), ['Hello Strata', 'Third about STRATA']);
      assert.deepEqual(await titles('body @@ "\\" OR 1=1 --"'), []);
      await r.update('posts', String((await r.list('posts', { filter: 'slug = "second"' })).items[0].id), { body: 'strata strata strata everywhere' });
      const ranked = (await r.list('posts', { filter: 'title @@ "strata"' })).items.map((p) => p.title);
      assert.deepEqual(ranked.slice().sort(), ['Hello Strata', 'Second', 'Third about STRATA']);
      assert.equal(ranked[0], 'Second', 'the best match comes first without a sort');
      await rejects(r.list('posts', { filter: 'views @@ "x"' }), 400);
      assert.deepEqual(await titles(`title = "x' OR 1=1 --"`), []);
      assert.deepEqual(await titles('views = 1.5'), []);
      assert.deepEqual(await titles('views > 1e20 || views < -99999999999999999999'), []);
      assert.equal((await titles('views < 99999999999999999999')).length, 3);
      assert.deepEqual(await titles('score > 1.25 && score < 1e300'), ['Hello Strata']);
      await rejects(r.list('posts', { filter: 'title = "a\u0000b"'.replace('\\u0000', '\u0000') }), 400);
      await rejects(r.list('posts', { filter: `title = "a${String.fromCharCode(0)}b"` }), 400);
      await rejects(r.create('posts', { title: `nul${String.fromCharCode(0)}` }), 400);
      await rejects(r.create('posts', { title: 'ok', meta: { k: `v${String.fromCharCode(0)}` } }), 400);
      await rejects(r.create('notes', { deep: { k: [`v${String.fromCharCode(0)}`] } }), 400);
      await rejects(r.list('notes', { filter: JSON.stringify({ a: `x${String.fromCharCode(0)}` }) }), 400);
      const bad: [string, number][] = [
        ['title = ', 8],
        ['nosuch = 1', 0],
        ['views = "ten"', 8],
        ['(views > 1', 10],
        ['tags.label = "a"', 11],
        ['title; DROP TABLE posts', 5],
        ['views > 1 || 1', 14],
      ];
      for (const [f, pos] of bad) {
        const e = await rejects(r.list('posts', { filter: f }), 400, 'strata/validation');
        assert.equal(e.extensions?.position, pos, f);
      }
      assert.equal(await count('posts'), 3);
    });

    test('filter language: in (...), % patterns with ~, date macros, any-of on JSON arrays', async () => {
      const made = [
        await r.create('posts', { title: 'arr one', slug: 'arr-one', meta: { labels: ['news', 'tech'], nums: [1, 5] }, published: new Date(Date.now() - 3_600_000).toISOString() }),
        await r.create('posts', { title: 'arr two', slug: 'arr-two', meta: { labels: ['sport'], nums: [7] }, published: '2001-01-01T00:00:00.000Z' }),
        await r.create('posts', { title: 'arr three', slug: 'arr-three', meta: { labels: 'news' } }),
      ];
      const titles = async (filter: string) => (await r.list('posts', { filter: `(${filter}) && title ~ "arr %"`, sort: 'title' })).items.map((p) => p.title);
      try {
      // in / not in: the same as a chain of = ... || (!= ... &&)
      assert.deepEqual(await titles('slug in ("arr-one", "arr-three", "nosuch")'), ['arr one', 'arr three']);
      assert.deepEqual(await titles('slug not in ("arr-one", "arr-three")'), ['arr two']);
      assert.deepEqual(await titles('slug IN ("arr-two")'), ['arr two']);
      await rejects(r.list('posts', { filter: 'slug in (title)' }), 400);
      await rejects(r.list('posts', { filter: 'slug in ()' }), 400);
      await rejects(r.list('posts', { filter: `slug in (${Array.from({ length: 101 }, (_, i) => `"s${i}"`).join(',')})` }), 400);
      // ~ with %: a pattern anchored at both ends; without %: contains (% and _ literal)
      assert.deepEqual(await titles('title ~ "%one"'), ['arr one']);
      assert.deepEqual(await titles('title ~ "arr t%"'), ['arr three', 'arr two']);
      assert.deepEqual(await titles('title ~ "ARR T%E"'), ['arr three']);
      assert.deepEqual(await titles('title ~ "r_t"'), [], '_ is literal');
      assert.deepEqual(await titles('title !~ "%o"'), ['arr one', 'arr three']);
      // date macros, in UTC, compared with stored dates
      await rejects(r.list('posts', { filter: 'published > @year' }), 400);
      assert.deepEqual(await titles('published <= @now && published >= "2002-01-01"'), ['arr one']);
      assert.deepEqual(await titles('published < @yearStart && published != null'), ['arr two']);
      assert.deepEqual(await titles('created <= @now && created >= @yearStart'), ['arr one', 'arr three', 'arr two']);
      assert.deepEqual(await titles('created > @yearEnd || created < @monthStart'), []);
      // A list with a macro is compiled afresh each time (a cached form would keep the first @now).
      made.push(await r.create('posts', { title: 'arr four', slug: 'arr-four' }));
      await new Promise((res) => setTimeout(res, 5));
      assert.deepEqual(await titles('created <= @now && created >= @yearStart'), ['arr four', 'arr one', 'arr three', 'arr two']);
      await rejects(r.list('posts', { filter: 'published > @tomorrow' }), 400);
      // any-of on JSON arrays: each element compared; a value that is not an array has no elements
      assert.deepEqual(await titles('meta.labels ?= "news"'), ['arr one']);
      assert.deepEqual(await titles('meta.labels ?~ "SPO"'), ['arr two']);
      assert.deepEqual(await titles('meta.labels ?!= "news"'), ['arr one', 'arr two']);
      assert.deepEqual(await titles('meta.nums ?> 4'), ['arr one', 'arr two']);
      assert.deepEqual(await titles('meta.nums ?= 7'), ['arr two']);
      assert.deepEqual(await titles('meta.labels ?> 4'), [], 'text elements never compare as numbers');
      assert.deepEqual(await titles('meta.labels = "news"'), ['arr three'], 'without ? the value itself is compared');
      } finally {
        for (const m of made) await r.delete('posts', String(m.record.id));
      }
    });

    test('sort, offset pagination with optional total, cursor pagination', async () => {
      for (let i = 0; i < 7; i++) await r.create('posts', { title: `bulk ${i}`, views: i % 3, author: bob });
      const page1 = await r.list('posts', { sort: '-views,title', perPage: 4, totalItems: true });
      assert.equal(page1.totalItems, 10);
      assert.equal(page1.totalPages, 3);
      assert.deepEqual(page1.items.map((p) => p.views), [42, 11, 6, 2]);
      const page3 = await r.list('posts', { sort: '-views,title', perPage: 4, page: 3 });
      assert.equal(page3.items.length, 2);
      assert.equal(page3.totalItems, undefined);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const p = await r.list('posts', { sort: '-created', perPage: 3, cursor });
        seen.push(...p.items.map((x) => String(x.id)));
        if (!p.nextCursor) break;
        cursor = p.nextCursor;
      }
      assert.equal(seen.length, 10);
      assert.equal(new Set(seen).size, 10);
      await rejects(r.list('posts', { sort: 'views', cursor: 'garbage' }), 400);
      await rejects(r.list('posts', { sort: '-created', cursor: 'garbage' }), 400);
      await rejects(r.list('posts', { sort: 'meta' }), 400);
      await rejects(r.list('posts', { sort: 'title;DROP TABLE posts' }), 400);
      await rejects(r.list('posts', { perPage: 100000 }), 400);
    });

    test('aggregates: count, sum, avg, min, max grouped, filtered, ruled', async () => {
      const rows = await r.aggregate('posts', { metrics: 'count,sum(views),max(views),min(title),avg(views)', groupBy: 'status' });
      assert.deepEqual(
        rows.map((x) => [x.status, x.count, x.sum_views, x.max_views, x.min_title]),
        [['draft', 9, 54, 42, 'Hello Strata'], ['published', 1, 11, 11, 'Third about STRATA']],
      );
      assert.equal(Math.round(Number(rows[0].avg_views) * 100), 600);
      const pinned = await r.aggregate('posts', { metrics: 'count', groupBy: 'pinned', filter: 'views < 40' });
      assert.deepEqual(pinned, [{ pinned: false, count: 9 }]);
      const all = await r.aggregate('posts', { metrics: 'count' }, { where: sql<boolean>`t.views > ${10}` });
      assert.deepEqual(all, [{ count: 2 }]);
      for (const bad of [{ metrics: 'sum(title)' }, { metrics: 'count;drop table posts' }, { metrics: 'count', groupBy: 'meta' }, { metrics: '' }, { metrics: 'count', filter: 'nope = 1' }]) {
        await rejects(r.aggregate('posts', bad), 400);
      }
    });

    test('fields selection and bounded nested expand', async () => {
      const l = await r.list('posts', { filter: 'slug = "hello-strata"', fields: 'id,title,expand', expand: 'author,tags' });
      const p = l.items[0];
      assert.deepEqual(Object.keys(p).sort(), ['expand', 'id', 'title']);
      const ex = p.expand as Record<string, { name?: string; label?: string }[] & { name?: string }>;
      assert.equal((ex.author as { name?: string }).name, 'Alice');
      assert.deepEqual((ex.tags as { label?: string }[]).map((t) => t.label), ['beta', 'alpha']);
      // nested selection: JSON keys of the answer, * for every key (or every expanded relation) of a level
      const nested = (await r.list('posts', { filter: 'slug = "hello-strata"', fields: 'id,expand.author.name,expand.tags.label', expand: 'author,tags' })).items[0];
      assert.deepEqual(nested, { id: p.id, expand: { author: { name: 'Alice' }, tags: [{ label: 'beta' }, { label: 'alpha' }] } });
      const star = (await r.list('posts', { filter: 'slug = "hello-strata"', fields: '*,expand.*.id', expand: 'author,tags' })).items[0];
      assert.equal(star.title, 'Hello Strata');
      assert.deepEqual(star.expand, { author: { id: alice }, tags: (ex.tags as { id?: string }[]).map((t) => ({ id: (t as { id?: string }).id })) });
      const deep = (await r.get('posts', String(p.id), { fields: 'title,expand.author.expand.posts_via_author.title', expand: 'author.posts_via_author' })).record;
      assert.deepEqual(Object.keys(deep).sort(), ['expand', 'title']);
      assert.ok(((deep.expand as { author: { expand: { posts_via_author: { title: string }[] } } }).author.expand.posts_via_author).every((x) => Object.keys(x).join() === 'title'));
      await rejects(r.list('posts', { fields: 'expand.nosuch.name' }), 400);
      await rejects(r.list('posts', { fields: 'expand.author.nosuch' }), 400);
      await rejects(r.list('posts', { fields: 'title.x' }), 400);
      await rejects(r.list('posts', { expand: 'title' }), 400);
      await rejects(r.list('posts', { expand: 'author.x.y.z' }), 400);
      await rejects(r.list('posts', { fields: 'nope' }), 400);
      await rejects(r.list('posts', { fields: 'id,(select 1)' }), 400);
    });

    test('back-relations (<collection>_via_<field>): expand and filter, under the source rule', async () => {
      // users ← posts.author (single), tags ← posts.tags (multiple)
      const byAlice = (await r.list('posts', { filter: `author = "${alice}"`, sort: 'created', perPage: 100 })).items.map((p) => p.title);
      assert.ok(byAlice.length >= 2, JSON.stringify(byAlice));
      const u = await r.get('users', alice, { expand: 'posts_via_author' });
      assert.deepEqual((u.record.expand as { posts_via_author: { title: string }[] }).posts_via_author.map((p) => p.title), byAlice, 'oldest first');
      const rule = sql<SqlBool>`t.status = ${'published'}`;
      const ruled = await r.get('users', alice, { expand: 'posts_via_author', expandWhere: (c) => (c === 'posts' ? rule : undefined) });
      assert.ok((ruled.record.expand as { posts_via_author: { status: string }[] }).posts_via_author.every((p) => p.status === 'published'), 'related records obey their own rule');
      const tagged = await r.list('tags', { sort: 'label', expand: 'posts_via_tags.author' });
      const alpha = tagged.items.find((t) => t.label === 'alpha')!;
      const alphaPosts = (alpha.expand as { posts_via_tags: { title: string; expand: { author: { name: string } } }[] }).posts_via_tags;
      assert.deepEqual(alphaPosts.map((p) => p.title).sort(), ['Hello Strata', 'Second']);
      assert.ok(alphaPosts.every((p) => typeof p.expand.author.name === 'string'), 'nested expand under a back-relation');
      const noPosts = await r.create('users', { name: 'Nobody posts' });
      assert.deepEqual((await r.get('users', String(noPosts.record.id), { expand: 'posts_via_author' })).record.expand, { posts_via_author: [] });
      // filters: "any of" over the records pointing here
      const names = async (filter: string) => (await r.list('users', { filter, sort: 'name' })).items.map((x) => x.name);
      assert.deepEqual(await names('posts_via_author.title ?~ "hello"'), ['Alice']);
      assert.deepEqual(await names('posts_via_author.views ?> 1000000'), []);
      const none = (target: { name: string }) => (target.name === 'posts' ? sql<SqlBool>`1 = 0` : undefined);
      assert.deepEqual((await r.list('users', { filter: 'posts_via_author.title ?~ "hello"' }, { relationWhere: none })).items, [], 'the records reached obey the list rule of their collection');
      const labels = async (filter: string) => (await r.list('tags', { filter, sort: 'label' })).items.map((x) => x.label);
      assert.deepEqual(await labels('posts_via_tags.slug ?= "second"'), ['alpha']);
      assert.deepEqual(await labels('posts_via_tags.author.name ?= "Alice"'), ['alpha', 'beta']);
      await rejects(r.list('users', { filter: 'posts_via_author.title = "x"' }), 400);
      await rejects(r.list('users', { expand: 'posts_via_nosuch' }), 400);
      await rejects(r.list('users', { expand: 'nosuch_via_author' }), 400);
      await r.delete('users', String(noPosts.record.id));
    });

    test('access rules narrow every operation', async () => {
      const rule = sql<boolean>`t.status = ${'published'}`;
      const l = await r.list('posts', { totalItems: true }, { where: rule });
      assert.equal(l.totalItems, 1);
      const hidden = (await r.list('posts', { filter: 'slug = "second"' })).items[0];
      await rejects(r.get('posts', String(hidden.id), { where: rule }), 404);
      await rejects(r.update('posts', String(hidden.id), { views: 1 }, { where: rule }), 404);
      await rejects(r.delete('posts', String(hidden.id), { where: rule }), 404);
      await rejects(r.create('posts', { title: 'draft' }, { where: rule }), 403);
      assert.equal(await count('posts'), 10);
    });

    test('batch commits all or nothing', async () => {
      const before = await count('tags');
      await rejects(
        r.batch([
          { action: 'create', collection: 'tags', body: { label: 'gamma' } },
          { action: 'create', collection: 'tags', body: { label: 'alpha' } },
        ]),
        409,
      );
      assert.equal(await count('tags'), before);
      const res = await r.batch([
        { action: 'create', collection: 'tags', body: { label: 'gamma' } },
        { action: 'create', collection: 'users', body: { name: 'Carol' } },
      ]);
      assert.deepEqual(res.map((x) => x.status), [201, 201]);
      const carol = String(res[1].body!.id);
      const del = await r.batch([{ action: 'delete', collection: 'users', id: carol }]);
      assert.deepEqual(del.map((x) => x.status), [204]);
      assert.equal(await count('tags'), before + 1);
    });

    test('onDelete: restrict refuses, setNull clears, cascade deletes', async () => {
      await rejects(r.delete('tags', tagA), 409);
      const dave = (await r.create('users', { name: 'Dave' })).record.id as string;
      const p = await r.create('posts', { title: 'by dave', author: alice, reviewer: dave });
      await r.delete('users', dave);
      assert.equal((await r.get('posts', String(p.record.id))).record.reviewer, null);
      const before = await count('posts');
      await r.delete('users', bob);
      assert.equal(await count('posts'), before - 8);
      await rejects(r.get('users', bob), 404);
    });

    test('document collections: schemaless JSON, declared field types, merge-patch updates, path filters', async () => {
      const d = await r.create('notes', { kind: 'a', title: 'doc', nested: { n: 5, tags: ['x', 'y'] } });
      const id = String(d.record.id);
      assert.deepEqual(d.record.nested, { n: 5, tags: ['x', 'y'] });
      await rejects(r.create('notes', { kind: 'c' }), 400);
      await rejects(r.create('notes', { $where: 'x' }), 400);
      const u = await r.update('notes', id, { nested: { n: 6 }, title: null });
      assert.deepEqual(u.record.nested, { n: 6, tags: ['x', 'y'] });
      assert.equal('title' in u.record, false);
      await r.create('notes', { kind: 'b', nested: { n: 1 } });
      const l = await r.list('notes', { filter: 'nested.n > 2' });
      assert.deepEqual(l.items.map((x) => x.id), [id]);
      assert.deepEqual((await r.list('notes', { filter: 'nested.tags.1 = "y"' })).items.map((x) => x.id), [id]);
      const other = String((await r.list('notes', { filter: 'kind = "b"' })).items[0].id);
      const mongo = async (q: unknown) => (await r.list('notes', { filter: JSON.stringify(q), sort: 'id' })).items.map((x) => x.id);
      const both = [id, other].sort();
      assert.deepEqual(await mongo({ 'nested.n': { $gt: 2 } }), [id]);
      assert.deepEqual(await mongo({ 'nested.tags': 'y' }), [id]);
      assert.deepEqual(await mongo({ 'nested.tags.0': { $in: ['x', 'q'] } }), [id]);
      assert.deepEqual(await mongo({ kind: { $in: ['b'] } }), [other]);
      assert.deepEqual(await mongo({ kind: { $nin: ['b'] } }), [id]);
      assert.deepEqual(await mongo({ $or: [{ kind: 'a' }, { 'nested.n': 1 }] }), both);
      assert.deepEqual(await mongo({ $and: [{ kind: 'a' }, { 'nested.n': 1 }] }), []);
      assert.deepEqual(await mongo({ 'nested.tags': { $exists: true } }), [id]);
      assert.deepEqual(await mongo({ title: { $exists: false } }), both);
      assert.deepEqual(await mongo({ 'nested.n': { $not: { $gt: 2 } } }), [other]);
      assert.deepEqual(await mongo({ kind: { $ne: 'a' } }), [other]);
      assert.deepEqual(await mongo({ missing: null }), both);
      assert.deepEqual(await mongo({ id, 'nested.n': { $gte: 6, $lte: 6 } }), [id]);
      assert.deepEqual(await mongo({ $not: { kind: 'a' } }), [other]);
      if (layer.dialect.name === 'sqlite') {
        const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT id FROM ${sql.table(layer.names.record('notes'))} AS t WHERE json_extract(t.data, '$."nested"."n"') = 'x'`.execute(layer.db);
        assert.match(plan.rows.map((x) => x.detail).join(' '), /USING INDEX ix_.*notes__nested_n/, 'the JSON path index serves path queries');
      }
      for (const q of ['{"$where": "1"}', '{"a": {"$regex": "x"}}', '{"a.b\\"": 1}', '[1]', '{"a": {"$in": []}}', '{"a": {"x": 1}}', '{"a":', '{"a": {"$gt": true}}']) {
        await rejects(r.list('notes', { filter: q }), 400);
      }
    });

    test('migrations: add a field, refuse a destructive change unless allowed, history kept', async () => {
      const withField = TEST_COLLECTIONS.map((c) => (c.name === 'tags' ? { ...c, fields: [...(c.fields ?? []), { name: 'color', type: 'text' as const, indexed: true }] } : c));
      everDeclared.push(...withField.filter((c) => c.name === 'tags'));
      const l2 = layerFor(env, withField);
      const l2b = layerFor(env, withField);
      const [a, b] = await Promise.all([l2.migrate(), l2b.migrate()]);
      await l2b.stop();
      assert.deepEqual([a.applied, b.applied].sort(), [false, true], 'exactly one instance applies under the lock');
      assert.deepEqual(a.applied ? a.plan : b.plan, ['add field tags.color (text)', 'add index tags(color)']);
      const dropped = TEST_COLLECTIONS.filter((c) => c.name !== 'notes');
      const l3 = layerFor(env, dropped);
      await rejects(l3.migrate(), 409, 'strata/destructive-migration');
      const plan = await l3.migrate({ dryRun: true, allowDestructive: true });
      assert.ok(plan.destructive.some((s) => s.startsWith('drop collection notes')));
      assert.ok(plan.destructive.some((s) => s.startsWith('drop field tags.color')));
      const applied = await l3.migrate({ allowDestructive: true });
      assert.equal(applied.applied, true);
      const hist = await layer.db.selectFrom(layer.names.history).select('id').execute();
      assert.equal(hist.length, 3);
      await l2.stop();
      await l3.stop();
      const ftChanged = dropped.map((c) => (c.name === 'posts' ? { ...c, fullText: ['title'] } : c));
      const l4 = layerFor(env, ftChanged);
      await l4.start();
      assert.deepEqual((await l4.migrate({ dryRun: true })).plan, []);
      const last = await layer.db.selectFrom(layer.names.history).select('steps').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(String(last.steps)), ['drop full-text index posts(title, body)', 'add full-text index posts(title)']);
      assert.deepEqual((await l4.records.list('posts', { filter: 'title @@ "hello"' })).items.map((p) => p.title), ['Hello Strata']);
      await l4.stop();
    });
  });
}
