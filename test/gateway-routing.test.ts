// Route matching as a table of scenarios, then the plugin dispatching to static, redirect and API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { compileRoutes, createStaticSite, gatewayRoutes, normalizeHost } from '../src/gateway/index.js';

const table = compileRoutes<string>([
  { name: 'exact-host', match: { hosts: ['api.example.com'] }, target: 'A' },
  { name: 'wild', match: { hosts: ['*.example.com'], prefix: '/static' }, target: 'B' },
  { name: 'exact-path', match: { path: '/health' }, target: 'C' },
  { name: 'pattern', match: { pattern: '^/v[0-9]+/' }, target: 'D' },
  { name: 'method', match: { prefix: '/write', methods: ['POST', 'PUT'] }, target: 'E' },
  { name: 'header', match: { prefix: '/beta', headers: { 'X-Beta': '1' } }, target: 'F' },
  { name: 'header-re', match: { prefix: '/beta', headers: { 'user-agent': '/curl/' } }, target: 'G' },
  { name: 'prio', match: { prefix: '/health' }, priority: 10, target: 'H' },
  { name: 'fallback', match: {}, target: 'Z' },
]);

const scenarios: [string, { host?: string; path: string; method?: string; headers?: Record<string, string> }, string][] = [
  ['exact host wins first by order', { host: 'api.example.com', path: '/static/x' }, 'A'],
  ['wildcard host with prefix', { host: 'cdn.example.com', path: '/static/app.js' }, 'B'],
  ['wildcard is deep', { host: 'a.b.example.com', path: '/static' }, 'B'],
  ['wildcard excludes apex', { host: 'example.com', path: '/static/x' }, 'Z'],
  ['prefix is segment-aware', { host: 'cdn.example.com', path: '/staticky' }, 'Z'],
  ['priority beats order', { path: '/health' }, 'H'],
  ['priority prefix on subpath', { path: '/health/live' }, 'H'],
  ['pattern', { path: '/v2/users' }, 'D'],
  ['pattern miss', { path: '/vx/users' }, 'Z'],
  ['method match', { path: '/write/1', method: 'PUT' }, 'E'],
  ['method miss', { path: '/write/1', method: 'GET' }, 'Z'],
  ['header exact', { path: '/beta/x', headers: { 'x-beta': '1' } }, 'F'],
  ['header regex', { path: '/beta/x', headers: { 'user-agent': 'curl/8.0' } }, 'G'],
  ['header miss', { path: '/beta/x', headers: { 'x-beta': '2' } }, 'Z'],
];

for (const [name, req, want] of scenarios) {
  test(`route: ${name}`, () => {
    const r = table.match({ host: normalizeHost(req.host ?? 'x.test'), path: req.path, method: req.method ?? 'GET', headers: req.headers ?? {} });
    assert.equal(r?.target, want);
  });
}

test('normalizeHost strips ports and case', () => {
  assert.equal(normalizeHost('API.Example.com:8080'), 'api.example.com');
  assert.equal(normalizeHost('[::1]:80'), '[::1]');
  assert.equal(normalizeHost(undefined), '');
});

test('compileRoutes refuses ambiguous path kinds', () => {
  assert.throws(() => compileRoutes([{ match: { path: '/a', prefix: '/a' }, target: 1 }]));
});

test('plugin dispatches static, redirect and api routes in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-route-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'hello.txt'), 'hi');
  const site = createStaticSite({ root: dir });
  const app = Fastify();
  app.register(
    gatewayRoutes({
      routes: [
        { match: { prefix: '/api' }, target: { type: 'api' } },
        { match: { hosts: ['old.example.com'] }, target: { type: 'redirect', to: 'https://new.example.com{uri}', status: 301 } },
        { match: { prefix: '/files' }, target: { type: 'static', site } },
        { match: { prefix: '/secure' }, target: { type: 'redirect', to: 'https://{host}{uri}' } },
        { match: { prefix: '/' }, target: { type: 'static', site } },
      ],
    }),
  );
  app.get('/api/ping', async () => ({ pong: true }));
  t.after(() => app.close());
  assert.deepEqual((await app.inject('/api/ping')).json(), { pong: true });
  assert.equal((await app.inject('/api/missing')).statusCode, 404);
  const red = await app.inject({ url: '/a/b?c=1', headers: { host: 'old.example.com' } });
  assert.equal(red.statusCode, 301);
  assert.equal(red.headers.location, 'https://new.example.com/a/b?c=1');
  const sneaky = await app.inject({ url: '//evil.test/x', headers: { host: 'old.example.com' } });
  assert.equal(sneaky.headers.location, 'https://new.example.com/evil.test/x', 'no protocol-relative open redirect');
  const toTls = await app.inject({ url: '/secure/a?b', headers: { host: 'Site.Example:8080' } });
  assert.equal(toTls.statusCode, 308);
  assert.equal(toTls.headers.location, 'https://site.example/secure/a?b');
  const badHost = await app.inject({ url: '/secure', headers: { host: 'evil.test@x' } });
  assert.equal(badHost.headers.location, 'https:///secure', 'an odd Host never lands in Location');
  assert.equal((await app.inject('/files/hello.txt')).body, 'hi');
  assert.equal((await app.inject('/hello.txt')).body, 'hi');
  const post = await app.inject({ method: 'POST', url: '/hello.txt', payload: 'x' });
  assert.equal(post.statusCode, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  assert.equal(post.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(post.json().type, 'strata/method-not-allowed');
});
