// Config section for the external engines: one connection setting per engine, shared by every
// capability that uses it (cache, rate limits, login throttle, queues, bus, cron locks).
import { Type } from '@sinclair/typebox';

const Section = <T extends Parameters<typeof Type.Object>[0]>(props: T) => Type.Object(props, { default: {}, additionalProperties: false });

export const EnginesSchema = Type.Object(
  {
    redis: Section({
      url: Type.String({ default: 'redis://127.0.0.1:6379', description: 'Redis URL (redis:// or rediss://), used by every `redis` store, queue backend and bus.' }),
    }),
    rabbitmq: Section({
      url: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672', description: 'AMQP URL, used by the `rabbitmq` queue backend and bus.' }),
    }),
    nats: Section({
      servers: Type.String({ default: '127.0.0.1:4222', description: 'Comma-separated NATS servers, used by the `nats` queue backend and bus.' }),
    }),
    memcached: Section({
      servers: Type.String({ default: '127.0.0.1:11211', description: 'Comma-separated host:port list, used by the `memcached` cache store.' }),
    }),
  },
  { default: {}, additionalProperties: false, description: 'External engines: one connection setting each, shared by every capability.' },
);

/**
 * Keys of earlier releases, still accepted for one release: each is mapped onto its `engines.*` key
 * with a warning (see load-renamed.ts).
 */
export const RENAMED_KEYS: Readonly<Record<string, string>> = {
  'cache.redis.url': 'engines.redis.url',
  'auth.throttle.redisUrl': 'engines.redis.url',
  'waf.rateLimit.redisUrl': 'engines.redis.url',
  'messaging.queue.redis.url': 'engines.redis.url',
  'messaging.bus.redis.url': 'engines.redis.url',
  'messaging.queue.rabbitmq.url': 'engines.rabbitmq.url',
  'messaging.bus.rabbitmq.url': 'engines.rabbitmq.url',
  'messaging.queue.nats.servers': 'engines.nats.servers',
  'messaging.bus.nats.servers': 'engines.nats.servers',
  'cache.memcached.servers': 'engines.memcached.servers',
};
