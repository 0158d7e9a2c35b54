// Binary request bodies (MessagePack, Protocol Buffers) are inspected like JSON: the attack
// and benign corpora sent in each format score the same, and a real server blocks them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { request } from 'undici';
import { Packr } from 'msgpackr';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { wafPlugin, type WafConfig } from '../src/waf/index.js';
import { msgpackParts, protobufParts } from '../src/waf/body-binary.js';
import type { RawPart } from '../src/waf/request-parts.js';
import { asBodySamples, attackCorpus, benignCorpus, corpusReport, protoMessage, scoreSample } from './waf-corpus.js';
import { holdoutAttacks, holdoutBenign } from './waf-corpus-holdout.js';
import { holdout2Attacks, holdout2Benign } from './waf-corpus-holdout2.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const LIM = { maxDepth: 64, maxParts: 4096 };
// PL1-2: the CRS engine is slower per sample than the legacy one, and these tests run every corpus twice
const LEVELS = [1, 2] as const;

test('the corpora sent as MessagePack score exactly as sent as JSON, sample by sample', () => {
  for (const [attacks, benign] of [[attackCorpus(), benignCorpus()], [holdoutAttacks(), holdoutBenign()], [holdout2Attacks(), holdout2Benign()]]) {
    const all = [...asBodySamples(attacks, 'json'), ...asBodySamples(benign, 'json')];
    assert.ok(all.length > 100);
    for (const s of all) {
      for (const pl of LEVELS) {
        const viaJson = scoreSample(s, pl);
        const viaMsgpack = scoreSample({ ...s, where: 'msgpack' }, pl);
        assert.deepEqual(viaMsgpack, viaJson, `${s.family}/${s.variant} PL${pl}: ${JSON.stringify(s.value).slice(0, 80)}`);
      }
    }
  }
});

test('the corpora sent as Protocol Buffers (no schema) are detected at the JSON rates, same false positives', () => {
  for (const [attacks, benign] of [[attackCorpus(), benignCorpus()], [holdoutAttacks(), holdoutBenign()], [holdout2Attacks(), holdout2Benign()]]) {
    // attacks in parameter names (`__proto__[x]`) have no protobuf form: fields are numbered
    const valued = attacks.filter((x) => !/proto|constructor/i.test(x.name ?? ''));
    const viaJson = corpusReport(asBodySamples(valued, 'json'), asBodySamples(benign, 'json'), 'crs', [1, 2]);
    const viaPb = corpusReport(asBodySamples(valued, 'protobuf'), asBodySamples(benign, 'protobuf'), 'crs', [1, 2]);
    assert.ok(Object.keys(viaJson.detection).length >= 7);
    for (const [family, lv] of Object.entries(viaJson.detection)) {
      for (const pl of [1, 2] as const) assert.equal(viaPb.detection[family][pl].detected, lv[pl].detected, `${family} PL${pl}: ${viaPb.missed[pl].filter((m) => m.startsWith(family)).slice(0, 5).join(' | ')}`);
    }
    // protobuf fields have no names: what a name decides (a redirect URI is no RFI target: `redirect_url`) cannot apply to them
    const byName = benign.filter((x) => /redirect/i.test(x.name ?? '')).length;
    for (const pl of [1, 2] as const) {
      assert.ok(viaPb.falsePositives[pl].flagged >= viaJson.falsePositives[pl].flagged, viaPb.falsePositives[pl].samples.join('\n'));
      assert.ok(viaPb.falsePositives[pl].flagged <= viaJson.falsePositives[pl].flagged + byName, viaPb.falsePositives[pl].samples.join('\n'));
    }
  }
});

