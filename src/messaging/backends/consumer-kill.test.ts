// kill -9 a consumer mid-job: the job is delivered again after the lease, on every backend (at-least-once).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unreachable } from '../../cache/testing.js';
import { until } from '../queue.contract.js';
import type { Job, QueueBackend } from '../queue-types.js';
import { natsQueue, type NatsQueue } from './nats.js';
import { rabbitQueue, type RabbitQueue } from './rabbitmq.js';
import { redisQueue, type RedisQueue } from './redis.js';
import { sqliteQueue } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-ckill-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tag = randomBytes(4).toString('hex');
const fixture = fileURLToPath(new URL('./consumer-kill.fixture.ts', import.meta.url));

const cases: { kind: string; where: string; port?: number; make: (where: string) => Promise<QueueBackend>; cleanup?: (q: QueueBackend, queue: string) => Promise<void> }[] = [
  { kind: 'sqlite', where: join(dir, 'q.db'), make: async (w) => sqliteQueue({ file: w, pollMs: 20 }) },
  { kind: 'redis', where: `test:${tag}:kill:`, port: 6379, make: (w) => redisQueue({ prefix: w, pollMs: 20 }), cleanup: (q, n) => (q as RedisQueue).destroy([n]) },
  { kind: 'rabbitmq', where: `test.${tag}.kill.`, port: 5672, make: (w) => rabbitQueue({ prefix: w }), cleanup: (q, n) => (q as RabbitQueue).destroy([n]) },
  { kind: 'nats', where: `t${tag}kill`, port: 4222, make: (w) => natsQueue({ prefix: w }), cleanup: (q) => (q as NatsQueue).destroyAll() },
];

for (const c of cases) {
  test(`${c.kind}: a consumer killed mid-job loses nothing; the job runs again`, { skip: c.port ? await unreachable(c.port) : false }, async () => {
    const q = await c.make(c.where);
    const queue = 'kill';
    try {
      const { id } = await q.enqueue(queue, { work: 1 });
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, c.kind, c.where, queue], { stdio: ['ignore', 'pipe', 'inherit'] });
      // Listen for the exit from the start: a child that dies early must fail the test, not leave it waiting.
      const exited = new Promise((r) => child.once('exit', r));
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      await until(() => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the child exited early (${child.exitCode ?? child.signalCode}): ${out}`);
        return out.includes(`got ${id} 1`);
      }, 'the child took the job', 20_000);
      child.kill('SIGKILL');
      await exited;
      const again: Job[] = [];
      const consumer = await q.consume(queue, (job) => void again.push(job), { leaseMs: 600 });
      await until(() => again.length >= 1, 'redelivery after the kill', 20_000);
      await consumer.stop();
      assert.equal(again[0].id, id);
      assert.equal(again[0].attempt, 2);
      assert.deepEqual(again[0].payload, { work: 1 });
    } finally {
      await c.cleanup?.(q, queue);
      await q.close();
    }
  });
}
