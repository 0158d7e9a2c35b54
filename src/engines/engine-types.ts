// What the engines registry hands out. Capabilities type their dependency on it with
// Pick<Engines, ...> so a test can pass one client of its own.
import type { Static } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import type { ChannelModel } from 'amqplib';
import type { NatsConnection } from 'nats';
import type { Client as MemcachedClient } from 'memjs';
import type { EnginesSchema } from '../config/schema-engines.js';

export type EnginesConfig = Static<typeof EnginesSchema>;

/**
 * `commands`: request/response commands (cache, rate limits, login throttle, queue, bus publish,
 * cron and idempotency locks). `subscriber`: the bus's connection in subscribe mode, which can do
 * nothing else. No adapter blocks (the streams queue polls with XREADGROUP inside a Lua script,
 * which cannot block), so there is no `blocking` purpose.
 */
export type RedisPurpose = 'commands' | 'subscriber';

export interface Engines {
  /** The one shared ioredis client for a purpose. Callers never quit it. */
  redis(purpose: RedisPurpose): Promise<Redis>;
  /**
   * The one AMQP connection (the queue and the bus open their own channels on it; a channel error
   * closes only that channel). After the connection closes, the next call connects anew.
   */
  rabbitmq(): Promise<ChannelModel>;
  /** The one NATS connection (JetStream queue and core-NATS bus). */
  nats(): Promise<NatsConnection>;
  /** The one memcached client (the cache store). */
  memcached(): Promise<MemcachedClient>;
  /** Closes every client made, each once; call after every capability has stopped. */
  close(): Promise<void>;
}
