// Forwarded headers (RFC 7239) per trusted proxies, header rules and path rewriting as tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardedHeaders, ipList } from '../src/gateway/index.js';
import { applyHeaderRules, compilePathRewrite, endToEnd } from '../src/gateway/proxy/header-rules.js';

const trusted = ipList(['10.0.0.0/8', '::1']);
type Row = [string, { remote: string; proto?: string; host?: string; headers?: Record<string, string> }, { xff: string; client: string; proto: string; fwd: string; xfh?: string }];
const rows: Row[] = [
  ['direct untrusted client', { remote: '203.0.113.5', host: 'a.test', headers: { 'x-forwarded-for': '1.1.1.1', 'x-forwarded-proto': 'https' } }, { xff: '203.0.113.5', client: '203.0.113.5', proto: 'http', fwd: 'for=203.0.113.5;proto=http;host=a.test', xfh: 'a.test' }],
  ['trusted proxy keeps chain', { remote: '10.0.0.2', host: 'a.test', headers: { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.test', forwarded: 'for=198.51.100.7' } }, { xff: '198.51.100.7, 10.0.0.2', client: '198.51.100.7', proto: 'https', fwd: 'for=198.51.100.7, for=10.0.0.2;proto=http;host=a.test', xfh: 'public.test' }],
  ['spoofed left entries ignored for client ip', { remote: '10.0.0.2', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.0.0.9' } }, { xff: '6.6.6.6, 198.51.100.7, 10.0.0.9, 10.0.0.2', client: '198.51.100.7', proto: 'http', fwd: 'for=10.0.0.2;proto=http' }],
  ['IPv6 quoted in Forwarded', { remote: '2001:db8::1', proto: 'https', host: 'h.test:8443' }, { xff: '2001:db8::1', client: '2001:db8::1', proto: 'https', fwd: 'for="[2001:db8::1]";proto=https;host="h.test:8443"', xfh: 'h.test:8443' }],
  ['IPv4-mapped loopback normalised', { remote: '::ffff:10.1.2.3', headers: { 'x-forwarded-for': '192.0.2.1' } }, { xff: '192.0.2.1, 10.1.2.3', client: '192.0.2.1', proto: 'http', fwd: 'for=10.1.2.3;proto=http' }],
];
for (const [name, input, want] of rows) {
  test(`forwarded: ${name}`, () => {
    const r = forwardedHeaders({ remoteAddress: input.remote, proto: input.proto ?? 'http', host: input.host, headers: input.headers ?? {} }, trusted);
    assert.equal(r.headers['x-forwarded-for'], want.xff);
    assert.equal(r.clientIp, want.client);
    assert.equal(r.headers['x-forwarded-proto'], want.proto);
    assert.equal(r.headers.forwarded, want.fwd);
    assert.equal(r.headers['x-forwarded-host'], want.xfh);
  });
}

test('header rules apply remove, set, add in order; hop-by-hop dropped', () => {
  const h = endToEnd({ a: '1', b: '2', connection: 'close, x-private', 'x-private': 's', 'keep-alive': 't', te: 'trailers', ':path': '/', c: ['x', 'y'] });
  assert.deepEqual(Object.keys(h).sort(), ['a', 'b', 'c']);
  applyHeaderRules(h, { remove: ['A'], set: { B: 'new', a: 'again' }, add: { c: 'z', d: '1' } });
  assert.deepEqual(h, { b: 'new', a: 'again', c: ['x', 'y', 'z'], d: '1' });
});

test('path rewrite: strip prefix and regex', () => {
  const rw = compilePathRewrite({ stripPrefix: true, pattern: '^/v1/(.*)$', replacement: '/api/$1' });
  assert.equal(rw('/svc/v1/users', 4), '/api/users');
  assert.equal(rw('/svc', 4), '/');
  assert.equal(compilePathRewrite(undefined)('/keep', 4), '/keep');
});
