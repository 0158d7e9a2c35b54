// The WAF as a Fastify plugin on a real socket: scenarios table (method, url, body,
// expected status, expected event), modes, exclusions, events API, metrics, logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { Registry } from 'prom-client';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { wafPlugin, EventRing, type WafConfig } from '../src/waf/index.js';
import { wafEventsRoutes } from '../src/api/index.js';
import { ForbiddenError, UnauthorizedError } from '../src/core/index.js';
import { handleError } from '../src/edge/index.js';

type Partial2<T> = { [K in keyof T]?: T[K] extends object ? Partial2<T[K]> : T[K] };
function wafConfig(over: Partial2<WafConfig> = {}): WafConfig {
  return Value.Default(WafSchema, structuredClone(over)) as WafConfig;
}

interface Built { app: FastifyInstance; base: string; events: EventRing; registry: Registry; logs: string[] }
async function build(over: Partial2<WafConfig> = {}, opts: { trustProxy?: boolean } = {}): Promise<Built> {
  const logs: string[] = [];
  const app = Fastify({ trustProxy: opts.trustProxy ?? false, logger: { level: 'warn', stream: { write: (l: string) => { logs.push(l); } } } });
  const events = new EventRing(50);
  const registry = new Registry();
  await app.register(wafPlugin({ config: wafConfig(over), registry, events, bodyParsers: true, identity: (r) => ({ user: r.headers['x-user'] as string | undefined }) }));
  app.get('/api/items', async () => ({ items: [1, 2, 3] }));
  app.post('/api/posts', async (req) => ({ ok: true, kind: typeof req.body }));
  app.post('/api/posts/:id', async () => ({ ok: true }));
  app.setErrorHandler(handleError);
  const authorize = (r: { headers: Record<string, unknown> }) => {
    if (!r.headers['x-role']) throw new UnauthorizedError();
    if (r.headers['x-role'] !== 'superuser') throw new ForbiddenError();
  };
  await app.register(wafEventsRoutes({ events, authorize }), { prefix: '/admin/waf/events' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { app, base: `http://127.0.0.1:${port}`, events, registry, logs };
}

async function call(b: Built, method: string, path: string, opts: { body?: string; type?: string; headers?: Record<string, string> } = {}) {
  // a named Host: CRS rule 920350 scores a numeric-IP Host as a warning, which would record an event per request
  const headers: Record<string, string> = { host: 'localhost', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', accept: 'application/json', ...(opts.headers ?? {}) };
  if (opts.type) headers['content-type'] = opts.type;
  const res = await request(b.base + path, { method: method as 'GET', headers, body: opts.body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: (() => { try { return JSON.parse(text) as Record<string, unknown>; } catch { return undefined; } })() };
}

const json = (v: unknown) => ({ body: JSON.stringify(v), type: 'application/json' });
const mp = (name: string, filename: string | undefined, content: string) => ({
  type: 'multipart/form-data; boundary=BOUND',
  body: `--BOUND\r\nContent-Disposition: form-data; name="${name}"${filename !== undefined ? `; filename="${filename}"` : ''}\r\n\r\n${content}\r\n--BOUND--\r\n`,
});

// `detector` is the CRS family that must be among the findings (the default engine); `legacy` what the
// hand-written detectors (waf.engine: legacy) give where it differs.
interface Scenario { name: string; method: string; url: string; req?: { body?: string; type?: string; headers?: Record<string, string> }; status: number; detector?: string; legacy?: { status?: number; detector?: string } }
const SCENARIOS: Scenario[] = [
  { name: 'plain GET', method: 'GET', url: '/api/items?q=hello&page=2', status: 200 },
  { name: 'benign look-alikes', method: 'GET', url: `/api/items?q=${encodeURIComponent("O'Brien & D'Angelo select union")}`, status: 200 },
  { name: 'sqli in query', method: 'GET', url: `/api/items?id=${encodeURIComponent("1' or '1'='1")}`, status: 403, detector: 'sqli' },
  { name: 'double-encoded sqli', method: 'GET', url: '/api/items?id=1%2527%2520or%25201%253D1--', status: 403, detector: 'sqli' },
  { name: 'traversal in path', method: 'GET', url: '/static/..%2f..%2f..%2fetc%2fpasswd', status: 403, detector: 'lfi', legacy: { detector: 'traversal' } },
  { name: 'xss deep in JSON', method: 'POST', url: '/api/posts', req: json({ a: { b: [{ c: { d: '<img src=x onerror=alert(1)>' } }] } }), status: 403, detector: 'xss' },
  // (a JSON body with __proto__ is already refused with 400 by Fastify's secure-json-parse); CRS 3.3 has no prototype-pollution
  // rule: Strata's code detector beside it reads parameter names (strata-prototype-pollution, family nodejs)
  { name: 'prototype pollution key', method: 'GET', url: '/api/items?__proto__[admin]=1', status: 403, detector: 'nodejs', legacy: { status: 403, detector: 'code' } },
  { name: 'benign JSON', method: 'POST', url: '/api/posts', req: json({ title: "O'Brien's post", content: 'Use &lt;b&gt; and `code`', tags: ['a "quoted" tag'] }), status: 200 },
  // a CRS 3.3 false positive (ModSecurity blocks it: `;` then a line starting with a command-like word, rule 932115) that
  // Strata's confirmation gate removes: in a Markdown document, 932xxx counts only when Strata's shell tokenizer finds a command
  { name: 'Markdown code block', method: 'POST', url: '/api/posts', req: json({ content: '```sql\nSELECT 1;\n```\nUse &lt;b&gt;' }), status: 200, legacy: { status: 200 } },
  { name: 'Markdown code block with a command', method: 'POST', url: '/api/posts', req: json({ content: '```sh\nls; cat /etc/passwd\n```' }), status: 403, detector: 'rce', legacy: { status: 403, detector: 'command' } },
  { name: 'urlencoded attack', method: 'POST', url: '/api/posts', req: { body: 'host=127.0.0.1%3B+cat+%2Fetc%2Fpasswd', type: 'application/x-www-form-urlencoded' }, status: 403, detector: 'rce', legacy: { detector: 'command' } },
  { name: 'urlencoded benign', method: 'POST', url: '/api/posts', req: { body: 'name=Tom+%26+Jerry&msg=hello', type: 'application/x-www-form-urlencoded' }, status: 200 },
  { name: 'multipart filename', method: 'POST', url: '/api/posts', req: mp('file', '../../../etc/passwd', 'data'), status: 403, detector: 'lfi', legacy: { detector: 'traversal' } },
  { name: 'multipart field', method: 'POST', url: '/api/posts', req: mp('bio', undefined, '<script>alert(1)</script>'), status: 403, detector: 'xss' },
  { name: 'multipart benign', method: 'POST', url: '/api/posts', req: mp('file', 'photo (1).jpg', '<script>not inspected: file content</script>'), status: 200 },
  { name: 'XML XXE', method: 'POST', url: '/api/posts', req: { body: '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', type: 'application/xml' }, status: 403, detector: 'protocol' },
  { name: 'XML billion laughs', method: 'POST', url: '/api/posts', req: { body: '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;">]><l>&c;</l>', type: 'application/xml' }, status: 403, detector: 'protocol' },
  { name: 'XML text attack', method: 'POST', url: '/api/posts', req: { body: "<r><name>' union select password from users--</name></r>", type: 'application/xml' }, status: 403, detector: 'sqli' },
  { name: 'XML benign', method: 'POST', url: '/api/posts', req: { body: "<note><to>O'Brien</to><body>Tom &amp; Jerry</body></note>", type: 'text/xml' }, status: 200 },
  { name: 'cookie attack', method: 'GET', url: '/api/items', req: { headers: { cookie: 'theme=dark; pref=%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D' } }, status: 403, detector: 'rce', legacy: { detector: 'template' } },
  { name: 'scanner UA', method: 'GET', url: '/api/items', req: { headers: { 'user-agent': 'sqlmap/1.7' } }, status: 403, detector: 'scanner' },
  { name: 'SSRF param', method: 'GET', url: `/api/items?callback_url=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`, status: 403, detector: 'rfi', legacy: { detector: 'ssrf' } },
  { name: 'unknown route still inspected', method: 'GET', url: '/nope?x=%3Cscript%3E', status: 403, detector: 'xss' },
  // a route refuses media types it has no parser for (415) after the body was read and inspected; where no route answers, the allow-list does
  { name: 'type the route does not take', method: 'POST', url: '/api/posts', req: { body: 'x', type: 'application/x-evil' }, status: 415 },
  { name: 'attack in a type the route does not take', method: 'POST', url: '/api/posts', req: { body: "name\n1' union select password from users--", type: 'text/csv' }, status: 403, detector: 'sqli' },
  { name: 'disallowed content type, no route', method: 'POST', url: '/nope', req: { body: 'x', type: 'application/x-evil' }, status: 403, detector: 'protocol' },
];

async function runScenarios(b: Built, engine: 'crs' | 'legacy'): Promise<void> {
  for (const s0 of SCENARIOS) {
    const s = engine === 'legacy' ? { ...s0, status: s0.legacy?.status ?? s0.status, detector: s0.legacy?.detector ?? s0.detector } : s0;
    const before = b.events.size;
    const r = await call(b, s.method, s.url, s.req);
    assert.equal(r.status, s.status, `${engine} ${s.name}: ${r.text}`);
    if (s.status === 403) {
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/, s.name);
      assert.equal(r.json?.type, 'strata/waf-blocked', s.name);
      assert.equal(r.json?.status, 403);
      const id = r.json?.eventId as string;
      assert.match(id, /^[0-9a-f-]{36}$/);
      const ev = b.events.get(id);
      assert.ok(ev, s.name);
      assert.equal(ev.action, 'blocked');
      assert.ok(ev.detections.some((d) => d.detector === s.detector), `${engine} ${s.name}: ${JSON.stringify(ev.detections)}`);
    } else {
      assert.equal(b.events.size, before, `${engine} ${s.name} recorded no event`);
    }
  }
}

test('legacy engine scenarios in block mode at paranoia 1', async () => {
  const b = await build({ engine: 'legacy' });
  try {
    await runScenarios(b, 'legacy');
    assert.match(await b.registry.metrics(), /strata_waf_detections_total\{detector="sqli",rule="sqli-tautology"\} \d+/);
  } finally { await b.app.close(); }
});

test('CRS engine scenarios in block mode at paranoia 1', async () => {
  const b = await build({ engine: 'crs' });
  try {
    await runScenarios(b, 'crs');
    const metrics = await b.registry.metrics();
    assert.match(metrics, /strata_waf_requests_total\{action="blocked"\} (\d+)/);
    assert.match(metrics, /strata_waf_detections_total\{detector="sqli",rule="942100"\} \d+/);
    assert.match(metrics, /strata_waf_requests_total\{action="pass"\} \d+/);
    const logged = b.logs.join('\n');
    assert.match(logged, /waf blocked/);
    assert.doesNotMatch(logged, /not inspected: file content|O'Brien's post/, 'bodies are never logged');
  } finally { await b.app.close(); }
});

test('detect mode logs and records but lets requests through; off does nothing', async () => {
  const d = await build({ mode: 'detect' });
  try {
    const r = await call(d, 'GET', `/api/items?id=${encodeURIComponent("' or 1=1--")}`);
    assert.equal(r.status, 200);
    const [ev] = d.events.list();
    assert.equal(ev.action, 'detected');
    assert.equal(ev.detections[0].detector, 'sqli');
    assert.equal(ev.detections[0].excerpt, "' or 1=1--");
    assert.match(await d.registry.metrics(), /strata_waf_requests_total\{action="detected"\} 1/);
  } finally { await d.app.close(); }
  const o = await build({ mode: 'off' });
  try {
    assert.equal((await call(o, 'GET', '/api/items?x=%3Cscript%3E')).status, 200);
    assert.equal(o.events.size, 0);
  } finally { await o.app.close(); }
});

test('exclusions per route, parameter and detector; paranoia levels (CRS engine)', async () => {
  const b = await build({ engine: 'crs', exclusions: [{ route: '/api/posts/:id', parameter: 'body:content', detectors: ['xss'] }] });
  try {
    assert.equal((await call(b, 'POST', '/api/posts/7', json({ content: '<script>alert(1)</script>' }))).status, 200, 'excluded parameter');
    assert.equal((await call(b, 'POST', '/api/posts/7', json({ title: '<script>alert(1)</script>' }))).status, 403, 'other parameter');
    assert.equal((await call(b, 'POST', '/api/posts', json({ content: '<script>alert(1)</script>' }))).status, 403, 'other route');
    assert.equal((await call(b, 'POST', '/api/posts/7', json({ content: "' or 1=1--" }))).status, 403, 'other detector');
  } finally { await b.app.close(); }
  const p1 = await build({ engine: 'crs', paranoia: 1 });
  const p2 = await build({ engine: 'crs', paranoia: 2 });
  try {
    // CRS 942260 (a SELECT ... FROM statement) is a paranoia 2 rule, confirmed at PL2 by Strata's SQL tokenizer (sqli-statement)
    const url = `/api/items?q=${encodeURIComponent('SELECT password FROM users')}`;
    assert.equal((await call(p1, 'GET', url)).status, 200);
    assert.equal((await call(p2, 'GET', url)).status, 403);
  } finally { await p1.app.close(); await p2.app.close(); }
});

test('events API is for superusers only', async () => {
  const b = await build();
  try {
    const blocked = await call(b, 'GET', '/api/items?x=%3Cscript%3E');
    const anonymous = await call(b, 'GET', '/admin/waf/events');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json?.type, 'strata/unauthorized');
    const denied = await call(b, 'GET', '/admin/waf/events', { headers: { 'x-role': 'user' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.json?.type, 'strata/forbidden');
    const list = await call(b, 'GET', '/admin/waf/events?limit=5&action=blocked', { headers: { 'x-role': 'superuser' } });
    assert.equal(list.status, 200);
    const items = list.json?.items as Array<{ id: string }>;
    assert.equal(items[0].id, blocked.json?.eventId);
    const one = await call(b, 'GET', `/admin/waf/events/${items[0].id}`, { headers: { 'x-role': 'superuser' } });
    assert.equal(one.json?.id, items[0].id);
    assert.equal((await call(b, 'GET', '/admin/waf/events/nope', { headers: { 'x-role': 'superuser' } })).json?.type, 'strata/not-found');
    assert.equal((await call(b, 'GET', '/admin/waf/events?limit=0', { headers: { 'x-role': 'superuser' } })).status, 400);
  } finally { await b.app.close(); }
});

test('IP allow/deny/bypass with CIDR, honouring the trusted proxy address', async () => {
  const deny = await build({ ip: { deny: ['127.0.0.0/8'] } });
  try {
    const r = await call(deny, 'GET', '/api/items');
    assert.equal(r.status, 403);
    assert.equal(r.json?.type, 'strata/ip-denied');
    assert.match(await deny.registry.metrics(), /strata_ip_denied_total\{reason="denied"\} 1/);
  } finally { await deny.app.close(); }
  const allow = await build({ ip: { allow: ['10.0.0.0/8', '2001:db8::/32'] } }, { trustProxy: true });
  try {
    assert.equal((await call(allow, 'GET', '/api/items')).status, 403, '127.0.0.1 not on the allow list');
    assert.equal((await call(allow, 'GET', '/api/items', { headers: { 'x-forwarded-for': '10.9.8.7' } })).status, 200, 'client address from the trusted proxy');
    assert.equal((await call(allow, 'GET', '/api/items', { headers: { 'x-forwarded-for': '2001:db8::5' } })).status, 200);
    assert.equal((await call(allow, 'GET', '/api/items', { headers: { 'x-forwarded-for': '11.0.0.1' } })).status, 403);
  } finally { await allow.app.close(); }
  const bypass = await build({ ip: { bypass: ['127.0.0.1'] } });
  try {
    assert.equal((await call(bypass, 'GET', '/api/items?x=%3Cscript%3E')).status, 200, 'bypassed address is not inspected');
  } finally { await bypass.app.close(); }
});

test('rate limit: 429 problem with Retry-After and RateLimit headers', async () => {
  const b = await build({ rateLimit: { rules: [{ name: 'items', by: 'ip', algorithm: 'token-bucket', limit: 2, windowSeconds: 60, routes: ['/api/items'] }, { name: 'users', by: 'user', algorithm: 'sliding-window', limit: 1, windowSeconds: 60, routes: ['/api/posts'] }] } });
  try {
    const a = await call(b, 'GET', '/api/items');
    assert.equal(a.status, 200);
    assert.equal(a.headers['ratelimit-policy'], '"items";q=2;w=60');
    assert.equal(a.headers.ratelimit, '"items";r=1;t=30');
    await call(b, 'GET', '/api/items');
    const c = await call(b, 'GET', '/api/items');
    assert.equal(c.status, 429);
    assert.equal(c.json?.type, 'strata/rate-limited');
    assert.equal(c.headers['retry-after'], '30');
    assert.equal(c.headers.ratelimit, '"items";r=0;t=60');
    assert.equal((await call(b, 'POST', '/api/posts', { ...json({}), headers: { 'x-user': 'u1' } })).status, 200);
    assert.equal((await call(b, 'POST', '/api/posts', { ...json({}), headers: { 'x-user': 'u1' } })).status, 429);
    assert.equal((await call(b, 'POST', '/api/posts', { ...json({}), headers: { 'x-user': 'u2' } })).status, 200);
    assert.match(await b.registry.metrics(), /strata_ratelimit_limited_total\{policy="items"\} 1/);
  } finally { await b.app.close(); }
});

function rawRequest(base: string, text: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.end(text));
    let out = '';
    s.on('data', (d) => { out += d.toString(); });
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

test('protocol anomalies over a raw socket: duplicate Host, smuggling', async () => {
  const b = await build();
  try {
    const dup = await rawRequest(b.base, 'GET /api/items HTTP/1.1\r\nHost: a\r\nHost: b\r\nUser-Agent: x\r\nAccept: */*\r\nConnection: close\r\n\r\n');
    assert.match(dup, /^HTTP\/1\.1 403/, dup.slice(0, 60));
    assert.match(dup, /strata\/waf-blocked/, 'Node accepts a second Host; the WAF refuses it');
    const smuggle = await rawRequest(b.base, 'POST /api/posts HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n0\r\n\r\n');
    assert.match(smuggle, /^HTTP\/1\.1 (403|400)/, 'refused by the WAF or by Node\'s strict parser');
  } finally { await b.app.close(); }
});

test('connection limit per IP closes the extra socket', async () => {
  const b = await build({ ip: { maxConnectionsPerIp: 1 } });
  try {
    const u = new URL(b.base);
    const first = connect(Number(u.port), u.hostname);
    await new Promise((r) => first.once('connect', r));
    await new Promise((r) => setTimeout(r, 50));
    const second = connect(Number(u.port), u.hostname);
    const closed = await new Promise<boolean>((resolve) => {
      second.once('close', () => resolve(true));
      second.once('data', () => resolve(false));
      second.write('GET /api/items HTTP/1.1\r\nHost: a\r\n\r\n');
    });
    assert.equal(closed, true);
    first.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await call(b, 'GET', '/api/items')).status, 200, 'a slot frees up when the first closes');
    assert.match(await b.registry.metrics(), /strata_connections_rejected_total 1/);
  } finally { await b.app.close(); }
});

test('memoized results give the same verdicts, with exclusions applied per request', async () => {
  const { createWafEngine } = await import('../src/waf/index.js');
  const { DEFAULT_LIMITS } = await import('./waf-corpus.js');
  const head = (url: string) => ({ method: 'GET', url, httpVersion: '1.1', headers: { host: 'a', 'user-agent': 'Mozilla/5.0', accept: '*/*' } });
  for (const engine of ['crs', 'legacy'] as const) {
    const e = createWafEngine({ mode: 'block', engine, paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, cacheSize: 100, exclusions: [{ route: '/ok', parameter: 'query:q', detectors: ['sqli'] }] });
    const expected = engine === 'crs' ? ['942100'] : ['sqli-tautology'];
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(e.inspectHead(head("/x?q=%27%20or%201%3D1--"), '/x').map((d) => d.rule), expected, `${engine} round ${i}`);
      assert.deepEqual(e.inspectHead(head("/ok?q=%27%20or%201%3D1--"), '/ok'), [], `${engine} round ${i}: excluded on /ok even when cached`);
      assert.equal(e.inspectHead(head("/x?q=%27%20or%201%3D1--"), '/x')[0].excerpt, "' or 1=1--");
    }
  }
});

test('per-connection memo: repeated header lines reuse findings; any changed line is inspected again; exclusions still apply per request', async () => {
  const { createWafEngine } = await import('../src/waf/index.js');
  const { DEFAULT_LIMITS } = await import('./waf-corpus.js');
  // the per-connection memo is the legacy engine's (the CRS engine memoizes per value instead)
  const e = createWafEngine({ mode: 'block', engine: 'legacy', paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, cacheSize: 0, exclusions: [{ route: '/ok', parameter: 'header:referer', detectors: ['xss'] }] });
  const head = (url: string, lines: string[]) => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < lines.length; i += 2) headers[lines[i].toLowerCase()] = lines[i + 1];
    return { method: 'GET', url, httpVersion: '1.1', headers, rawHeaders: lines };
  };
  const benign = ['Host', 'a', 'User-Agent', 'Mozilla/5.0', 'Accept', '*/*', 'Referer', 'https://a/x?tab=1'];
  const xss = ['Host', 'a', 'User-Agent', 'Mozilla/5.0', 'Accept', '*/*', 'Referer', 'https://a/"><script>alert(1)</script>'];
  const scanner = ['Host', 'a', 'User-Agent', 'sqlmap/1.7', 'Accept', '*/*', 'Referer', 'https://a/x?tab=1'];
  const memo = {};
  const rules = (url: string, lines: string[], route = '/x') => e.inspectHead(head(url, [...lines]), route, memo).map((d) => `${d.detector}@${d.location ?? 'request'}`);
  assert.deepEqual(rules('/x', benign), []);
  assert.deepEqual(rules('/x?q=1', benign), [], 'same lines, new target');
  assert.deepEqual(rules('/x', xss), ['xss@header'], 'a changed Referer is inspected again');
  assert.deepEqual(rules('/x?p=2', xss), ['xss@header'], 'and its findings are reused while it repeats');
  assert.deepEqual(rules('/ok', xss, '/ok'), [], 'exclusions apply per request to reused findings');
  assert.deepEqual(rules('/x', scanner), ['scanner@request'], 'header-level checks follow the lines too');
  assert.deepEqual(rules('/x', scanner), ['scanner@request']);
  assert.deepEqual(rules('/x', benign), []);
  assert.deepEqual(e.inspectHead({ ...head('/x', [...benign]), httpVersion: '1.0', headers: {}, rawHeaders: [] }, '/x', memo), [], 'HTTP/1.0 without Host');
  assert.deepEqual(rules('/x', ['User-Agent', 'Mozilla/5.0']).sort(), ['protocol@request'], 'missing Host on 1.1 after a 1.0 request');
  // HTTP/2: pseudo-headers change per request, the rest is compared
  const h2 = (path: string, ua: string) => [':method', 'GET', ':path', path, ':authority', 'a', 'user-agent', ua];
  const m2 = {};
  const r2 = (lines: string[]) => e.inspectHead({ method: 'GET', url: lines[3], httpVersion: '2.0', headers: { ':authority': 'a', 'user-agent': lines[7] }, rawHeaders: lines }, '/x', m2).map((d) => d.detector);
  assert.deepEqual(r2(h2('/a', 'Mozilla/5.0')), []);
  assert.deepEqual(r2(h2("/b?id=%27%20or%201%3D1--", 'Mozilla/5.0')), ['sqli'], 'the target is inspected on every request');
  assert.deepEqual(r2(h2('/c', 'nikto')), ['scanner']);
});

