import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { decodeBase64Chunks, isGrpcWebText } from './grpc-web-text.js';

async function decode(parts: string[]): Promise<Buffer> {
  async function* src() {
    for (const p of parts) yield Buffer.from(p, 'latin1');
  }
  const out: Buffer[] = [];
  for await (const b of decodeBase64Chunks(src())) out.push(Buffer.from(b));
  return Buffer.concat(out);
}

test('grpc-web-text: padded chunks back to back, split anywhere by the transport, decode to the bytes', async () => {
  const a = Buffer.from([0, 0, 0, 0, 2, 8, 1]);
  const b = Buffer.from('hello, world');
  const text = a.toString('base64') + b.toString('base64') + Buffer.from('x').toString('base64');
  const want = Buffer.concat([a, b, Buffer.from('x')]);
  for (let cut = 0; cut <= text.length; cut++) assert.deepEqual(await decode([text.slice(0, cut), text.slice(cut)]), want, `cut at ${cut}`);
  assert.deepEqual(await decode(text.split('')), want, 'one character at a time');
  assert.deepEqual(await decode([`${text.slice(0, 5)}\r\n ${text.slice(5)}`]), want, 'whitespace ignored');
});

test('grpc-web-text: what is not base64 is INVALID_ARGUMENT', async () => {
  for (const parts of [['!!!!'], ['QQ'], ['QQ==Q'], ['=AAA'], ['QQ=A'], ['QUJD', 'é']]) {
    await assert.rejects(decode(parts), (e: unknown) => e instanceof ConnectError && e.code === Code.InvalidArgument, parts.join('|'));
  }
});

test('grpc-web-text: the media types of text mode', () => {
  for (const t of ['application/grpc-web-text', 'application/grpc-web-text+proto', 'Application/GRPC-Web-Text; charset=x']) assert.equal(isGrpcWebText(t), true, t);
  for (const t of ['application/grpc-web', 'application/grpc-web+proto', 'application/grpc-web-text+json', undefined]) assert.equal(isGrpcWebText(t), false, String(t));
});
