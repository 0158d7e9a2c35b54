import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LazyRequestLogger } from './request-logger.js';

test('the request logger binds reqId only when used, and logs through the parent', () => {
  const lines: string[] = [];
  const parent = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const l = new LazyRequestLogger(parent, { reqId: 'r-1' });
  assert.equal(l.level, 'info');
  l.debug('hidden');
  l.info({ a: 1 }, 'hello');
  l.error(new Error('boom'));
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]);
  assert.equal(first.reqId, 'r-1');
  assert.equal(first.msg, 'hello');
  assert.equal(first.a, 1);
  assert.equal(JSON.parse(lines[1]).err.message, 'boom');
  const c = l.child({ sub: 'x' });
  c.warn('w');
  assert.equal(JSON.parse(lines[2]).sub, 'x');
  assert.equal(JSON.parse(lines[2]).reqId, 'r-1');
});
