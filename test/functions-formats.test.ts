// Function routes in every records-API format: XML (checked by xmllint), Protocol Buffers (the served
// functions.proto compiled and used by protoc), Avro (avsc with the served schemas), 406/415, bad bytes,
// and the start-up error for a schema Protobuf/Avro cannot carry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { pino } from 'pino';
import { createServer } from '../src/server/index.js';
import { loadConfig } from '../src/config/index.js';
import { appDir, startApp } from './functions-helpers.js';

const orders = `
import { defineRoute, Type } from 'strata/functions';
const Address = Type.Object({ city: Type.String(), zip: Type.String() });
const Line = Type.Object({ sku: Type.String(), price: Type.Number() });
export const order = defineRoute({
  method: 'POST', path: '/fn/orders/:shop', auth: 'public',
  schema: {
    params: Type.Object({ shop: Type.String() }),
    body: Type.Object({ customer: Type.String({ minLength: 1 }), qty: Type.Integer({ minimum: 1 }), express: Type.Optional(Type.Boolean()), note: Type.Optional(Type.String()), address: Address, lines: Type.Array(Line), tags: Type.Array(Type.String()) }),
    response: { 201: Type.Object({ shop: Type.String(), customer: Type.String(), qty: Type.Integer(), express: Type.Boolean(), note: Type.Optional(Type.String()), address: Address, lines: Type.Array(Line), tags: Type.Array(Type.String()), total: Type.Number() }) },
  },
  handler({ params, body, reply }) {
    reply.code(201);
    const total = body.lines.reduce((s, l) => s + l.price * body.qty, 0);
    return { ...body, shop: params.shop, express: body.express ?? false, total, internal: 'never leaves' } as any;
  },
});
export const loose = defineRoute({
  method: 'POST', path: '/fn/loose', auth: 'public', formats: ['json', 'msgpack', 'xml'],
  schema: { body: Type.Object({ data: Type.Record(Type.String(), Type.Unknown()) }), response: Type.Object({ keys: Type.Array(Type.String()), data: Type.Unknown() }) },
  handler: ({ body }) => ({ keys: Object.keys(body.data), data: body.data }),
});
`;

const address = { city: 'Lyon', zip: '69001' };
const lines = [{ sku: 'a-1', price: 2.5 }, { sku: 'b<2>', price: 4 }];

