import { randomBytes } from 'node:crypto';
import { unreachable } from '../../cache/testing.js';
import { queueBackendContract } from '../queue.contract.js';
import { rabbitQueue, type RabbitQueue } from './rabbitmq.js';

const prefix = `test.${randomBytes(4).toString('hex')}.`;
queueBackendContract('rabbitmq (classic)', {
  skip: await unreachable(5672),
  make: () => rabbitQueue({ prefix, pollMs: 100 }),
  cleanup: (q, queues) => (q as RabbitQueue).destroy(queues),
});

const quorumPrefix = `test.${randomBytes(4).toString('hex')}.qq.`;
queueBackendContract('rabbitmq (quorum)', {
  skip: await unreachable(5672),
  make: () => rabbitQueue({ prefix: quorumPrefix, pollMs: 100, queueType: 'quorum' }),
  cleanup: (q, queues) => (q as RabbitQueue).destroy(queues),
});
