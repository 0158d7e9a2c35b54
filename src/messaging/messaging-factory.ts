// Builds the configured queue backend and bus on the engines registry's shared clients
// (the registry imports an engine's library only when asked for it).
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { MessagingSchema } from '../config/schema-messaging.js';
import type { Engines } from '../engines/index.js';
import type { Bus, BusOptions } from './bus/bus-types.js';
import type { QueueBackend } from './queue-types.js';
import { withConsumeDefaults } from './consume-defaults.js';

export type MessagingConfig = Static<typeof MessagingSchema>;
export type MessagingEngines = Pick<Engines, 'redis' | 'rabbitmq' | 'nats'>;

export async function createQueueBackend(config: MessagingConfig['queue'], deps: { dataDir: string; engines: MessagingEngines }): Promise<QueueBackend> {
  const c = config.consumer;
  return withConsumeDefaults(await createBackend(config, deps), { leaseMs: c.leaseMs, backoff: c.backoff, ...(c.maxAttempts > 0 ? { maxAttempts: c.maxAttempts } : {}) }, config.rateLimits);
}

async function createBackend(config: MessagingConfig['queue'], deps: { dataDir: string; engines: MessagingEngines }): Promise<QueueBackend> {
  const common = { maxAttempts: config.maxAttempts, maxPayloadBytes: config.maxPayloadBytes, idempotencyRetentionMs: config.idempotencyRetention };
  switch (config.backend) {
    case 'sqlite': {
      const { sqliteQueue } = await import('./backends/sqlite.js');
      return sqliteQueue({ ...common, file: config.sqlite.file || join(deps.dataDir, 'queues.db'), synchronous: config.sqlite.synchronous, pollMs: config.sqlite.pollMs });
    }
    case 'redis': {
      const { redisQueue } = await import('./backends/redis.js');
      return redisQueue({ ...common, client: await deps.engines.redis('commands'), prefix: config.redis.prefix });
    }
    case 'rabbitmq': {
      const { rabbitQueue } = await import('./backends/rabbitmq.js');
      return rabbitQueue({ ...common, connection: () => deps.engines.rabbitmq(), prefix: config.rabbitmq.prefix, queueType: config.rabbitmq.queueType });
    }
    case 'nats': {
      const { natsQueue } = await import('./backends/nats.js');
      return natsQueue({ ...common, connection: await deps.engines.nats(), prefix: config.nats.prefix });
    }
    default:
      throw new Error(`unknown queue backend ${String(config.backend)}`);
  }
}

export async function createBus(config: MessagingConfig['bus'], options: BusOptions & { engines: MessagingEngines }): Promise<Bus> {
  const { engines, ...busOptions } = options;
  switch (config.backend) {
    case 'memory': {
      const { memoryBus } = await import('./bus/memory.js');
      return memoryBus(busOptions);
    }
    case 'redis': {
      const { redisBus } = await import('./bus/redis.js');
      // Publishing is a plain command; subscribing needs a connection of its own.
      return redisBus({ ...busOptions, clients: { publish: await engines.redis('commands'), subscribe: await engines.redis('subscriber') }, prefix: config.redis.prefix });
    }
    case 'nats': {
      const { natsBus } = await import('./bus/nats.js');
      return natsBus({ ...busOptions, connection: await engines.nats(), prefix: config.nats.prefix });
    }
    case 'rabbitmq': {
      const { rabbitBus } = await import('./bus/rabbitmq.js');
      return rabbitBus({ ...busOptions, connection: await engines.rabbitmq(), exchange: config.rabbitmq.exchange });
    }
    default:
      throw new Error(`unknown bus backend ${String(config.backend)}`);
  }
}
