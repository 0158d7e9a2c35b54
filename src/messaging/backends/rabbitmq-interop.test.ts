// A plain amqplib client (no Strata code) produces and consumes Strata jobs, per docs/messaging.md;
// and a dropped connection is recovered without losing acknowledged enqueues.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import amqp from 'amqplib';
import { unreachable } from '../../cache/testing.js';
import { until } from '../queue.contract.js';
import type { Job } from '../queue-types.js';
import { rabbitQueue } from './rabbitmq.js';

const skip = await unreachable(5672);
const URL = 'amqp://guest:guest@127.0.0.1:5672';

test('a foreign AMQP publisher enqueues and a foreign consumer reads Strata jobs', { skip }, async () => {
  const prefix = `interop.${randomBytes(4).toString('hex')}.`;
  const q = await rabbitQueue({ prefix });
  const conn = await amqp.connect(URL);
  try {
    await q.pause('in'); // declares the topology; the foreign producer only needs the queue name
    await q.resume('in');
    const ch = await conn.createConfirmChannel();
    ch.sendToQueue(`${prefix}in`, Buffer.from(JSON.stringify({ order: 7 })), { persistent: true, messageId: 'ext-1', headers: { 'x-strata-max-attempts': 3 } });
    ch.sendToQueue(`${prefix}in`, Buffer.from('plain text body'), { persistent: true });
    await ch.waitForConfirms();
    const got: Job[] = [];
    const c = await q.consume('in', (job) => void got.push(job));
    await until(() => got.length === 2, 'two foreign jobs');
    await c.stop();
    assert.deepEqual([got[0].id, got[0].payload, got[0].maxAttempts, got[0].attempt], ['ext-1', { order: 7 }, 3, 1]);
    assert.equal(got[1].payload, 'plain text body');

    const { id } = await q.enqueue('out', { to: 'anyone' }, { maxAttempts: 4, priority: 3 });
    const plain = await conn.createChannel();
    const m = await plain.get(`${prefix}out`, { noAck: true });
    assert.ok(m, 'message is on the broker queue');
    assert.deepEqual(JSON.parse(m.content.toString()), { to: 'anyone' });
    assert.equal(m.properties.messageId, id);
    assert.equal(m.properties.contentType, 'application/json');
    assert.equal(m.properties.headers?.['x-strata-max-attempts'], 4);
    assert.equal(m.properties.headers?.['x-strata-attempts'], 0);
    await plain.close();
    await ch.close();
  } finally {
    await q.destroy(['in', 'out']).catch(() => {});
    await conn.close();
    await q.close();
  }
});

test('connection drop: enqueues fail clearly or are delivered, none lost; consumers resume', { skip }, async () => {
  const prefix = `drop.${randomBytes(4).toString('hex')}.`;
  const q = await rabbitQueue({ prefix });
  try {
    const got = new Set<number>();
    const c = await q.consume<{ i: number }>('d', (job) => void got.add(job.payload.i), { concurrency: 4 });
    const acked: number[] = [];
    const failed: unknown[] = [];
    let dropped = false;
    for (let i = 0; i < 300; i++) {
      if (i === 100) {
        // Cut the TCP connection under amqplib (what a broker restart or network fault looks like).
        (q.connection() as unknown as { connection: { stream: { destroy(e: Error): void } } }).connection.stream.destroy(new Error('simulated network fault'));
        dropped = true;
      }
      try {
        await q.enqueue('d', { i });
        acked.push(i);
      } catch (err) {
        failed.push(err);
      }
      if (dropped && failed.length > 0 && i < 200) await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(failed.length > 0, 'some enqueues met the outage');
    for (const e of failed) assert.equal((e as { type?: string }).type, 'strata/queue-unavailable');
    await until(() => acked.every((i) => got.has(i)), 'every acknowledged job delivered after the reconnect', 20_000);
    await c.stop();
  } finally {
    await q.destroy(['d']).catch(() => {});
    await q.close();
  }
});

test('idempotency keys shared through Redis hold across two RabbitMQ instances', { skip: skip || (await unreachable(6379)) }, async () => {
  const { redisKeys } = await import('./idempotency-keys.js');
  const prefix = `idem.${randomBytes(4).toString('hex')}.`;
  const keys = await redisKeys({ prefix: `test:${prefix}` });
  const a = await rabbitQueue({ prefix, keys, idempotencyRetentionMs: 60_000 });
  const b = await rabbitQueue({ prefix, keys, idempotencyRetentionMs: 60_000 });
  try {
    const first = await a.enqueue('i', 1, { idempotencyKey: 'once' });
    const second = await b.enqueue('i', 2, { idempotencyKey: 'once' });
    assert.deepEqual(second, { id: first.id, duplicate: true });
    assert.equal((await a.counts('i')).waiting, 1);
  } finally {
    await a.destroy(['i']).catch(() => {});
    await a.close();
    await b.close();
    await keys.close();
  }
});
