// Builds the configured queue backend and bus; engines are imported only when named.
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { MessagingSchema } from '../config/schema-messaging.js';
import type { Bus, BusOptions } from './bus/bus-types.js';
import type { QueueBackend } from './queue-types.js';

export type MessagingConfig = Static<typeof MessagingSchema>;

export async function createQueueBackend(config: MessagingConfig['queue'], deps: { dataDir: string }): Promise<QueueBackend> {
  const common = { maxAttempts: config.maxAttempts, maxPayloadBytes: config.maxPayloadBytes, idempotencyRetentionMs: config.idempotencyRetention };
  switch (config.backend) {
    case 'sqlite': {
      const { sqliteQueue } = await import('./backends/sqlite.js');
      return sqliteQueue({ ...common, file: config.sqlite.file || join(deps.dataDir, 'queues.db'), synchronous: config.sqlite.synchronous, pollMs: config.sqlite.pollMs });
    }
    case 'redis': {
      const { redisQueue } = await import('./backends/redis.js');
      return redisQueue({ ...common, url: config.redis.url, prefix: config.redis.prefix });
    }
    case 'rabbitmq': {
      const { rabbitQueue } = await import('./backends/rabbitmq.js');
      return rabbitQueue({ ...common, url: config.rabbitmq.url, prefix: config.rabbitmq.prefix, queueType: config.rabbitmq.queueType });
    }
    case 'nats': {
      const { natsQueue } = await import('./backends/nats.js');
      return natsQueue({ ...common, servers: config.nats.servers, prefix: config.nats.prefix });
    }
    default:
      throw new Error(`unknown queue backend ${String(config.backend)}`);
  }
}

export async function createBus(config: MessagingConfig['bus'], options: BusOptions = {}): Promise<Bus> {
  switch (config.backend) {
    case 'memory': {
      const { memoryBus } = await import('./bus/memory.js');
      return memoryBus(options);
    }
    case 'redis': {
      const { redisBus } = await import('./bus/redis.js');
      return redisBus({ ...options, url: config.redis.url, prefix: config.redis.prefix });
    }
    case 'nats': {
      const { natsBus } = await import('./bus/nats.js');
      return natsBus({ ...options, servers: config.nats.servers, prefix: config.nats.prefix });
    }
    case 'rabbitmq': {
      const { rabbitBus } = await import('./bus/rabbitmq.js');
      return rabbitBus({ ...options, url: config.rabbitmq.url, exchange: config.rabbitmq.exchange });
    }
    default:
      throw new Error(`unknown bus backend ${String(config.backend)}`);
  }
}
