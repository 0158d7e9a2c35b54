// defineConsumer's leaseMs, maxAttempts and backoff, and the messaging.queue.consumer config keys
// that set them for every consumer (issue 22 item 10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { appDir, startApp, until } from './functions-helpers.js';

test('defineConsumer maxAttempts + backoff: a failing job is dead-lettered after that many deliveries', async (t) => {
  const dir = appDir({
    'functions/c.ts': `import { defineConsumer } from 'strata/functions';
const g = globalThis as any;
export const failing = defineConsumer({
  queue: 'opt-max',
  maxAttempts: 2,
  backoff: { baseMs: 20, maxMs: 50, jitter: 0 },
  async handler(job) {
    (g.optMax ??= []).push([job.attempt, job.maxAttempts]);
    throw new Error('always');
  },
});
`,
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startApp(dir);
  t.after(() => app.server.stop());
  const q = app.server.messaging.queue;
  await q.enqueue('opt-max', { n: 1 }); // the job's own maxAttempts: messaging.queue.maxAttempts (5)
  await until(async () => ((await q.counts('opt-max')).dead === 1 ? true : undefined), 'dead letter', 30_000);
  assert.deepEqual((globalThis as { optMax?: unknown }).optMax, [[1, 2], [2, 2]]);
});

test('messaging.queue.consumer.leaseMs sets the lease of consumers that set none: a stuck job is delivered again', async (t) => {
  const dir = appDir(
    {
      'functions/c.ts': `import { defineConsumer } from 'strata/functions';
const g = globalThis as any;
export const stuck = defineConsumer({
  queue: 'opt-lease',
  concurrency: 2,
  async handler(job, { signal }) {
    (g.optLease ??= []).push(job.attempt);
    // The first delivery never finishes by itself (it ends when the consumer stops).
    if (job.attempt === 1) await new Promise((r) => signal.addEventListener('abort', r));
  },
});
`,
    },
    'messaging:\n  queue:\n    consumer:\n      leaseMs: 500\n',
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startApp(dir);
  t.after(() => app.server.stop());
  await app.server.messaging.queue.enqueue('opt-lease', 1);
  // The bound (20 s) is shorter than the default 30 s lease: a redelivery within it shows the configured lease is in force.
  await until(() => ((globalThis as { optLease?: number[] }).optLease?.length === 2 ? true : undefined), 'redelivery after the configured lease', 20_000);
  assert.deepEqual((globalThis as { optLease?: number[] }).optLease, [1, 2]);
});

test('a bad defineConsumer option stops start-up naming the file and the option', async (t) => {
  const dir = appDir({ 'functions/bad.ts': `import { defineConsumer } from 'strata/functions';\nexport const c = defineConsumer({ queue: 'opt-bad', leaseMs: 5, handler() {} });\n` });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(startApp(dir), (e: Error) => {
    assert.match(e.message, /bad\.ts/);
    assert.match(e.message, /defineConsumer\.leaseMs must be an integer from 100/);
    return true;
  });
});

test('a consumer reports ctx.progress; messaging.queue.rateLimits caps the starts of its queue', async (t) => {
  const dir = appDir(
    {
      'functions/c.ts': `import { defineConsumer } from 'strata/functions';
const g = globalThis as any;
export const limited = defineConsumer({
  queue: 'opt-rate',
  concurrency: 4,
  async handler(job, { progress }) {
    (g.optRate ??= []).push(job.payload);
    await progress({ done: job.payload });
  },
});
`,
    },
    'messaging:\n  queue:\n    rateLimits:\n      opt-rate: { max: 2, perMs: 60000 }\n',
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startApp(dir);
  t.after(() => app.server.stop());
  const q = app.server.messaging.queue;
  const ids = await q.enqueueBulk('opt-rate', [1, 2, 3, 4].map((payload) => ({ payload })));
  const started = () => (globalThis as { optRate?: number[] }).optRate ?? [];
  await until(() => (started().length === 2 ? true : undefined), 'two starts', 20_000);
  await new Promise((r) => setTimeout(r, 500)); // the window (a minute) has no more starts
  assert.equal(started().length, 2);
  const reported = await until(async () => {
    const all = await Promise.all(ids.map((r) => q.progress('opt-rate', r.id)));
    return all.filter(Boolean).length === 2 ? all : undefined;
  }, 'progress of the two jobs that ran', 20_000);
  assert.deepEqual(reported.filter(Boolean).map((p) => (p as { done: number }).done).sort(), [...started()].sort());
});
