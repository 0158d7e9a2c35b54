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
        rateLimits: Type.Record(
          Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$' }),
          Type.Object({ max: Type.Integer({ minimum: 1, maximum: 1_000_000 }), perMs: Type.Integer({ minimum: 1, maximum: 86_400_000 }) }, { additionalProperties: false }),
          { default: {}, description: 'Per-queue rate limits (queue name: `{ max, perMs }`): at most `max` job starts per `perMs` across every consumer and instance (RabbitMQ: per instance); a consumer may set its own `rateLimit`.' },
        ),
        consumer: Type.Object(
          {
            leaseMs: Type.Integer({ minimum: 100, maximum: 86_400_000, default: 30_000, description: 'Visibility timeout: a job not acked within it is delivered again, ms (a consumer may set its own `leaseMs`).' }),
            maxAttempts: Type.Integer({ minimum: 0, maximum: 1000, default: 0, description: "Deliveries before a failing job is dead-lettered, for every consumer, in place of the job's own `maxAttempts`; 0 keeps the job's (a consumer may set its own)." }),
            backoff: Type.Object(
              {
                baseMs: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 1000, description: 'Retry delay before the second attempt, ms (doubles per attempt).' }),
                maxMs: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 3_600_000, description: 'Upper bound of any retry delay, ms.' }),
                jitter: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Fraction of each retry delay that is randomized (0.5 = equal jitter).' }),
              },
              { default: {}, additionalProperties: false },
            ),
          },
          { default: {}, additionalProperties: false, description: "Defaults for every queue consumer (functions' consumers, webhooks, cron); a consumer's own options win." },
        ),
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
    webhooks: Type.Object(
      {
        allowHttp: Type.Boolean({ default: false, description: 'Allow plain `http://` webhook URLs (default: https only).' }),
        allowLoopback: Type.Boolean({ default: false, description: 'Allow targets on loopback addresses (127.0.0.0/8, ::1, `localhost`), e.g. a receiver on the same machine.' }),
        allowPrivate: Type.Boolean({ default: false, description: 'Allow targets on private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).' }),
        allowCidrs: Type.Array(Type.String({ pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' }), {
          default: [],
          description: 'Address ranges always allowed, even link-local or metadata ones (`10.1.2.0/24`, `127.0.0.1/32`).',
        }),
      },
      { default: {}, additionalProperties: false, description: 'Which URLs webhook subscriptions may target (SSRF defence), checked on create/update and on every delivery.' },
    ),
  },
  { default: {}, additionalProperties: false, description: 'Queues and the event bus.' },
);
