// RFC 9111 rules as a table of scenarios over the pure freshness functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentAge, freshnessLifetime, isStorable, parseCacheControl, reuseDecision, staleIfErrorAllowed, type FreshnessInfo } from '../src/gateway/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const date = (ms: number) => new Date(ms).toUTCString();

test('Cache-Control parsing', () => {
  const d = parseCacheControl('Max-Age=60, no-cache="set-cookie, x", private, s-maxage = 5, ext="a\\"b"');
  assert.equal(d.get('max-age'), '60');
  assert.equal(d.get('no-cache'), 'set-cookie, x');
  assert.equal(d.get('private'), true);
  assert.equal(d.get('s-maxage'), '5');
  assert.equal(d.get('ext'), 'a"b');
  assert.equal(parseCacheControl(['max-age=1', 'public']).get('public'), true);
});

type Storable = [string, { method?: string; req?: Record<string, string>; status?: number; res: Record<string, string | string[]>; policy?: Parameters<typeof isStorable>[4] }, boolean];
const storable: Storable[] = [
  ['max-age 200', { res: { 'cache-control': 'max-age=60' } }, true],
  ['POST is not stored', { method: 'POST', res: { 'cache-control': 'max-age=60' } }, false],
  ['HEAD is not stored', { method: 'HEAD', res: { 'cache-control': 'max-age=60' } }, false],
  ['no-store response', { res: { 'cache-control': 'max-age=60, no-store' } }, false],
  ['no-store request', { req: { 'cache-control': 'no-store' }, res: { 'cache-control': 'max-age=60' } }, false],
  ['private', { res: { 'cache-control': 'private, max-age=60' } }, false],
  ['no-cache is stored (revalidated on use)', { res: { 'cache-control': 'no-cache' } }, true],
  ['Expires only', { res: { expires: date(T0 + 60_000) } }, true],
  ['heuristic 200 with Last-Modified', { res: { 'last-modified': date(T0) } }, true],
  ['heuristic 404', { status: 404, res: {} }, true],
  ['500 never', { status: 500, res: { 'cache-control': 'max-age=60' } }, false],
  ['206 not stored', { status: 206, res: { 'cache-control': 'max-age=60' } }, false],
  ['302 only with explicit freshness', { status: 302, res: {} }, false],
  ['302 with max-age', { status: 302, res: { 'cache-control': 'max-age=60' } }, true],
  ['Vary: *', { res: { 'cache-control': 'max-age=60', vary: '*' } }, false],
  ['Set-Cookie refused by default', { res: { 'cache-control': 'max-age=60', 'set-cookie': 'a=1' } }, false],
  ['Set-Cookie when allowed', { res: { 'cache-control': 'max-age=60', 'set-cookie': 'a=1' }, policy: { allowSetCookie: true } }, true],
  ['Authorization refused by default', { req: { authorization: 'Bearer x' }, res: { 'cache-control': 'public, max-age=60' } }, false],
  ['Authorization allowed needs public/s-maxage', { req: { authorization: 'Bearer x' }, res: { 'cache-control': 'max-age=60' }, policy: { allowAuthorization: true } }, false],
  ['Authorization allowed with s-maxage', { req: { authorization: 'Bearer x' }, res: { 'cache-control': 's-maxage=60' }, policy: { allowAuthorization: true } }, true],
];
for (const [name, s, want] of storable) {
  test(`storable: ${name}`, () => {
    assert.equal(isStorable(s.method ?? 'GET', s.req ?? {}, s.status ?? 200, s.res, s.policy).store, want);
  });
}

const info = (headers: Record<string, string>, extra: Partial<FreshnessInfo> = {}): FreshnessInfo => ({
  status: 200,
  headers: { date: date(T0), ...headers },
  requestTime: T0,
  responseTime: T0,
  ...extra,
});

type Lifetime = [string, FreshnessInfo, number];
const lifetimes: Lifetime[] = [
  ['s-maxage beats max-age', info({ 'cache-control': 'max-age=10, s-maxage=20' }), 20_000],
  ['max-age beats Expires', info({ 'cache-control': 'max-age=10', expires: date(T0 + 99_000) }), 10_000],
  ['Expires minus Date', info({ expires: date(T0 + 30_000) }), 30_000],
  ['invalid Expires is expired', info({ expires: '0' }), 0],
  ['heuristic 10% of Date - Last-Modified', info({ 'last-modified': date(T0 - 1_000_000) }), 100_000],
  ['no information', info({}, { status: 302 }), 0],
  ['malformed max-age ignored', info({ 'cache-control': 'max-age=abc', expires: date(T0 + 5_000) }), 5_000],
];
for (const [name, i, want] of lifetimes) test(`lifetime: ${name}`, () => assert.equal(freshnessLifetime(i), want));

