import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { accessLog, flushAccessLines } from './access-log.js';
import { flushLogger } from './logging.js';

function capture(level = 'info') {
  const lines: string[] = [];
  const log = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  return { log, lines };
}

test('access lines are valid JSON in pino shape, with hostile strings escaped', () => {
  const { log, lines } = capture();
  const write = accessLog(log)!;
  write({ reqId: 'r"1\n', ip: '::1', method: 'GET', path: '/a"b\\c\u0000</script>', status: 404, ms: 1.5 });
  flushAccessLines(log);
  log.info({ x: 1 }, 'other');
  assert.equal(lines.length, 2);
  const a = JSON.parse(lines[0]);
  const b = JSON.parse(lines[1]);
  assert.deepEqual(Object.keys(a).slice(0, 3), Object.keys(b).slice(0, 3), 'level, time, pid as pino writes them');
  assert.equal(a.level, 30);
  assert.equal(a.reqId, 'r"1\n');
  assert.equal(a.path, '/a"b\\c\u0000</script>');
  assert.equal(a.status, 404);
  assert.equal(a.ms, 1.5);
  assert.equal(a.msg, 'request');
  assert.equal(typeof a.time, 'number');
});

test('no writer when info is off', () => {
  assert.equal(accessLog(capture('warn').log), undefined);
});

test('an unknown client address is written as null, never as bare undefined', () => {
  const { log, lines } = capture();
  accessLog(log)!({ reqId: 'r', ip: undefined, method: 'GET', path: '/', status: 200, ms: 1 });
  flushAccessLines(log);
  assert.equal(JSON.parse(lines[0]).ip, null);
});

test('lines of one event-loop turn go out in one write, in order, on the next turn; flushLogger writes what is pending', async () => {
  const { log, lines } = capture();
  const write = accessLog(log)!;
  for (let i = 0; i < 50; i++) write({ reqId: `r${i}`, ip: '::1', method: 'GET', path: `/${i}`, status: 200, ms: 1 });
  assert.equal(lines.length, 0, 'nothing written during the turn');
  await new Promise((r) => setImmediate(r));
  assert.equal(lines.length, 1, 'one write for the whole turn');
  const paths = lines[0].trimEnd().split('\n').map((l) => JSON.parse(l).path);
  assert.deepEqual(paths, Array.from({ length: 50 }, (_, i) => `/${i}`));
  // a child logger shares the destination: its flush writes the pending lines too
  write({ reqId: 'last', ip: '::1', method: 'GET', path: '/last', status: 200, ms: 1 });
  flushLogger(log.child({ c: 1 }));
  assert.equal(JSON.parse(lines[1]).path, '/last');
});
