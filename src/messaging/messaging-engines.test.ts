// Messaging on the engines registry's shared clients: the queue and the bus of one engine share one
// connection (Redis: commands + subscriber), stopping messaging leaves it open for its owner, and a
// second messaging instance on its own registry sees the first one's jobs and events.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { unreachable } from '../cache/testing.js';
import { MessagingSchema } from '../config/schema-messaging.js';
import { createEngines, type Engines } from '../engines/index.js';
import { until } from './queue.contract.js';
import { messagingComponent, type MessagingConfig } from './index.js';

const engineConfig = {
  redis: { url: 'redis://127.0.0.1:6379' },
  rabbitmq: { url: 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { servers: '127.0.0.1:4222' },
  memcached: { servers: '127.0.0.1:11211' },
};

const cases: Array<[string, number, (run: string) => object, (e: Engines) => Promise<{ open(): boolean }>]> = [
  [
    'redis',
    6379,
    (run) => ({ queue: { backend: 'redis', redis: { prefix: `test:${run}:q:` } }, bus: { backend: 'redis', redis: { prefix: `test:${run}:bus:` } } }),
    async (e) => {
      const [c, s] = [await e.redis('commands'), await e.redis('subscriber')];
      return { open: () => c.status === 'ready' && s.status === 'ready' };
    },
  ],
  [
    'rabbitmq',
    5672,
    (run) => ({ queue: { backend: 'rabbitmq', rabbitmq: { prefix: `t${run}.` } }, bus: { backend: 'rabbitmq' } }),
    async (e) => {
      let closed = false;
      (await e.rabbitmq()).on('close', () => (closed = true));
      return { open: () => !closed };
    },
  ],
  [
    'nats',
    4222,
    (run) => ({ queue: { backend: 'nats', nats: { prefix: `t${run}` } }, bus: { backend: 'nats', nats: { prefix: `t${run}.bus` } } }),
    async (e) => {
      const nc = await e.nats();
      return { open: () => !nc.isClosed() };
    },
  ],
];

for (const [name, port, section, connection] of cases) {
  test(`${name}: queue and bus share the registry's connection and leave it open on stop`, { skip: await unreachable(port) }, async () => {
    const run = randomBytes(4).toString('hex');
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-me-'));
    const config = Value.Default(MessagingSchema, section(run)) as MessagingConfig;
    const [ea, eb] = [createEngines(engineConfig), createEngines(engineConfig)];
    const [a, b] = [messagingComponent(config, { dataDir, engines: ea }), messagingComponent(config, { dataDir, engines: eb })];
    try {
      await a.start?.();
      await b.start?.();
      const conn = await connection(ea);
      const events: unknown[] = [];
      await b.bus.subscribe(`app.t${run}.>`, (p) => void events.push(p));
      await a.bus.publish(`app.t${run}.x`, { n: 1 });
      await until(() => events.length === 1, 'event from the other instance');
      const jobs: unknown[] = [];
      const consumer = await b.queue.consume('jobs', (j) => void jobs.push(j.payload));
      await a.queue.enqueue('jobs', { n: 2 });
      await until(() => jobs.length === 1, 'job from the other instance');
      await consumer.stop();
      await a.stop?.();
      assert.ok(conn.open(), 'messaging did not close the shared connection');
    } finally {
      await a.stop?.();
      if (b.ready?.()) {
        const q = b.queue as unknown as { destroy?: (q: string[]) => Promise<void>; destroyAll?: () => Promise<void> };
        await (q.destroyAll ? q.destroyAll() : q.destroy?.(['jobs']));
      }
      await b.stop?.();
      await Promise.all([ea.close(), eb.close()]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
