// A dropped connection to Redis or NATS mid-stream: enqueues made during the outage either
// fail with strata/queue-unavailable or are delivered; none is lost silently; consumers resume.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import { unreachable } from '../../cache/testing.js';
import { until } from '../queue.contract.js';
import type { QueueBackend } from '../queue-types.js';
import { natsQueue } from './nats.js';
import { redisQueue } from './redis.js';

async function exercise(q: QueueBackend, drop: () => Promise<void>): Promise<void> {
  const got = new Set<number>();
  const c = await q.consume<{ i: number }>('drop', (job) => void got.add(job.payload.i), { concurrency: 4, leaseMs: 2000 });
  const acked: number[] = [];
  let failed = 0;
  for (let i = 0; i < 300; i++) {
    if (i === 100) await drop();
    try {
      await q.enqueue('drop', { i });
      acked.push(i);
    } catch (err) {
      assert.equal((err as { type?: string }).type, 'strata/queue-unavailable', String(err));
      failed++;
    }
  }
  await until(() => acked.every((i) => got.has(i)), `every acknowledged job delivered (${acked.length} acked, ${failed} failed clearly)`, 30_000);
  await c.stop();
}

test('redis: the connection is killed server-side mid-stream', { skip: await unreachable(6379) }, async () => {
  const prefix = `test:${randomBytes(4).toString('hex')}:drop:`;
  const q = await redisQueue({ prefix, pollMs: 20 });
  const admin = new Redis();
  try {
    const client = (q as unknown as { client: Redis }).client;
    await exercise(q, async () => {
      const id = await client.client('ID');
      await admin.client('KILL', 'ID', String(id));
    });
  } finally {
    await q.destroy(['drop']);
    await q.close();
    await admin.quit();
  }
});

test('nats: the client is forced to reconnect mid-stream', { skip: await unreachable(4222) }, async () => {
  const q = await natsQueue({ prefix: `t${randomBytes(4).toString('hex')}drop` });
  try {
    const nc = (q as unknown as { nc: NatsConnection }).nc;
    await exercise(q, () => nc.reconnect());
  } finally {
    await q.destroyAll();
    await q.close();
  }
});
