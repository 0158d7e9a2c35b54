// wsTextFrame produces the bytes ws itself puts on the wire for the same text (server side, no mask).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from 'ws';
import { wsTextFrame } from './ws-frame.js';

// ws's own framing (exported at runtime, not in its types).
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, o: Record<string, unknown>): Buffer[] } };

for (const n of [0, 1, 125, 126, 65_535, 65_536, 70_000]) {
  test(`wsTextFrame: ${n}-byte payload equals ws's own frame`, () => {
    const payload = Buffer.alloc(n, 'a');
    const expected = Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
    assert.deepEqual(wsTextFrame(payload), expected);
  });
}

test('writeBatched: frames written in one tick reach the socket in one write, in order', async () => {
  const { Writable } = await import('node:stream');
  const { writeBatched } = await import('./ws-frame.js');
  const writes: Buffer[][] = [];
  const sink = new Writable({
    writev(chunks, cb) {
      writes.push(chunks.map((c) => c.chunk as Buffer));
      cb();
    },
    write(chunk: Buffer, _enc, cb) {
      writes.push([chunk]);
      cb();
    },
  });
  const socket = sink as unknown as import('node:net').Socket;
  for (const s of ['a', 'b', 'c']) writeBatched(socket, Buffer.from(s));
  assert.equal(writes.length, 0, 'held until the tick ends');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes.map((w) => Buffer.concat(w).toString()), ['abc']);
  assert.equal(writes[0].length, 3);
  writeBatched(socket, Buffer.from('d'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes.map((w) => Buffer.concat(w).toString()), ['abc', 'd']);
});

test('writeBatched: several sockets corked in one tick are all uncorked', async () => {
  const { Writable } = await import('node:stream');
  const { writeBatched } = await import('./ws-frame.js');
  const seen: string[] = [];
  const sinks = ['x', 'y', 'z'].map(
    (name) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          seen.push(`${name}:${chunk.toString()}`);
          cb();
        },
      }) as unknown as import('node:net').Socket,
  );
  for (const s of sinks) writeBatched(s, Buffer.from('1'));
  assert.deepEqual(seen, []);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen.sort(), ['x:1', 'y:1', 'z:1']);
  for (const s of sinks) assert.equal(s.writableCorked, 0);
});
