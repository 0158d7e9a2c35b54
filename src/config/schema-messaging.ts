// Config section for messaging: queue backend, event bus, and each engine's settings
// (where the engines are is under `engines`, schema-engines.ts).
import { Type } from '@sinclair/typebox';

export const MessagingSchema = Type.Object(
  {
    queue: Type.Object(
      {
        backend: Type.Union([Type.Literal('sqlite'), Type.Literal('redis'), Type.Literal('rabbitmq'), Type.Literal('nats')], { default: 'sqlite', description: 'Queue backend: `sqlite` (embedded), `redis` (streams), `rabbitmq` (AMQP 0-9-1) or `nats` (JetStream).' }),
        maxAttempts: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Deliveries before a job is dead-lettered, unless the job says otherwise.' }),
        maxPayloadBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1_048_576, description: 'Largest job payload (JSON) accepted.' }),
        idempotencyRetention: Type.Integer({ minimum: 1000, default: 86_400_000, description: 'How long an idempotency key is remembered, ms.' }),
        sqlite: Type.Object(
          {
            file: Type.String({ default: '', description: 'SQLite file for queues; empty = `<dataDir>/queues.db`.' }),
            synchronous: Type.Union([Type.Literal('normal'), Type.Literal('full')], { default: 'normal', description: '`normal` survives a process crash (kill -9); `full` also survives power loss.' }),
            pollMs: Type.Integer({ minimum: 5, maximum: 60_000, default: 100, description: 'How often idle consumers look for jobs enqueued by other processes, ms.' }),
          },
          { default: {}, additionalProperties: false },
        ),
        redis: Type.Object(
          {
            prefix: Type.String({ default: 'strata:q:', description: 'Key prefix of queue keys.' }),
          },
          { default: {}, additionalProperties: false },
        ),
        rabbitmq: Type.Object(
          {
            prefix: Type.String({ default: 'strata.', description: 'Prefix of broker queue names.' }),
            queueType: Type.Union([Type.Literal('classic'), Type.Literal('quorum')], { default: 'classic', description: '`classic` durable queues (priorities) or `quorum` (replicated, no priorities).' }),
          },
          { default: {}, additionalProperties: false },
        ),
        nats: Type.Object(
          {
            prefix: Type.String({ default: 'strata', pattern: '^[A-Za-z0-9_]{1,32}$', description: 'Prefix of stream names, subjects and KV buckets.' }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    bus: Type.Object(
      {
        backend: Type.Union([Type.Literal('memory'), Type.Literal('redis'), Type.Literal('nats'), Type.Literal('rabbitmq')], { default: 'memory', description: 'Event bus: `memory` (one process), `redis` (pub/sub), `nats` or `rabbitmq` (topic exchange).' }),
        redis: Type.Object(
          {
            prefix: Type.String({ default: 'strata:bus:', description: 'Channel prefix.' }),
          },
          { default: {}, additionalProperties: false },
        ),
        nats: Type.Object(
          {
            prefix: Type.String({ default: 'strata.bus', description: 'Subject prefix.' }),
          },
          { default: {}, additionalProperties: false },
        ),
        rabbitmq: Type.Object(
          {
            exchange: Type.String({ default: 'strata.events', description: 'Topic exchange name.' }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false, description: 'Queues and the event bus.' },
);
