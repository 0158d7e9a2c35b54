import { randomBytes } from 'node:crypto';
import { unreachable } from '../../cache/testing.js';
import { queueBackendContract } from '../queue.contract.js';
import { redisQueue, type RedisQueue } from './redis.js';

const prefix = `test:${randomBytes(4).toString('hex')}:q:`;
queueBackendContract('redis streams', {
  skip: await unreachable(6379),
  make: () => redisQueue({ prefix, pollMs: 20 }),
  cleanup: (q, queues) => (q as RedisQueue).destroy(queues),
});
