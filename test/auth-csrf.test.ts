import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { assertSameOrigin, CsrfError } from '../src/auth/index.js';
import { createCsrfTokens } from '../src/auth/sessions/csrf.js';

const self = 'https://app.example.com';
const isCsrf = (e: unknown) => e instanceof CsrfError && e.status === 403 && e.type === 'strata/csrf';
type Case = [string, string, Record<string, string>, 'ok' | 'refused', { trustedOrigins?: string[]; allowMissing?: boolean }?];

const cases: Case[] = [
  ['safe method from anywhere', 'GET', { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' }, 'ok'],
  ['same origin POST', 'POST', { origin: self, 'sec-fetch-site': 'same-origin' }, 'ok'],
  ['foreign Origin POST', 'POST', { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' }, 'refused'],
  ['foreign Origin even if fetch metadata lies', 'POST', { origin: 'https://evil.test', 'sec-fetch-site': 'same-origin' }, 'refused'],
  ['sibling subdomain is another origin', 'DELETE', { origin: 'https://evil.example.com' }, 'refused'],
  ['scheme downgrade is another origin', 'PUT', { origin: 'http://app.example.com' }, 'refused'],
  ['port differs', 'PATCH', { origin: 'https://app.example.com:8443' }, 'refused'],
  ['Origin: null (sandboxed iframe)', 'POST', { origin: 'null' }, 'refused'],
  ['trusted other origin', 'POST', { origin: 'https://admin.example.com' }, 'ok', { trustedOrigins: ['https://admin.example.com'] }],
  ['no Origin, Sec-Fetch-Site same-origin', 'POST', { 'sec-fetch-site': 'same-origin' }, 'ok'],
  ['no Origin, Sec-Fetch-Site same-site', 'POST', { 'sec-fetch-site': 'same-site' }, 'refused'],
  ['no Origin, Sec-Fetch-Site cross-site', 'POST', { 'sec-fetch-site': 'cross-site' }, 'refused'],
  ['no Origin, Sec-Fetch-Site none (user typed)', 'POST', { 'sec-fetch-site': 'none' }, 'ok'],
  ['Referer same origin', 'POST', { referer: `${self}/form?x=1` }, 'ok'],
  ['Referer foreign', 'POST', { referer: 'https://evil.test/app.example.com' }, 'refused'],
  ['Referer garbage', 'POST', { referer: 'not a url' }, 'refused'],
  ['nothing at all', 'POST', {}, 'refused'],
  ['nothing at all, allowMissing', 'POST', {}, 'ok', { allowMissing: true }],
  ['lower-case method', 'post', { origin: 'https://evil.test' }, 'refused'],
];

for (const [name, method, headers, expect, opts] of cases) {
  test(`origin check: ${name} → ${expect}`, () => {
    const run = () => assertSameOrigin({ method, headers, selfOrigin: self }, opts);
    if (expect === 'ok') assert.doesNotThrow(run);
    else assert.throws(run, isCsrf);
  });
}

test('CSRF tokens: bound to the session, unforgeable, constant-time checked', () => {
  const secret = randomBytes(32);
  const csrf = createCsrfTokens({ secret });
  const t = csrf.issue('session-a');
  assert.match(t, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  assert.equal(csrf.verify('session-a', t), true);
  assert.notEqual(csrf.issue('session-a'), t, 'fresh nonce each time');
  assert.equal(csrf.verify('session-b', t), false, "another session's token");
  assert.equal(createCsrfTokens({ secret: randomBytes(32) }).verify('session-a', t), false, 'another secret');
  const [nonce, mac] = t.split('.');
  for (const bad of [undefined, '', nonce, `${nonce}.`, `.${mac}`, `${nonce}x.${mac}`, `${nonce}.${mac}x`, t + t]) {
    assert.equal(csrf.verify('session-a', bad), false, String(bad));
  }
  assert.equal(csrf.verify('', t), false);
  assert.throws(() => csrf.assert('session-b', t), isCsrf);
  assert.throws(() => createCsrfTokens({ secret: randomBytes(8) }), RangeError);
});