test('over one keep-alive connection, a request whose headers turn hostile is blocked and the next benign one passes', async () => {
  const b = await build();
  const { Agent } = await import('undici');
  const agent = new Agent({ connections: 1, pipelining: 1 });
  const get = async (headers: Record<string, string>) => {
    const res = await request(`${b.base}/api/items`, { dispatcher: agent, headers: { accept: 'application/json', ...headers } });
    await res.body.text();
    return res.statusCode;
  };
  try {
    const ua = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' };
    const sockets = new Set<unknown>();
    b.app.server.on('connection', (s) => sockets.add(s));
    assert.equal(await get({ ...ua, cookie: 'theme=dark' }), 200);
    assert.equal(await get({ ...ua, cookie: 'theme=dark' }), 200);
    assert.equal(await get({ ...ua, cookie: "theme=dark' or '1'='1" }), 403, 'the changed cookie is inspected');
    assert.equal(await get({ ...ua, cookie: 'theme=dark' }), 200);
    assert.equal(await get({ 'user-agent': 'sqlmap/1.7' }), 403);
    assert.equal(await get({ 'user-agent': 'sqlmap/1.7' }), 403, 'reused findings still block');
    assert.equal(await get(ua), 200);
    assert.equal(sockets.size, 1, 'all on one connection');
  } finally {
    await agent.close();
    await b.app.close();
  }
});