test('protobuf wire format: strings by field path, nested messages descended, text hidden in scalar fields still seen', () => {
  const out: RawPart[] = [];
  const inner = protoMessage([[1, 'Hello'], [2, "' or 1=1--"]]);
  protobufParts(Buffer.concat([protoMessage([[1, inner], [7, 'top']]), Buffer.from([0x08, 0x96, 0x01])]), out, LIM);
  assert.deepEqual(out.map((p) => `${p.name}=${p.value}`).sort(), ['1.1=Hello', "1.2=' or 1=1--", '7=top']);

  // an attacker spelling SQL across fixed64 fields (tag 0x11 = field 2, 8 bytes each) plus a string field:
  // the bytes parse as a message, but a message with scalar fields is inspected as text too
  const hidden = Buffer.concat([Buffer.from([0x11]), Buffer.from("' or 1=1"), Buffer.from([0x11]), Buffer.from('--      '), protoMessage([[3, 'x']])]);
  const out2: RawPart[] = [];
  protobufParts(protoMessage([[4, hidden]]), out2, LIM);
  assert.ok(out2.some((p) => p.name === '4' && p.value.includes("' or 1=1")), JSON.stringify(out2));

  // not a message (wire type 7): the body's text is inspected whole; invalid UTF-8 yields nothing
  const out3: RawPart[] = [];
  protobufParts(Buffer.from("' or 1=1--"), out3, LIM);
  assert.deepEqual(out3, [{ location: 'body', name: 'body', value: "' or 1=1--" }]);
  const out4: RawPart[] = [];
  protobufParts(Buffer.from([0xff, 0xfe, 0x07]), out4, LIM);
  assert.deepEqual(out4, []);
});

test('binary bodies are bounded: deep nesting, many parts and garbage never throw', () => {
  // 2,000 nested messages: the walk stops at maxDepth and the parts at maxParts
  let deep = protoMessage([[1, 'leaf']]);
  for (let i = 0; i < 2000; i++) deep = protoMessage([[1, deep]]);
  const out: RawPart[] = [];
  protobufParts(deep, out, { maxDepth: 8, maxParts: 16 });
  assert.ok(out.length <= 16);
  const many = protoMessage(Array.from({ length: 5000 }, (_, i) => [1 + (i % 5), `v${i}`] as [number, string]));
  const out2: RawPart[] = [];
  protobufParts(many, out2, { maxDepth: 8, maxParts: 100 });
  assert.equal(out2.length, 100);

  // msgpack nested 100,000 arrays deep (msgpackr recurses: it fails inside, never out)
  const out3: RawPart[] = [];
  msgpackParts(Buffer.concat([Buffer.alloc(100_000, 0x91), packr.pack('x')]), out3, LIM);
  const out4: RawPart[] = [];
  msgpackParts(packr.pack({ a: Array.from({ length: 10_000 }, (_, i) => `s${i}`) }), out4, { maxDepth: 64, maxParts: 50 });
  assert.equal(out4.length, 50);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 500; i++) {
    const b = Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)));
    msgpackParts(b, [], LIM);
    protobufParts(b, [], LIM);
  }
});

test('a server taking raw bodies (as the records API does) blocks msgpack and protobuf attacks with 403 problem+json', async () => {
  const app = Fastify();
  await app.register(wafPlugin({ config: Value.Default(WafSchema, { mode: 'block', paranoia: 1 }) as WafConfig }));
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/api/collections/posts/records', async (req) => ({ ok: true, bytes: (req.body as Buffer).length }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/collections/posts/records`;
    const send = async (type: string, body: Buffer) => {
      const res = await request(base, { method: 'POST', headers: { 'content-type': type, 'user-agent': 'Mozilla/5.0 Firefox/120.0' }, body });
      return { status: res.statusCode, type: String(res.headers['content-type']), body: (await res.body.json()) as Record<string, unknown> };
    };
    const cases: Array<[string, Buffer, number]> = [
      ['application/msgpack', packr.pack({ title: 'Hi', body: '<img src=x onerror=alert(1)>' }), 403],
      ['application/x-msgpack', packr.pack({ title: "O'Brien & D'Angelo select union", n: 3, tags: ['a'] }), 200],
      ['application/x-protobuf', protoMessage([[4, 'Hi'], [5, "1' UNION SELECT password FROM users--"]]), 403],
      ['application/protobuf', protoMessage([[4, "O'Brien's post about SQL: select, union, drop"], [5, 'https://example.com/a?b=1']]), 200],
    ];
    for (const [type, body, status] of cases) {
      const r = await send(type, body);
      assert.equal(r.status, status, `${type}: ${JSON.stringify(r.body)}`);
      if (status === 403) {
        assert.match(r.type, /^application\/problem\+json/);
        assert.equal(r.body.type, 'strata/waf-blocked');
      } else assert.equal(r.body.bytes, body.length);
    }
  } finally {
    await app.close();
  }
});