test('function routes speak XML, Protocol Buffers and Avro through their schemas', async (t) => {
  const dir = appDir({ 'functions/orders.ts': orders });
  const { server, url } = await startApp(dir);
  const post = async (path: string, type: string, accept: string, body: Buffer | string) => {
    const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': type, accept }, body });
    return { status: r.status, type: r.headers.get('content-type') ?? '', bytes: Buffer.from(await r.arrayBuffer()) };
  };
  const json = (b: Buffer) => JSON.parse(b.toString()) as Record<string, any>;
  try {
    const protoFile = join(dir, 'functions.proto');
    await t.test('GET /api/functions.proto compiles with protoc and holds only routes that speak Protobuf', async () => {
      const r = await fetch(`${url}/api/functions.proto`);
      assert.equal(r.status, 200);
      const text = await r.text();
      writeFileSync(protoFile, text);
      execFileSync('protoc', [`--proto_path=${dir}`, `--descriptor_set_out=${join(dir, 'fd.bin')}`, 'functions.proto']);
      assert.match(text, /package strata\.functions;/);
      assert.match(text, /message PostFnOrdersByShopBody \{[\s\S]*message Address \{[\s\S]*repeated LinesItem lines = 6;/);
      assert.match(text, /optional bool express = 3;/);
      assert.doesNotMatch(text, /Loose/);
    });

    const protoc = (args: string[], input: Buffer | string) => execFileSync('protoc', [`--proto_path=${dir}`, ...args, 'functions.proto'], { input });
    await t.test('Protocol Buffers: a body encoded by protoc is read; the reply decodes with protoc and leaks nothing', async () => {
      const body = protoc(['--encode=strata.functions.PostFnOrdersByShopBody'], 'customer: "Ann" qty: 2 address { city: "Lyon" zip: "69001" } lines { sku: "a-1" price: 2.5 } lines { sku: "b" price: 4 } tags: "x" tags: "y"');
      const r = await post('/fn/orders/s1', 'application/x-protobuf', 'application/x-protobuf', body);
      assert.equal(r.status, 201, r.bytes.toString());
      assert.equal(r.type, 'application/x-protobuf');
      const text = protoc(['--decode=strata.functions.PostFnOrdersByShopResponse201'], r.bytes).toString();
      assert.match(text, /shop: "s1"/);
      assert.match(text, /customer: "Ann"/);
      assert.match(text, /qty: 2\n/);
      assert.match(text, /total: 13\n/);
      assert.match(text, /address \{\n\s+city: "Lyon"/);
      assert.match(text, /lines \{\n\s+sku: "b"\n\s+price: 4\n/);
      assert.match(text, /tags: "y"/);
      assert.doesNotMatch(text, /note|never leaves/);
      // the raw wire has exactly the declared field numbers (1..9), nothing else
      const raw = execFileSync('protoc', ['--decode_raw'], { input: r.bytes }).toString();
      const top = [...raw.matchAll(/^(\d+)[: ]/gm)].map((m) => Number(m[1]));
      assert.ok(top.every((n) => n >= 1 && n <= 9), raw);
      // an invalid value is a validation error on the decoded body
      const bad = await post('/fn/orders/s1', 'application/x-protobuf', 'application/json', protoc(['--encode=strata.functions.PostFnOrdersByShopBody'], 'customer: "" qty: 0 address { city: "x" zip: "y" }'));
      assert.equal(bad.status, 400);
      assert.deepEqual(json(bad.bytes).errors.map((e: { field: string }) => e.field).sort(), ['body.customer', 'body.qty']);
      const junk = await post('/fn/orders/s1', 'application/x-protobuf', 'application/json', Buffer.from([0x0a, 0xff, 0xff, 0x01]));
      assert.equal(junk.status, 400);
      assert.equal(json(junk.bytes).type, 'strata/validation');
    });

    await t.test('Avro: body and reply through the served schemas, read by avsc', async () => {
      const schemas = (await (await fetch(`${url}/api/functions.avsc`)).json()) as Record<string, avro.Schema>;
      assert.deepEqual(Object.keys(schemas).sort(), ['PostFnOrdersByShopBody', 'PostFnOrdersByShopResponse201']);
      const inT = avro.Type.forSchema(schemas.PostFnOrdersByShopBody);
      const outT = avro.Type.forSchema(schemas.PostFnOrdersByShopResponse201);
      const body = inT.toBuffer({ customer: 'Bo', qty: 3, express: true, note: null, address, lines, tags: [] });
      const r = await post('/fn/orders/s2', 'application/avro', 'application/avro', body);
      assert.equal(r.status, 201, r.bytes.toString());
      assert.equal(r.type, 'application/avro');
      const back = outT.fromBuffer(r.bytes) as Record<string, unknown>;
      assert.deepEqual(JSON.parse(JSON.stringify(back)), { shop: 's2', customer: 'Bo', qty: 3, express: true, note: null, address: { ...address }, lines: lines.map((l) => ({ ...l })), tags: [], total: 19.5 });
      const junk = await post('/fn/orders/s2', 'application/avro', 'application/json', Buffer.from('nope'));
      assert.equal(junk.status, 400);
      assert.equal(json(junk.bytes).type, 'strata/validation');
    });

    await t.test('XML: a <request> body is read against the schema; the reply is well-formed per xmllint', async () => {
      const xml = `<?xml version="1.0"?><request><customer>Cy &amp; Co</customer><qty>2</qty><address><city>Lyon</city><zip>69001</zip></address><lines><item><sku>a-1</sku><price>2.5</price></item><item><sku>b&lt;2&gt;</sku><price>4</price></item></lines><tags><item>one</item></tags><extra>dropped</extra></request>`;
      const r = await post('/fn/orders/s3', 'application/xml', 'application/xml', xml);
      assert.equal(r.status, 201, r.bytes.toString());
      assert.match(r.type, /^application\/xml/);
      const file = join(dir, 'r.xml');
      writeFileSync(file, r.bytes);
      execFileSync('xmllint', ['--noout', '--nonet', file]);
      const xpath = (expr: string) => execFileSync('xmllint', ['--xpath', expr, file]).toString().trim();
      assert.equal(xpath('string(/response/customer)'), 'Cy & Co');
      assert.equal(xpath('string(/response/lines/item[2]/sku)'), 'b<2>');
      assert.equal(xpath('string(/response/total)'), '13');
      assert.equal(xpath('string(/response/express)'), 'false');
      assert.equal(xpath('count(/response/tags/item)'), '1');
      assert.equal(xpath('count(/response/internal)'), '0');
      const cases: [string, string[]][] = [
        ['<request><qty>none</qty><address><city>x</city><zip>y</zip></address><lines/><tags/></request>', ['body.customer', 'body.qty']],
        ['<request><customer>a</customer><customer>b</customer></request>', ['']],
        ['<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><request/>', ['']],
        ['<order><customer>a</customer></order>', ['']],
        ['<request><customer>a</request>', ['']],
      ];
      for (const [body, fields] of cases) {
        const bad = await post('/fn/orders/s3', 'application/xml', 'application/json', body);
        assert.equal(bad.status, 400, body);
        assert.equal(json(bad.bytes).type, 'strata/validation', body);
        assert.deepEqual(json(bad.bytes).errors.map((e: { field: string }) => e.field).sort(), fields, body);
      }
    });

    await t.test('406 when the client accepts nothing the route produces; 415 for a body format it cannot read', async () => {
      const ok = await post('/fn/loose', 'application/json', 'application/xml', JSON.stringify({ data: { a: 1, 'b c': [true] } }));
      assert.equal(ok.status, 200);
      // a key that is no XML name becomes <_>, so the document stays well-formed
      assert.match(ok.bytes.toString(), /<response><keys><item>a<\/item><item>b c<\/item><\/keys><data><a>1<\/a><_><item>true<\/item><\/_><\/data><\/response>$/);
      writeFileSync(join(dir, 'loose.xml'), ok.bytes);
      execFileSync('xmllint', ['--noout', '--nonet', join(dir, 'loose.xml')]);
      for (const accept of ['application/x-protobuf', 'application/avro', 'text/csv']) {
        const r = await post('/fn/loose', 'application/json', accept, JSON.stringify({ data: {} }));
        assert.equal(r.status, 406, accept);
        assert.equal(json(r.bytes).type, 'strata/not-acceptable');
        assert.match(json(r.bytes).detail, /application\/json, application\/msgpack, application\/xml\.$/);
      }
      const r415 = await post('/fn/loose', 'application/x-protobuf', 'application/json', Buffer.from([0x0a, 0]));
      assert.equal(r415.status, 415);
      assert.equal(json(r415.bytes).type, 'strata/unsupported-media-type');
    });

    await t.test('OpenAPI lists the media types of each route', async () => {
      const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as any;
      const op = doc.paths['/fn/orders/{shop}'].post;
      assert.deepEqual(Object.keys(op.requestBody.content), ['application/json', 'application/msgpack', 'application/xml', 'application/x-protobuf', 'application/avro']);
      assert.deepEqual(Object.keys(op.responses['201'].content), ['application/json', 'application/msgpack', 'application/xml', 'application/x-protobuf', 'application/avro']);
      assert.deepEqual(Object.keys(doc.paths['/fn/loose'].post.responses['200'].content), ['application/json', 'application/msgpack', 'application/xml']);
    });
  } finally {
    await server.stop();
  }
});

test('a schema Protobuf/Avro cannot carry, or an unknown format, fails start-up naming the file, route and schema path', async () => {
  const dir = appDir({
    'functions/maps.ts': `import { defineRoute, Type } from 'strata/functions';
export const m = defineRoute({ method: 'GET', path: '/fn/maps', auth: 'public', schema: { response: Type.Object({ ok: Type.Boolean(), counts: Type.Record(Type.String(), Type.Integer()) }) }, handler: () => ({ ok: true, counts: {} }) });
`,
  });
  const { config } = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: join(dir, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'functions.dir': join(dir, 'functions') } });
  await assert.rejects(createServer(config, pino({ level: 'silent' })), (e: Error) => {
    assert.match(e.message, /^maps\.ts: export m: invalid schema: GET \/fn\/maps: GetFnMapsResponse: schema at \/properties\/counts allows arbitrary keys/);
    assert.match(e.message, /formats: \['json', 'msgpack', 'xml'\]/);
    return true;
  });
  const typo = appDir({ 'functions/typo.ts': `import { defineRoute } from 'strata/functions';\nexport default defineRoute({ method: 'GET', path: '/fn/typo', auth: 'public', formats: ['json', 'yaml' as any], handler: () => ({}) });\n` });
  const { config: c2 } = loadConfig({ cwd: typo, env: {}, overrides: { dataDir: join(typo, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'functions.dir': join(typo, 'functions') } });
  await assert.rejects(createServer(c2, pino({ level: 'silent' })), /^FunctionLoadError: typo\.ts: export default: .*formats: unknown "yaml" \(known: json, msgpack, xml, protobuf, avro\)/);
});
