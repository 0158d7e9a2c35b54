// REST records API end to end on a bare Fastify (real socket, port 0), run per engine by
// test/api-{sqlite,postgres,mysql}.test.ts: scenario table,
// every codec checked by an independent decoder (protoc, xmllint, avsc), bad input leaving data
// unchanged, and the OpenAPI document checked by an independent validator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import avro from 'avsc';
import { pack, unpack } from 'msgpackr';
import { Validator } from '@seriousme/openapi-schema-validator';
import { XMLValidator } from 'fast-xml-parser';
import { recordsRoutes } from '../src/api/index.js';
import { createRecordAccess, dropAll, normalizeCollections, type AccessControl, type DataLayer } from '../src/data/index.js';
import { layerFor, type EngineSetup } from './data-contract.js';
import { TEST_COLLECTIONS } from './data-helpers.js';
import { handleError } from '../src/edge/index.js';

export function apiContract(engine: string, setup: () => Promise<EngineSetup>, skip: false | string): void {
  describe(`records API: ${engine}`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-api-'));
    let layer: DataLayer;
    let app: FastifyInstance;
    let base = '';
    let alice = '';

    before(async () => {
      layer = layerFor({ ...(await setup()), dataDir: dir });
      await layer.start();
      app = Fastify({ bodyLimit: 1_048_576 });
      app.setErrorHandler(handleError); // errors become problem+json at the edge, as in the server
      const open = createRecordAccess({ rules: { where: () => undefined }, data: () => layer });
      await app.register(recordsRoutes({ records: layer.records, access: () => open, principal: () => null, bodyLimit: 256 * 1024 }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const addr = app.server.address();
      base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      alice = String((await layer.records.create('users', { name: 'Alice' })).record.id);
    });
    after(async () => {
      await app?.close();
      if (layer) await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections(TEST_COLLECTIONS));
      await layer?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    interface Res {
      status: number;
      type: string;
      headers: Headers;
      bytes: Buffer;
      json: () => Record<string, unknown>;
    }
    async function call(method: string, path: string, opts: { body?: string | Buffer; type?: string; accept?: string; headers?: Record<string, string> } = {}): Promise<Res> {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.type) headers['content-type'] = opts.type;
      if (opts.accept) headers.accept = opts.accept;
      const r = await fetch(base + path, { method, headers, body: opts.body });
      const bytes = Buffer.from(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type') ?? '', headers: r.headers, bytes, json: () => JSON.parse(bytes.toString('utf8')) };
    }
    const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) => call('POST', path, { body: JSON.stringify(body), type: 'application/json', headers });
    const P = '/api/collections/posts/records';
    const count = async () => Number((await call('GET', `${P}?totalItems=true&perPage=1`)).json().totalItems);

    test('scenario table: CRUD, ETag/If-Match, negotiation errors', async () => {
      const created = await postJson(P, { title: 'Hello', slug: 'hello', views: 3, author: alice, meta: { k: [1, 2] } });
      assert.equal(created.status, 201);
      const etag = created.headers.get('etag')!;
      const id = String(created.json().id);
      assert.equal(created.headers.get('location'), `${P}/${id}`);
      const scenarios: { name: string; method: string; url: string; body?: unknown; headers?: Record<string, string>; accept?: string; status: number; problem?: string }[] = [
        { name: 'get', method: 'GET', url: `${P}/${id}`, status: 200 },
        { name: 'conditional get', method: 'GET', url: `${P}/${id}`, headers: { 'if-none-match': etag }, status: 304 },
        { name: 'list', method: 'GET', url: `${P}?filter=${encodeURIComponent('views > 1')}&sort=-created`, status: 200 },
        { name: 'unknown collection', method: 'GET', url: '/api/collections/nope/records', status: 404, problem: 'strata/not-found' },
        { name: 'unknown id', method: 'GET', url: `${P}/zzzzzzzzzzzzzzzzzzzz`, status: 404, problem: 'strata/not-found' },
        { name: 'weird id', method: 'GET', url: `${P}/..%2F..%2Fetc`, status: 404, problem: 'strata/not-found' },
        { name: 'not acceptable', method: 'GET', url: P, accept: 'image/png', status: 406, problem: 'strata/not-acceptable' },
        { name: 'q=0 refuses json', method: 'GET', url: P, accept: 'application/json;q=0', status: 406, problem: 'strata/not-acceptable' },
        { name: 'unsupported body type', method: 'POST', url: P, body: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, problem: 'strata/unsupported-media-type' },
        { name: 'stale If-Match', method: 'PATCH', url: `${P}/${id}`, body: { views: 9 }, headers: { 'content-type': 'application/json', 'if-match': '"0-abc"' }, status: 412, problem: 'strata/precondition-failed' },
        { name: 'good If-Match', method: 'PATCH', url: `${P}/${id}`, body: { views: 9 }, headers: { 'content-type': 'application/json', 'if-match': etag }, status: 200 },
        { name: 'duplicate slug', method: 'POST', url: P, body: { title: 'x', slug: 'hello' }, headers: { 'content-type': 'application/json' }, status: 409, problem: 'strata/conflict' },
        { name: 'repeated query param', method: 'GET', url: `${P}?sort=a&sort=b`, status: 400, problem: 'strata/validation' },
        { name: 'bad page', method: 'GET', url: `${P}?page=-1`, status: 400, problem: 'strata/validation' },
        { name: 'aggregate', method: 'GET', url: '/api/collections/posts/aggregate?metrics=count,sum(views)&groupBy=status', status: 200 },
        { name: 'bad aggregate', method: 'GET', url: '/api/collections/posts/aggregate?metrics=sum(title)', status: 400, problem: 'strata/validation' },
        { name: 'count of an unknown field', method: 'GET', url: '/api/collections/posts/aggregate?metrics=count(nope)', status: 400, problem: 'strata/validation' },
        { name: 'min of an unknown field', method: 'GET', url: '/api/collections/posts/aggregate?metrics=min(nope)', status: 400, problem: 'strata/validation' },
        { name: 'count of a field', method: 'GET', url: '/api/collections/posts/aggregate?metrics=count(score),count(id)', status: 200 },
        { name: 'aggregate on a document collection', method: 'GET', url: '/api/collections/notes/aggregate?metrics=count', status: 400, problem: 'strata/validation' },
        ...['views > "10"', 'title = 5', 'pinned = "true"', 'created >= 5', 'score < true', 'author = 3', 'status = false'].map((f) => ({ name: `type mismatch ${f}`, method: 'GET', url: `${P}?filter=${encodeURIComponent(f)}`, status: 400, problem: 'strata/validation' })),
      ];
      for (const s of scenarios) {
        const r = await call(s.method, s.url, { body: s.body === undefined ? undefined : JSON.stringify(s.body), headers: s.headers, accept: s.accept });
        assert.equal(r.status, s.status, `${s.name}: ${r.bytes.toString()}`);
        if (s.problem) {
          assert.match(r.type, /^application\/problem\+json/, s.name);
          assert.equal(r.json().type, s.problem, s.name);
        }
      }
      const del = await call('DELETE', `${P}/${id}`);
      assert.equal(del.status, 204);
      assert.equal((await call('GET', `${P}/${id}`)).status, 404);
    });

    test('full-text search with no letters or digits is an empty match (200, no items), also sorted and counted', async () => {
      await postJson(P, { title: 'searchable words here', slug: 'fts-nowords', author: alice });
      const hits = (await call('GET', `${P}?filter=${encodeURIComponent('title @@ "searchable"')}`)).json().items as unknown[];
      assert.equal(hits.length, 1, 'a real search still finds the record');
      await postJson(P, { title: 'unrelated', body: 'needle in the body only', slug: 'fts-body' });
      const viaTitle = (await call('GET', `${P}?filter=${encodeURIComponent('title @@ "needle"')}`)).json().items as { slug: string }[];
      assert.deepEqual(viaTitle.map((x) => x.slug), ['fts-body'], 'title @@ searches every fullText field (body too)');
      const viaBody = (await call('GET', `${P}?filter=${encodeURIComponent('body @@ "needle"')}`)).json().items as { slug: string }[];
      assert.deepEqual(viaBody.map((x) => x.slug), ['fts-body']);
      for (const q of ['"*"', '""', `"'"`, '"_"', '"-"', '"%"', '"  "', '"\\\\"']) {
        for (const extra of ['', '&sort=-created', '&totalItems=true', '&perPage=1']) {
          const r = await call('GET', `${P}?filter=${encodeURIComponent(`title @@ ${q}`)}${extra}`);
          assert.equal(r.status, 200, `title @@ ${q}${extra}: ${r.bytes.toString()}`);
          assert.deepEqual(r.json().items, [], `title @@ ${q}${extra}`);
        }
        const or = await call('GET', `${P}?filter=${encodeURIComponent(`title @@ ${q} || slug = "fts-nowords"`)}`);
        assert.equal(or.status, 200, or.bytes.toString());
        assert.equal((or.json().items as unknown[]).length, 1, 'the empty match composes with ||');
        const agg = await call('GET', `/api/collections/posts/aggregate?metrics=count&filter=${encodeURIComponent(`title @@ ${q}`)}`);
        assert.equal(agg.status, 200, agg.bytes.toString());
        assert.deepEqual(agg.json().items, [{ count: 0 }]);
      }
    });

    test('XML: well-formed per xmllint, and accepted as input', async () => {
      const made = await call('POST', P, { type: 'application/xml', accept: 'application/xml', body: `<?xml version="1.0"?><record><title>From XML &amp; more</title><views>7</views><pinned>true</pinned><meta>{"a":1}</meta><tags></tags><author>${alice}</author></record>` });
      assert.equal(made.status, 201, made.bytes.toString());
      assert.match(made.type, /^application\/xml/);
      const file = join(dir, 'r.xml');
      writeFileSync(file, made.bytes);
      execFileSync('xmllint', ['--noout', '--nonet', file]);
      const xpath = (expr: string) => execFileSync('xmllint', ['--xpath', expr, file]).toString().trim();
      assert.equal(xpath('string(/record/views)'), '7');
      assert.equal(xpath('string(/record/title)'), 'From XML & more');
      assert.equal(xpath('string(/record/reviewer/@nil)'), 'true');
      const list = await call('GET', `${P}?perPage=5&totalItems=true&expand=author`, { accept: 'application/xml' });
      writeFileSync(file, list.bytes);
      execFileSync('xmllint', ['--noout', '--nonet', file]);
      assert.equal(xpath('string(/list/record[1]/expand/author/name)'), 'Alice');
    });

    test('XML: text XML 1.0 cannot carry is written base64 (encoding="base64"), lists stay well-formed, and it reads back', async () => {
      const nasty = 'ctl \u0001\u001b end \uffff';
      const made = await postJson(P, { title: nasty, body: 'plain', slug: 'xml-ctl', meta: { s: '\ufffe' }, author: alice });
      assert.equal(made.status, 201, made.bytes.toString());
      const id = String(made.json().id);
      const file = join(dir, 'ctl.xml');
      const one = await call('GET', `${P}/${id}`, { accept: 'application/xml' });
      writeFileSync(file, one.bytes);
      execFileSync('xmllint', ['--noout', '--nonet', file]);
      const xpath = (expr: string) => execFileSync('xmllint', ['--xpath', expr, file]).toString().trim();
      assert.equal(xpath('string(/record/title/@encoding)'), 'base64');
      assert.equal(Buffer.from(xpath('string(/record/title)'), 'base64').toString('utf8'), nasty);
      assert.equal(xpath('string(/record/body)'), 'plain', 'text XML can carry stays plain');
      assert.equal(xpath('string(/record/body/@encoding)'), '');
      assert.deepEqual(JSON.parse(Buffer.from(xpath('string(/record/meta)'), 'base64').toString('utf8')), { s: '\ufffe' });
      const list = await call('GET', `${P}?perPage=500`, { accept: 'application/xml' });
      writeFileSync(file, list.bytes);
      execFileSync('xmllint', ['--noout', '--nonet', file]);
      assert.equal(XMLValidator.validate(list.bytes.toString('utf8')), true);
      // The same document is accepted as input: the value comes back unchanged.
      const back = await call('PATCH', `${P}/${id}`, { type: 'application/xml', body: one.bytes.toString('utf8').replace(/<(id|created|updated)>[^<]*<\/\1>/g, '').replace(/<expand>.*<\/expand>/, '') });
      assert.equal(back.status, 200, back.bytes.toString());
      assert.equal(back.json().title, nasty);
      assert.deepEqual(back.json().meta, { s: '\ufffe' });
    });

    test('XML: a CR is written &#13; so it round-trips (xmllint reads it back as CR, not LF)', async () => {
      const crlf = 'line one\r\nline two\rend\n';
      const made = await postJson(P, { title: 'cr test', body: crlf, slug: 'xml-cr', meta: { s: 'a\rb' }, author: alice });
      assert.equal(made.status, 201, made.bytes.toString());
      const id = String(made.json().id);
      const one = await call('GET', `${P}/${id}`, { accept: 'application/xml' });
      assert.ok(!one.bytes.includes(0x0d), 'no raw CR in the document');
      assert.match(one.bytes.toString('utf8'), /<body>line one&#13;\nline two&#13;end\n<\/body>/);
      const file = join(dir, 'cr.xml');
      writeFileSync(file, one.bytes);
      // xmllint prints the string and a newline of its own.
      const xpath = (expr: string) => execFileSync('xmllint', ['--xpath', expr, file]).toString().slice(0, -1);
      assert.equal(xpath('string(/record/body)'), crlf);
      assert.deepEqual(JSON.parse(xpath('string(/record/meta)')), { s: 'a\rb' });
      const list = await call('GET', `${P}?perPage=500`, { accept: 'application/xml' });
      assert.ok(!list.bytes.includes(0x0d), 'no raw CR in the list');
      // Strata's own XML input reads the document back unchanged.
      const back = await call('PATCH', `${P}/${id}`, { type: 'application/xml', body: one.bytes.toString('utf8').replace(/<(id|created|updated)>[^<]*<\/\1>/g, '').replace(/<expand>.*<\/expand>/, '') });
      assert.equal(back.status, 200, back.bytes.toString());
      assert.equal(back.json().body, crlf);
      assert.deepEqual(back.json().meta, { s: 'a\rb' });
    });

    test('XML input: character references are decoded; characters and entities XML 1.0 refuses are 400', async () => {
      const made = await call('POST', P, { type: 'application/xml', body: '<record><title>&#65;&#x42; &amp;#65; &lt;&#x1F600;</title><body>&#x9;tab</body></record>' });
      assert.equal(made.status, 201, made.bytes.toString());
      assert.equal(made.json().title, 'AB &#65; <\u{1F600}');
      assert.equal(made.json().body, '\ttab');
      const cdata = await call('POST', P, { type: 'application/xml', body: '<record><title><![CDATA[a & b &#65;]]></title></record>' });
      assert.equal(cdata.status, 201, cdata.bytes.toString());
      assert.equal(cdata.json().title, 'a & b &#65;', 'CDATA is literal');
      const before = await count();
      for (const body of [
        '<record><title>ctl \u0001 raw</title></record>',
        '<record><title>&#1;</title></record>',
        '<record><title>&#x0;</title></record>',
        '<record><title>&#xD800;</title></record>',
        '<record><title>&#xFFFF;</title></record>',
        '<record><title>&#x110000;</title></record>',
        '<record><title>&nbsp;</title></record>',
        '<record><title>a & b</title></record>',
        '<record><title encoding="base64">!!!</title></record>',
        '<record><title encoding="rot13">x</title></record>',
        '<record><title encoding="base64">/w==</title></record>',
      ]) {
        const r = await call('POST', P, { type: 'application/xml', body });
        assert.equal(r.status, 400, `${body}: ${r.bytes.toString()}`);
        assert.equal(r.json().type, 'strata/validation', body);
      }
      assert.equal(await count(), before);
    });

    test('no silent corrections: impossible dates, overflowing numbers and non-date filter literals are 400', async () => {
      const before = await count();
      const bodies: [string, string, string?][] = [
        ['Feb 31', '{"title":"d","published":"2026-02-31T00:00:00Z"}'],
        ['Feb 29 of a common year', '{"title":"d","published":"2026-02-29"}'],
        ['April 31', '{"title":"d","published":"2026-04-31"}'],
        ['hour 24', '{"title":"d","published":"2026-01-01T24:00:00Z"}'],
        ['minute 60', '{"title":"d","published":"2026-01-01T10:60:00Z"}'],
        ['month 13', '{"title":"d","published":"2026-13-01"}'],
        ['number overflow in json', '{"title":"d","meta":1e400}'],
        ['nested overflow in json', '{"title":"d","meta":{"a":[1,-1e400]}}'],
        ['number field overflow', '{"title":"d","score":1e400}'],
        ['document overflow', '{"n":{"deep":1e999}}', '/api/collections/notes/records'],
      ];
      for (const [name, body, url] of bodies) {
        const r = await call('POST', url ?? P, { type: 'application/json', body });
        assert.equal(r.status, 400, `${name}: ${r.bytes.toString()}`);
        assert.equal(r.json().type, 'strata/validation', name);
      }
      assert.equal(await count(), before);
      const leap = await postJson(P, { title: 'leap day', published: '2024-02-29', slug: 'leap-day' });
      assert.equal(leap.status, 201, leap.bytes.toString());
      assert.equal(leap.json().published, '2024-02-29T00:00:00.000Z');
      const offset = await postJson(P, { title: 'offset', published: '2024-03-01T01:30:00+02:00', slug: 'offset-day' });
      assert.equal(offset.json().published, '2024-02-29T23:30:00.000Z');
      for (const f of ['created >= "yesterday"', 'published < "2026-02-31"', 'updated = "now"', 'published > "2026-1-1"']) {
        const r = await call('GET', `${P}?filter=${encodeURIComponent(f)}`);
        assert.equal(r.status, 400, `${f}: ${r.bytes.toString()}`);
        assert.equal(r.json().type, 'strata/validation');
        assert.ok(typeof r.json().position === 'number', 'the problem names the position');
      }
      // A date literal compares in the stored form (UTC): date-only and offset literals mean the same instant.
      const titles = async (f: string) => ((await call('GET', `${P}?sort=title&filter=${encodeURIComponent(f)}`)).json().items as { title: string }[]).map((i) => i.title);
      assert.deepEqual(await titles('published = "2024-02-29"'), ['leap day']);
      assert.deepEqual(await titles('published = "2024-03-01T01:30:00+02:00"'), ['offset']);
      assert.deepEqual(await titles('published >= "2024-02-29T12:00:00Z" && published < "2024-03-01"'), ['offset']);
      assert.deepEqual(await titles('published ~ "2024-02" && title ~ "leap"'), ['leap day'], '~ still takes any text');
    });

    test('cursor paging by nullable fields walks every record once, in the order of the offset pages (nulls first ascending)', async () => {
      const scores = [null, 1.5, null, 2, 2, null, -1, 0, 3.25, null, 2, 1.5, null, 7, 0];
      for (const [i, score] of scores.entries()) {
        const r = await postJson(P, { title: `cursor ${i}`, score, views: i % 4, reviewer: i % 3 === 0 ? alice : null, pinned: i % 2 === 0, published: i % 5 === 0 ? null : `2026-01-0${(i % 9) + 1}` });
        assert.equal(r.status, 201, r.bytes.toString());
      }
      const total = await count();
      for (const sort of ['score', '-score', 'score,-views', '-score,title', 'reviewer', '-reviewer,score', 'published', '-published,-score', 'pinned,-score', 'slug']) {
        const all = (await call('GET', `${P}?sort=${sort}&perPage=500`)).json().items as { id: string }[];
        assert.equal(all.length, total, sort);
        const walked: string[] = [];
        let cursor: string | null = null;
        for (let guard = 0; guard < 1000; guard++) {
          const page = await call('GET', `${P}?sort=${sort}&perPage=4${cursor ? `&cursor=${cursor}` : ''}`);
          assert.equal(page.status, 200, `${sort}: ${page.bytes.toString()}`);
          const body = page.json() as { items: { id: string }[]; nextCursor: string | null };
          walked.push(...body.items.map((x) => x.id));
          cursor = body.nextCursor;
          if (!cursor) break;
        }
        assert.deepEqual(walked, all.map((x) => x.id), `sort=${sort}: the cursor walk matches the offset order`);
      }
      // A cursor's null is checked like its other values: a null for a never-null key is refused.
      const bad = Buffer.from(JSON.stringify(['id', null])).toString('base64url');
      assert.equal((await call('GET', `${P}?cursor=${bad}`)).status, 400);
    });

    test('Protocol Buffers: output decoded by protoc against the served .proto; input encoded by protoc', async () => {
      const proto = await call('GET', '/api/collections/posts/schema.proto');
      assert.equal(proto.status, 200);
      writeFileSync(join(dir, 'posts.proto'), proto.bytes);
      const encoded = execFileSync('protoc', [`--proto_path=${dir}`, '--encode=strata.posts.Record', 'posts.proto'], { input: `title: "From protoc"\nviews: 12\npinned: true\nscore: 2.5\nauthor: "${alice}"\nmeta: "{\\"x\\": 1}"\n` });
      const made = await call('POST', P, { type: 'application/x-protobuf', accept: 'application/x-protobuf', body: encoded });
      assert.equal(made.status, 201, made.bytes.toString());
      const text = execFileSync('protoc', [`--proto_path=${dir}`, '--decode=strata.posts.Record', 'posts.proto'], { input: made.bytes }).toString();
      assert.match(text, /title: "From protoc"/);
      assert.match(text, /views: 12/);
      assert.match(text, /status: "draft"/);
      const list = await call('GET', `${P}?filter=${encodeURIComponent('views = 12')}&totalItems=true`, { accept: 'application/x-protobuf' });
      const lt = execFileSync('protoc', [`--proto_path=${dir}`, '--decode=strata.posts.RecordList', 'posts.proto'], { input: list.bytes }).toString();
      assert.match(lt, /items \{[\s\S]*title: "From protoc"/);
      assert.match(lt, /total_items: 1/);
    });

    test('Avro: output decoded by avsc with the served schemas; input accepted', async () => {
      const schema = (await call('GET', '/api/collections/posts/schema.avsc')).json();
      const listSchema = (await call('GET', '/api/collections/posts/schema.avsc?type=list')).json();
      const rec = avro.Type.forSchema(schema as avro.Schema);
      const lst = avro.Type.forSchema(listSchema as avro.Schema);
      const body = rec.toBuffer({ ...Object.fromEntries((schema.fields as { name: string }[]).map((f) => [f.name, null])), title: 'From Avro', views: 5, meta: '{"z":true}' });
      const made = await call('POST', P, { type: 'application/avro', accept: 'application/avro', body });
      assert.equal(made.status, 201, made.bytes.toString());
      const back = rec.fromBuffer(made.bytes) as Record<string, unknown>;
      assert.equal(back.title, 'From Avro');
      assert.equal(back.views, 5);
      assert.equal(back.meta, '{"z":true}');
      const page = lst.fromBuffer((await call('GET', `${P}?filter=${encodeURIComponent('title = "From Avro"')}`, { accept: 'avro/binary' })).bytes) as { items: { title: string }[] };
      assert.deepEqual(page.items.map((i) => i.title), ['From Avro']);
    });

    test('MessagePack: round trip, and batch in one transaction', async () => {
      const made = await call('POST', P, { type: 'application/msgpack', accept: 'application/msgpack', body: pack({ title: 'From msgpack', views: 1 }) });
      assert.equal(made.status, 201);
      assert.equal((unpack(made.bytes) as { title: string }).title, 'From msgpack');
      const before = await count();
      const bad = await postJson('/api/batch', { operations: [{ action: 'create', collection: 'posts', body: { title: 'b1' } }, { action: 'create', collection: 'posts', body: { title: 5 } }] });
      assert.equal(bad.status, 400);
      assert.equal(bad.json().operation, 1);
      assert.equal(await count(), before);
      const ok = await postJson('/api/batch', { operations: [{ action: 'create', collection: 'posts', body: { title: 'b1' } }, { action: 'create', collection: 'tags', body: { label: 'bt' } }] });
      assert.equal(ok.status, 200, ok.bytes.toString());
      assert.deepEqual((ok.json().results as { status: number }[]).map((r) => r.status), [201, 201]);
      assert.equal(await count(), before + 1);
    });

    test('bad input: every malformed body or parameter is a 4xx problem and the table is unchanged', async () => {
      const before = await count();
      const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><record><title>&lol2;</title></record>`;
      const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><record><title>&x;</title></record>`;
      const cases: { name: string; type?: string; body: string | Buffer; method?: string; url?: string }[] = [
        { name: 'truncated JSON', type: 'application/json', body: '{"title": "x' },
        { name: 'JSON array', type: 'application/json', body: '[1,2]' },
        { name: 'JSON null', type: 'application/json', body: 'null' },
        { name: 'proto pollution', type: 'application/json', body: '{"__proto__": {"admin": true}, "title": "x"}' },
        { name: 'XML bomb', type: 'application/xml', body: bomb },
        { name: 'XXE', type: 'application/xml', body: xxe },
        { name: 'malformed XML', type: 'application/xml', body: '<record><title>x</record>' },
        { name: 'XML wrong root', type: 'application/xml', body: '<post><title>x</title></post>' },
        { name: 'XML repeated field', type: 'application/xml', body: '<record><title>x</title><title>y</title></record>' },
        { name: 'protobuf garbage', type: 'application/x-protobuf', body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]) },
        { name: 'protobuf truncated', type: 'application/x-protobuf', body: Buffer.from([0x22, 0x10, 0x41]) },
        { name: 'avro garbage', type: 'application/avro', body: Buffer.from([0x02, 0x99, 0x99, 0x99]) },
        { name: 'msgpack garbage', type: 'application/msgpack', body: Buffer.from([0xc1, 0xc1]) },
        { name: 'msgpack scalar', type: 'application/msgpack', body: pack(42) },
        { name: 'wrong types', type: 'application/json', body: JSON.stringify({ title: ['x'], views: '10', pinned: 1, published: 'yesterday', meta: undefined }) },
        { name: 'oversized field', type: 'application/json', body: JSON.stringify({ title: 'x'.repeat(10_000) }) },
        { name: 'oversized body', type: 'application/json', body: JSON.stringify({ title: 'x', body: 'y'.repeat(300 * 1024) }) },
        { name: 'unknown field', type: 'application/json', body: JSON.stringify({ title: 'x', drop_table: true }) },
        { name: 'system field', type: 'application/json', body: JSON.stringify({ title: 'x', created: '2020-01-01' }) },
        { name: 'no content type', body: '{"title":"x"}' },
        { name: 'deep JSON field', type: 'application/json', body: `{"title": "x", "meta": ${'['.repeat(20000)}${']'.repeat(20000)}}` },
        { name: 'deep document', type: 'application/json', body: `{"a": ${'['.repeat(20000)}${']'.repeat(20000)}}`, url: '/api/collections/notes/records' },
        { name: 'deep XML', type: 'application/xml', body: `<record>${'<a>'.repeat(20000)}${'</a>'.repeat(20000)}</record>` },
        { name: 'deep msgpack', type: 'application/msgpack', body: Buffer.concat([Buffer.from([0x81, 0xa4, 0x6d, 0x65, 0x74, 0x61]), Buffer.alloc(50000, 0x91), Buffer.from([0x90])]) },
        { name: 'empty body', type: 'application/json', body: '' },
        { name: 'batch garbage', type: 'application/json', body: '{"operations": [{"action": "drop", "collection": "posts"}]}', url: '/api/batch' },
        { name: 'batch too large', type: 'application/json', body: JSON.stringify({ operations: Array.from({ length: 101 }, () => ({ action: 'create', collection: 'posts', body: { title: 'x' } })) }), url: '/api/batch' },
      ];
      for (const c of cases) {
        const r = await call(c.method ?? 'POST', c.url ?? P, { type: c.type, body: c.body });
        assert.ok(r.status >= 400 && r.status < 500, `${c.name}: ${r.status} ${r.bytes.toString().slice(0, 200)}`);
        assert.match(r.type, /^application\/problem\+json/, c.name);
        const p = r.json();
        assert.ok(typeof p.type === 'string' && typeof p.title === 'string' && p.status === r.status, c.name);
        assert.doesNotMatch(r.bytes.toString(), /SELECT|INSERT|sqlite|node_modules|\/work\//i, `${c.name} leaks internals`);
      }
      const injections = [
        `filter=${encodeURIComponent("title = '' OR 1=1; DROP TABLE posts; --")}`,
        `filter=${encodeURIComponent('1=1) OR (1=1')}`,
        `sort=${encodeURIComponent('title; DROP TABLE posts')}`,
        `sort=${encodeURIComponent('(SELECT 1)')}`,
        `fields=${encodeURIComponent('id,(SELECT sqlite_version())')}`,
        `expand=${encodeURIComponent('author;DELETE FROM posts')}`,
        `cursor=${encodeURIComponent("'; DROP TABLE posts; --")}`,
        `perPage=${encodeURIComponent('1; DROP TABLE posts')}`,
      ];
      for (const q of injections) {
        const r = await call('GET', `${P}?${q}`);
        assert.equal(r.status, 400, `${q}: ${r.bytes.toString()}`);
        assert.match(r.type, /^application\/problem\+json/);
      }
      assert.equal(await count(), before);
    });

    test('access rules from the hook narrow lists, gets, writes and expanded records', async () => {
      const { sql } = await import('kysely');
      const limitedRules: AccessControl = {
        where: (p, collection, action, _input, alias = 't') => {
          if (!p) return undefined;
          if (collection === 'users') return sql<boolean>`${sql.ref(`${alias}.name`)} <> ${'Alice'}`;
          if (collection === 'posts' && action !== 'create') return sql<boolean>`${sql.ref(`${alias}.views`)} > ${100}`;
          return undefined;
        },
      };
      const ruled = Fastify();
      ruled.setErrorHandler(handleError);
      await ruled.register(
        recordsRoutes({
          records: layer.records,
          access: () => createRecordAccess({ rules: limitedRules, data: () => layer }),
          principal: (req) => (req.headers['x-test-user'] === 'limited' ? { id: 'limited', collection: 'users', superuser: false, scopes: [] } : null),
        }),
      );
      await ruled.listen({ port: 0, host: '127.0.0.1' });
      try {
        const addr = ruled.server.address();
        const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
        const made = await layer.records.create('posts', { title: 'popular', views: 500, author: alice });
        const h = { 'x-test-user': 'limited' };
        const list = (await (await fetch(`${url}${P}?expand=author&totalItems=1`, { headers: h })).json()) as { totalItems: number; items: { title: string; expand: { author: unknown } }[] };
        assert.equal(list.totalItems, 1);
        assert.equal(list.items[0].title, 'popular');
        assert.equal(list.items[0].expand.author, null, 'Alice is hidden from this user, also through expand');
        const open = (await (await fetch(`${url}${P}/${String(made.record.id)}?expand=author`)).json()) as { expand: { author: { name: string } } };
        assert.equal(open.expand.author.name, 'Alice');
        const hidden = (await layer.records.list('posts', { filter: 'views < 100', perPage: 1 })).items[0];
        assert.equal((await fetch(`${url}${P}/${String(hidden.id)}`, { headers: h })).status, 404);
        assert.equal((await fetch(`${url}${P}/${String(hidden.id)}`, { method: 'DELETE', headers: h })).status, 404);
        assert.equal((await fetch(`${url}${P}/${String(hidden.id)}`)).status, 200);
      } finally {
        await ruled.close();
      }
    });

    test('OpenAPI 3.1 document passes an independent validator', async () => {
      const r = await call('GET', '/api/openapi.json');
      assert.equal(r.status, 200);
      const doc = r.json();
      assert.equal(doc.openapi, '3.1.0');
      const v = new Validator();
      const res = await v.validate(doc);
      assert.equal(res.valid, true, JSON.stringify(res.errors, null, 1)?.slice(0, 2000));
      assert.ok((doc.paths as Record<string, unknown>)['/api/collections/posts/records/{id}']);
      assert.ok((doc.paths as Record<string, unknown>)['/api/collections/posts/aggregate'], 'base collections aggregate');
      assert.equal((doc.paths as Record<string, unknown>)['/api/collections/notes/aggregate'], undefined, 'document collections do not (they answer 400)');
    });
  });
}
