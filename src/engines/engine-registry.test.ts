// The registry: nothing connects until asked; one client per engine and purpose; close() closes each once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unreachable } from '../cache/testing.js';
import { createEngines, redisClientName } from './index.js';

const config = {
  redis: { url: 'redis://127.0.0.1:6379' },
  rabbitmq: { url: 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { servers: '127.0.0.1:4222' },
  memcached: { servers: '127.0.0.1:11211' },
};

test('a registry nobody asks opens nothing and closes at once', async () => {
  const engines = createEngines({ ...config, redis: { url: 'redis://127.0.0.1:1' } });
  await engines.close();
  await engines.close();
  await assert.rejects(engines.redis('commands'), /after close/);
});

test('redis: one client per purpose, named, quit once by close()', { skip: await unreachable(6379) }, async () => {
  const engines = createEngines(config);
  const a = await engines.redis('commands');
  assert.equal(await engines.redis('commands'), a);
  const sub = await engines.redis('subscriber');
  assert.notEqual(sub, a);
  assert.equal(await a.client('GETNAME'), redisClientName('commands'));
  let quits = 0;
  for (const c of [a, sub]) {
    const quit = c.quit.bind(c);
    c.quit = (...args: Parameters<typeof quit>) => {
      quits++;
      return quit(...args);
    };
  }
  await Promise.all([engines.close(), engines.close()]);
  assert.equal(quits, 2);
  // QUIT's reply comes just before the socket closes.
  for (let i = 0; i < 100 && (a.status !== 'end' || sub.status !== 'end'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(a.status, 'end');
  assert.equal(sub.status, 'end');
});

test('rabbitmq: one connection; after it closes the next caller gets a new one', { skip: await unreachable(5672) }, async () => {
  const engines = createEngines(config);
  try {
    const c = await engines.rabbitmq();
    assert.equal(await engines.rabbitmq(), c);
    await c.close();
    const d = await engines.rabbitmq();
    assert.notEqual(d, c);
  } finally {
    await engines.close();
  }
});

test('nats: one connection, drained by close()', { skip: await unreachable(4222) }, async () => {
  const engines = createEngines(config);
  const nc = await engines.nats();
  assert.equal(await engines.nats(), nc);
  await engines.close();
  assert.ok(nc.isClosed());
});
