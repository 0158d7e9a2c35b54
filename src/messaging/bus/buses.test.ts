// Runs the one bus contract against every adapter, on the real Redis, NATS and RabbitMQ.
import { randomBytes } from 'node:crypto';
import { unreachable } from '../../cache/testing.js';
import { busContract } from './bus.contract.js';
import { memoryBus } from './memory.js';
import { natsBus } from './nats.js';
import { rabbitBus } from './rabbitmq.js';
import { redisBus } from './redis.js';

const run = randomBytes(4).toString('hex');
busContract('memory', { make: async () => memoryBus(), shared: false });
busContract('redis pub/sub', { make: () => redisBus({ prefix: `test:${run}:bus:` }), shared: true, skip: await unreachable(6379) });
busContract('nats', { make: () => natsBus({ prefix: `test.${run}` }), shared: true, skip: await unreachable(4222) });
busContract('rabbitmq topic exchange', { make: () => rabbitBus({ exchange: `test.${run}.events` }), shared: true, skip: await unreachable(5672) });

import { after } from 'node:test';
after(async () => {
  if (await unreachable(5672)) return;
  const amqp = await import('amqplib');
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  const ch = await conn.createChannel();
  await ch.deleteExchange(`test.${run}.events`).catch(() => {});
  await conn.close();
});
