import { randomBytes } from 'node:crypto';
import { unreachable } from '../../cache/testing.js';
import { queueBackendContract } from '../queue.contract.js';
import { natsQueue, type NatsQueue } from './nats.js';

const prefix = `t${randomBytes(4).toString('hex')}`;
queueBackendContract('nats jetstream', {
  skip: await unreachable(4222),
  make: () => natsQueue({ prefix }),
  cleanup: (q) => (q as NatsQueue).destroyAll(),
});
