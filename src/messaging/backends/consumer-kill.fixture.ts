// Child process for the kill -9 consumer test: takes one job, says so, and hangs mid-job.
import { natsQueue } from './nats.js';
import { rabbitQueue } from './rabbitmq.js';
import { redisQueue } from './redis.js';
import { sqliteQueue } from './sqlite.js';
import type { QueueBackend } from '../queue-types.js';

const [kind, where, queue] = process.argv.slice(2);
const make: Record<string, () => Promise<QueueBackend>> = {
  sqlite: async () => sqliteQueue({ file: where, pollMs: 20 }),
  redis: () => redisQueue({ prefix: where, pollMs: 20 }),
  rabbitmq: () => rabbitQueue({ prefix: where }),
  nats: () => natsQueue({ prefix: where }),
};
// A hung handler holds no timer or socket of its own; without this the sqlite child's event loop would
// empty and the process exit by itself the moment it printed, racing the parent's kill.
setInterval(() => {}, 60_000);
const q = await make[kind]();
await q.consume(
  queue,
  (job) => {
    process.stdout.write(`got ${job.id} ${job.attempt}\n`);
    return new Promise(() => {});
  },
  { leaseMs: 600 },
);
