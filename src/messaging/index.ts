/** @module Messaging: durable queues (SQLite, Redis streams, RabbitMQ, NATS JetStream), the event bus, cron and webhooks. */
import type { Component } from '../core/index.js';
import type { Bus, BusOptions } from './bus/bus-types.js';
import { linkedBus, type BusLink } from './bus/linked.js';
import { createBus, createQueueBackend, type MessagingConfig } from './messaging-factory.js';
import type { QueueBackend } from './queue-types.js';
import { enginesOrOwn, type Engines } from '../engines/index.js';

export type { Backoff, ConsumeOptions, Consumer, EnqueueOptions, EnqueueResult, Handler, HandlerContext, Job, JobInfo, JobState, QueueBackend, QueueCounts } from './queue-types.js';
export type { Bus, BusHandler, BusOptions } from './bus/bus-types.js';
export { QueueUnavailableError, QueueUnsupportedError } from './errors.js';
export { retryDelay, DEFAULT_BACKOFF } from './job-options.js';
export { checkConsumeOptions, withConsumeDefaults } from './consume-defaults.js';
export { topicMatches, assertTopic, assertPattern } from './bus/topic-match.js';
export { memoryBus } from './bus/memory.js';
export { linkedBus, type BusLink, type LinkedMessage } from './bus/linked.js';
export { sqliteQueue, type SqliteQueueOptions } from './backends/sqlite.js';
export { redisQueue, type RedisQueueOptions } from './backends/redis.js';
export { rabbitQueue, type RabbitQueueOptions } from './backends/rabbitmq.js';
export { natsQueue, type NatsQueueOptions } from './backends/nats.js';
export { redisBus } from './bus/redis.js';
export { natsBus } from './bus/nats.js';
export { rabbitBus } from './bus/rabbitmq.js';
export { createBus, createQueueBackend, type MessagingConfig, type MessagingEngines } from './messaging-factory.js';

/**
 * Queues and the bus as one Component for the composition root.
 *
 * @example
 * const messaging = messagingComponent(config.messaging, { dataDir: config.dataDir });
 * await messaging.start();
 * await messaging.queue.enqueue('emails', { to }, { delay: 60_000, idempotencyKey: `welcome:${userId}` });
 * await messaging.bus.subscribe('records.posts.*', (post, topic) => log.info({ topic }, 'post changed'));
 */
export function messagingComponent(
  config: MessagingConfig,
  /**
   * `engines`: shared engine clients (the composition root's); without it, messaging opens its own and
   * closes them. `busLink`: joins the in-process (`memory`) bus to other processes' on the topics
   * `share` accepts (cluster workers); ignored for the other bus backends, which are shared already.
   */
  deps: { dataDir: string; engines?: Engines; busLink?: { link: BusLink; share: (topic: string) => boolean } } & BusOptions,
): Component & { readonly queue: QueueBackend; readonly bus: Bus } {
  let queue: QueueBackend | undefined;
  let bus: Bus | undefined;
  let engines: ReturnType<typeof enginesOrOwn> | undefined;
  return {
    name: 'messaging',
    get queue(): QueueBackend {
      if (!queue) throw new Error('messaging used before start()');
      return queue;
    },
    get bus(): Bus {
      if (!bus) throw new Error('messaging used before start()');
      return bus;
    },
    async start() {
      engines = enginesOrOwn(deps.engines);
      try {
        const { busLink, dataDir: _dataDir, engines: _engines, ...busOptions } = deps;
        bus = await createBus(config.bus, { ...busOptions, engines: engines.engines });
        if (busLink && config.bus.backend === 'memory') bus = linkedBus(bus, busLink.link, busLink.share);
        queue = await createQueueBackend(config.queue, { dataDir: deps.dataDir, engines: engines.engines });
      } catch (err) {
        await bus?.close();
        await engines.release();
        bus = undefined;
        engines = undefined;
        throw err;
      }
    },
    async stop() {
      await queue?.close();
      await bus?.close();
      await engines?.release();
      queue = undefined;
      bus = undefined;
      engines = undefined;
    },
    ready: () => queue !== undefined && bus !== undefined,
  };
}
export { cronScheduler, type Schedule, type CronTick, type CronSchedulerDeps } from './cron/cron.js';
export { memoryLock, sqliteLock, redisLock, type TickLock } from './cron/cron-lock.js';
export { webhooks, memorySubscriptions, memoryDeliveryLog, type WebhookSubscription, type WebhookSubscriptions, type DeliveryLog, type DeliveryRecord, type WebhookDeps } from './webhooks/webhook-delivery.js';
export { sign as signWebhook, verify as verifyWebhook, signedHeaders as webhookHeaders, generateSecret as generateWebhookSecret } from './webhooks/webhook-sign.js';
export { targetChecker, TargetRefusedError, type TargetPolicy } from './webhooks/webhook-target.js';
export { MemoryKeys, redisKeys, type IdempotencyKeys } from './backends/idempotency-keys.js';
export { sqliteWebhookStore, type WebhookStore } from './webhooks/webhook-store.js';