test('every request is counted once: passes with and without a body, one detect-mode event per request (head and body findings together), also when the route is unknown or the body does not parse', async () => {
  const b = await build({ mode: 'detect' });
  const count = async (action: string) => Number(new RegExp(`strata_waf_requests_total\\{action="${action}"\\} (\\d+)`).exec(await b.registry.metrics())?.[1] ?? 0);
  try {
    for (let i = 0; i < 3; i++) assert.equal((await call(b, 'GET', `/api/items?page=${i}`)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await call(b, 'POST', '/api/posts', json({ title: `post ${i}` }))).status, 200);
    assert.equal(await count('pass'), 5);
    assert.equal(b.events.size, 0);
    // head and body findings of one request make one event
    assert.equal((await call(b, 'POST', `/api/posts?q=${encodeURIComponent("' or 1=1--")}`, json({ content: '<script>alert(1)</script>' }))).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(b.events.size, 1);
    assert.deepEqual([...new Set(b.events.list()[0].detections.map((d) => d.detector))].sort(), ['sqli', 'xss']);
    // no route: the body is never judged, the head's findings are still recorded once
    assert.equal((await call(b, 'POST', `/nowhere?q=${encodeURIComponent("' or 1=1--")}`, json({ a: 1 }))).status, 404);
    // a body that does not parse
    assert.equal((await call(b, 'POST', `/api/posts?q=${encodeURIComponent("' or 1=1--")}`, { body: '{"broken', type: 'application/json' })).status, 400);
    // a benign body that does not parse counts as a pass
    assert.equal((await call(b, 'POST', '/api/posts', { body: '{"broken', type: 'application/json' })).status, 400);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(b.events.size, 3, 'one event per request with findings');
    assert.equal(await count('detected'), 3);
    assert.equal(await count('pass'), 6);
  } finally { await b.app.close(); }
});

test('HTTP/2: each request is counted once, also when the route is unknown or the body does not parse', async () => {
  const http2 = await import('node:http2');
  const { WafSchema: Schema } = await import('../src/config/schema-waf.js');
  const app = Fastify({ http2: true });
  const events = new EventRing(50);
  const registry = new Registry();
  await app.register(wafPlugin({ config: Value.Default(Schema, { mode: 'detect' }) as WafConfig, events, registry }));
  app.post('/api/posts', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const client = http2.connect(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
  const post = (path: string, body: string) => new Promise<number>((resolve, reject) => {
    const r = client.request({ ':method': 'POST', ':path': path, ':authority': 'localhost', 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0', accept: '*/*' });
    let status = 0;
    r.on('response', (h) => (status = Number(h[':status'])));
    r.on('error', reject);
    r.resume();
    r.on('end', () => resolve(status));
    r.end(body);
  });
  const sqli = encodeURIComponent("' or 1=1--");
  try {
    assert.equal(await post(`/nowhere?q=${sqli}`, '{"a":1}'), 404);
    assert.equal(await post(`/api/posts?q=${sqli}`, '{"broken'), 400);
    assert.equal(await post('/api/posts', '{"a":1}'), 200);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(events.size, 2);
    const m = await registry.metrics();
    assert.match(m, /strata_waf_requests_total\{action="detected"\} 2/);
    assert.match(m, /strata_waf_requests_total\{action="pass"\} 1/);
  } finally {
    client.close();
    await app.close();
  }
});