test('age: Age header, apparent age and response delay (§4.2.3)', () => {
  assert.equal(currentAge(info({}), T0 + 5_000), 5_000);
  assert.equal(currentAge(info({ age: '30' }), T0), 30_000);
  // Date lies 10 s in the past when the response arrives: apparent age counts.
  assert.equal(currentAge(info({ date: date(T0 - 10_000) }), T0), 10_000);
  // 2 s round trip is added to the Age header value.
  assert.equal(currentAge(info({ age: '5' }, { requestTime: T0 - 2_000 }), T0 + 1_000), 8_000);
});

type Reuse = [string, FreshnessInfo, Record<string, string>, number, string];
const reuse: Reuse[] = [
  ['fresh', info({ 'cache-control': 'max-age=60' }), {}, T0 + 10_000, 'fresh'],
  ['stale', info({ 'cache-control': 'max-age=60' }), {}, T0 + 61_000, 'revalidate'],
  ['no-cache response always revalidates', info({ 'cache-control': 'max-age=60, no-cache' }), {}, T0, 'revalidate'],
  ['request no-cache', info({ 'cache-control': 'max-age=60' }), { 'cache-control': 'no-cache' }, T0, 'revalidate'],
  ['request Pragma: no-cache', info({ 'cache-control': 'max-age=60' }), { pragma: 'no-cache' }, T0, 'revalidate'],
  ['request max-age smaller than age', info({ 'cache-control': 'max-age=60' }), { 'cache-control': 'max-age=5' }, T0 + 10_000, 'revalidate'],
  ['request min-fresh', info({ 'cache-control': 'max-age=60' }), { 'cache-control': 'min-fresh=55' }, T0 + 10_000, 'revalidate'],
  ['request max-stale', info({ 'cache-control': 'max-age=60' }), { 'cache-control': 'max-stale=30' }, T0 + 80_000, 'fresh'],
  ['max-stale beyond its bound', info({ 'cache-control': 'max-age=60' }), { 'cache-control': 'max-stale=10' }, T0 + 80_000, 'revalidate'],
  ['must-revalidate beats max-stale', info({ 'cache-control': 'max-age=60, must-revalidate' }), { 'cache-control': 'max-stale' }, T0 + 80_000, 'revalidate'],
  ['stale-while-revalidate window', info({ 'cache-control': 'max-age=60, stale-while-revalidate=30' }), {}, T0 + 80_000, 'stale-while-revalidate'],
  ['after the swr window', info({ 'cache-control': 'max-age=60, stale-while-revalidate=30' }), {}, T0 + 95_000, 'revalidate'],
  ['s-maxage forbids stale (proxy-revalidate)', info({ 'cache-control': 's-maxage=60, stale-while-revalidate=30' }), {}, T0 + 80_000, 'revalidate'],
  ['Age makes it stale on arrival', info({ 'cache-control': 'max-age=60', age: '90' }), {}, T0, 'revalidate'],
];
for (const [name, i, req, now, want] of reuse) test(`reuse: ${name}`, () => assert.equal(reuseDecision(i, req, now), want));

type Sie = [string, FreshnessInfo, Record<string, string>, number, boolean];
const sie: Sie[] = [
  ['within response stale-if-error', info({ 'cache-control': 'max-age=60, stale-if-error=100' }), {}, T0 + 120_000, true],
  ['beyond it', info({ 'cache-control': 'max-age=60, stale-if-error=100' }), {}, T0 + 200_000, false],
  ['request stale-if-error', info({ 'cache-control': 'max-age=60' }), { 'cache-control': 'stale-if-error=100' }, T0 + 120_000, true],
  ['must-revalidate forbids', info({ 'cache-control': 'max-age=60, must-revalidate, stale-if-error=100' }), {}, T0 + 120_000, false],
  ['absent', info({ 'cache-control': 'max-age=60' }), {}, T0 + 120_000, false],
];
for (const [name, i, req, now, want] of sie) test(`stale-if-error: ${name}`, () => assert.equal(staleIfErrorAllowed(i, req, now), want));
