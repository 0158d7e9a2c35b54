import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpRules, normalizeIp, cidrList, EventRing, ConnectionLimiter, type WafEvent } from '../src/waf/index.js';

test('CIDR lists for IPv4 and IPv6, IPv4-mapped addresses, bad entries refused', () => {
  const r = new IpRules({ allow: [], deny: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'], bypass: ['127.0.0.1'] });
  assert.equal(r.check('10.200.1.1'), 'deny');
  assert.equal(r.check('::ffff:10.1.2.3'), 'deny');
  assert.equal(r.check('2001:db8:1::9'), 'deny');
  assert.equal(r.check('2001:db9::1'), 'allow');
  assert.equal(r.check('192.0.2.7'), 'deny');
  assert.equal(r.check('192.0.2.8'), 'allow');
  assert.equal(r.check('127.0.0.1'), 'bypass');
  assert.equal(r.check('fe80::1%eth0'), 'allow');
  const only = new IpRules({ allow: ['192.168.0.0/16'], deny: ['192.168.66.0/24'], bypass: [] });
  assert.equal(only.check('192.168.1.1'), 'allow');
  assert.equal(only.check('192.168.66.1'), 'deny', 'deny wins over allow');
  assert.equal(only.check('8.8.8.8'), 'deny');
  assert.equal(only.check('garbage'), 'deny');
  assert.deepEqual(normalizeIp('::ffff:1.2.3.4'), { address: '1.2.3.4', type: 'ipv4' });
  assert.throws(() => cidrList(['10.0.0.0/33'], 'x'), /bad prefix/);
  assert.throws(() => cidrList(['example.com'], 'x'), /not an IP/);
  assert.equal(new IpRules({ allow: [], deny: [], bypass: [] }).empty, true);
});

test('event ring keeps the newest N and filters', () => {
  const ring = new EventRing(3);
  const ev = (i: number): WafEvent => ({ id: `e${i}`, time: '', requestId: '', action: i % 2 ? 'blocked' : 'detected', method: 'GET', path: '/', ip: `1.1.1.${i}`, score: 5, threshold: 5, paranoia: 1, detections: [{ detector: i === 4 ? 'xss' : 'sqli', rule: 'r', severity: 'critical', score: 5, paranoia: 1, message: '' }] });
  for (let i = 1; i <= 5; i++) ring.push(ev(i));
  assert.equal(ring.size, 3);
  assert.deepEqual(ring.list().map((e) => e.id), ['e5', 'e4', 'e3']);
  assert.deepEqual(ring.list({ action: 'blocked' }).map((e) => e.id), ['e5', 'e3']);
  assert.deepEqual(ring.list({ detector: 'xss' }).map((e) => e.id), ['e4']);
  assert.deepEqual(ring.list({ limit: 1 }).map((e) => e.id), ['e5']);
  assert.equal(ring.get('e1'), undefined);
  assert.equal(ring.get('e4')?.ip, '1.1.1.4');
  const none = new EventRing(0);
  none.push(ev(1));
  assert.equal(none.size, 0);
});

test('connection limiter counts per address', () => {
  const c = new ConnectionLimiter(2);
  assert.equal(c.acquire('a'), true);
  assert.equal(c.acquire('a'), true);
  assert.equal(c.acquire('a'), false);
  assert.equal(c.acquire('b'), true);
  c.release('a');
  assert.equal(c.acquire('a'), true);
  assert.equal(c.count('a'), 2);
  assert.equal(new ConnectionLimiter(0).acquire('x'), true, '0 = unlimited');
});
