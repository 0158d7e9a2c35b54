// Event bus over a RabbitMQ topic exchange: routing key = topic, JSON body; each
// subscription is an exclusive auto-delete queue bound with the pattern (`>` -> `#`,
// re-checked with the exact matcher since `#` also matches zero tokens).
import type { Channel, ChannelModel } from 'amqplib';
import type { Bus, BusHandler, BusOptions } from './bus-types.js';
import { dispatch } from './memory.js';
import { assertPattern, assertTopic, topicMatches } from './topic-match.js';

export interface RabbitBusOptions extends BusOptions {
  /** AMQP URL; ignored when `connection` is given. */
  url?: string;
  /** An existing connection to share (the bus opens its own channel on it and closes only that). */
  connection?: ChannelModel;
  exchange?: string;
}

export async function rabbitBus(options: RabbitBusOptions = {}): Promise<Bus> {
  let conn = options.connection;
  const owned = conn === undefined;
  if (!conn) {
    const amqp = await import('amqplib');
    conn = await amqp.connect(options.url ?? 'amqp://guest:guest@127.0.0.1:5672', { noDelay: true });
    conn.on('error', () => {});
  }
  const ch: Channel = await conn.createChannel();
  ch.on('error', () => {});
  const exchange = options.exchange ?? 'strata.events';
  await ch.assertExchange(exchange, 'topic', { durable: true });
  return {
    kind: 'rabbitmq',
    async publish(topic, payload) {
      assertTopic(topic);
      ch.publish(exchange, topic, Buffer.from(JSON.stringify(payload ?? null)), { contentType: 'application/json' });
    },
    async subscribe(pattern, handler) {
      assertPattern(pattern);
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(queue, exchange, pattern.replace(/(^|\.)>$/, '$1#'));
      const { consumerTag } = await ch.consume(
        queue,
        (m) => {
          if (m && topicMatches(pattern, m.fields.routingKey)) dispatch(handler as BusHandler, m.content, m.fields.routingKey, options);
        },
        { noAck: true },
      );
      return async () => {
        await ch.cancel(consumerTag).catch(() => {});
        await ch.deleteQueue(queue).catch(() => {});
      };
    },
    async close() {
      // Closing the channel also drops this bus's exclusive queues.
      if (owned) await conn.close().catch(() => {});
      else await ch.close().catch(() => {});
    },
  };
}
