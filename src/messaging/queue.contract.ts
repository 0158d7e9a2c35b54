// The one contract every QueueBackend must pass, against the real engine.
// Usage: queueBackendContract('redis', { make: () => redisQueue(...) }) inside a *.test.ts file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, QueueBackend } from './queue-types.js';

export interface QueueContractOptions {
  make: () => Promise<QueueBackend>;
  /** Remove what the tests left behind (streams, queues, exchanges) for these queue names. */
  cleanup?: (backend: QueueBackend, queues: string[]) => Promise<void>;
  skip?: string | boolean;
}

const fast = { backoff: { baseMs: 40, maxMs: 400, jitter: 0 } };

/** Resolve when `pred` holds, polling; fail with `what` after `ms` (a liveness bound, not a speed claim). */
export async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}

export function queueBackendContract(backendName: string, opts: QueueContractOptions): void {
  describe(`queue backend contract: ${backendName}`, { skip: opts.skip }, () => {
    let q: QueueBackend;
    const used: string[] = [];
    const fresh = (label: string) => {
      const n = `t-${label}-${randomBytes(4).toString('hex')}`;
      used.push(n);
      return n;
    };
    before(async () => {
      q = await opts.make();
    });
    after(async () => {
      if (!q) return;
      await opts.cleanup?.(q, used);
      await q.close();
    });

    test('an idle consumer leaves nothing behind while it waits (no listener piles up on its stop signal)', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => { if (w.name === 'MaxListenersExceededWarning') warnings.push(w.message); };
      process.on('warning', onWarning);
      try {
        const c = await q.consume(fresh('idle'), () => undefined, {});
        await sleep(1500); // dozens of empty polls on the polling backends
        await c.stop();
        await sleep(20); // warnings are emitted on a later tick
      } finally {
        process.off('warning', onWarning);
      }
      assert.deepEqual(warnings, []);
    });

    test('enqueue, deliver with payload and attempt 1, ack removes it', async () => {
      const name = fresh('basic');
      const { id, duplicate } = await q.enqueue(name, { hello: 'world', n: [1, 2] });
      assert.equal(duplicate, false);
      assert.equal(typeof id, 'string');
      const seen: Job[] = [];
      const c = await q.consume(name, (job) => void seen.push(job));
      await until(() => seen.length === 1, 'delivery');
      await c.stop();
      assert.equal(seen[0].id, id);
      assert.equal(seen[0].queue, name);
      assert.deepEqual(seen[0].payload, { hello: 'world', n: [1, 2] });
      assert.equal(seen[0].attempt, 1);
      await until(async () => (await q.counts(name)).active === 0, 'ack');
      const counts = await q.counts(name);
      assert.deepEqual([counts.waiting, counts.delayed, counts.active, counts.dead], [0, 0, 0, 0]);
    });

    test('bulk enqueue: every job delivered once, at most `concurrency` at a time', async () => {
      const name = fresh('bulk');
      const res = await q.enqueueBulk(name, Array.from({ length: 60 }, (_, i) => ({ payload: { i } })));
      assert.equal(new Set(res.map((r) => r.id)).size, 60);
      const got = new Map<number, number>();
      let running = 0;
      let peak = 0;
      const c = await q.consume<{ i: number }>(
        name,
        async (job) => {
          running++;
          peak = Math.max(peak, running);
          await sleep(2);
          got.set(job.payload.i, (got.get(job.payload.i) ?? 0) + 1);
          running--;
        },
        { concurrency: 4 },
      );
      await until(() => got.size === 60, 'all 60 jobs');
      await c.stop();
      assert.ok([...got.values()].every((n) => n === 1), 'each job exactly once when nothing fails');
      assert.ok(peak <= 4 && peak > 1, `peak concurrency ${peak}`);
    });

    test('a failing job is retried with exponential backoff, sees the last error, then succeeds', async () => {
      const name = fresh('retry');
      await q.enqueue(name, 'x', { maxAttempts: 5 });
      const times: number[] = [];
      const errors: (string | undefined)[] = [];
      const c = await q.consume(
        name,
        (job) => {
          times.push(Date.now());
          errors.push(job.lastError);
          if (job.attempt < 3) throw new Error(`fail ${job.attempt}`);
        },
        fast,
      );
      await until(() => times.length === 3, 'third attempt');
      await c.stop();
      assert.equal(errors[0], undefined);
      assert.match(errors[1] ?? '', /fail 1/);
      assert.match(errors[2] ?? '', /fail 2/);
      assert.ok(times[1] - times[0] >= 35, `first backoff ${times[1] - times[0]}ms`);
      assert.ok(times[2] - times[1] >= 75, `second backoff ${times[2] - times[1]}ms (doubles)`);
      await until(async () => (await q.counts(name)).active === 0, 'ack');
      assert.equal((await q.counts(name)).dead, 0);
    });

    test('after maxAttempts the job is dead-lettered with its last error; retry and purge dead letters', async () => {
      const name = fresh('dlq');
      const { id } = await q.enqueue(name, { bad: true }, { maxAttempts: 2 });
      let calls = 0;
      const c = await q.consume(
        name,
        () => {
          calls++;
          throw new Error(`boom ${calls}`);
        },
        fast,
      );
      await until(async () => (await q.counts(name)).dead === 1, 'dead letter');
      await c.stop();
      assert.equal(calls, 2);
      const [dead] = await q.peek(name, 'dead');
      assert.equal(dead.id, id);
      assert.equal(dead.state, 'dead');
      assert.deepEqual(dead.payload, { bad: true });
      assert.match(dead.lastError ?? '', /boom 2/);

      assert.equal(await q.retryDead(name), 1);
      let redelivered = 0;
      const c2 = await q.consume(name, () => void redelivered++, fast);
      await until(() => redelivered === 1, 'redelivery of a retried dead letter');
      await c2.stop();
      await until(async () => (await q.counts(name)).dead + (await q.counts(name)).active === 0, 'ack after retry');

      await q.enqueue(name, 'again', { maxAttempts: 1 });
      const c3 = await q.consume(name, () => Promise.reject(new Error('nope')), fast);
      await until(async () => (await q.counts(name)).dead === 1, 'second dead letter');
      await c3.stop();
      assert.equal(await q.purgeDead(name), 1);
      assert.equal((await q.counts(name)).dead, 0);
    });

    test("a consumer's maxAttempts dead-letters a failing job after that many deliveries, in place of the job's", async () => {
      const name = fresh('cmax');
      await q.enqueue(name, 'x', { maxAttempts: 6 });
      const seen: [number, number][] = [];
      const c = await q.consume(
        name,
        (job) => {
          seen.push([job.attempt, job.maxAttempts]);
          throw new Error(`fail ${job.attempt}`);
        },
        { ...fast, maxAttempts: 2 },
      );
      await until(async () => (await q.counts(name)).dead === 1, 'dead letter');
      await c.stop();
      assert.deepEqual(seen, [[1, 2], [2, 2]]);
      const [dead] = await q.peek(name, 'dead');
      assert.match(String(dead.lastError), /fail 2/);
    });

    test('job progress: reported by the handler, readable by id during and after the job', async () => {
      const name = fresh('progress');
      const { id } = await q.enqueue(name, 'p');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let badValue: unknown;
      const c = await q.consume(name, async (_job, ctx) => {
        await ctx.progress(40);
        await gate;
        await ctx.progress({ step: 'upload', done: 3, of: 4 });
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        badValue = await ctx.progress(cyclic).then(() => 'accepted', (e: { type?: string }) => e.type);
      });
      await until(async () => (await q.progress(name, id)) === 40, 'progress 40 while running');
      release();
      await until(async () => (await q.counts(name)).active === 0 && (await q.counts(name)).waiting === 0, 'the job completes');
      await c.stop();
      assert.deepEqual(await q.progress(name, id), { step: 'upload', done: 3, of: 4 });
      assert.equal(badValue, 'strata/validation');
      assert.equal(await q.progress(name, 'no-such-job'), undefined);
    });

    test('rate limit: at most max starts per window across consumers, the rest wait for the next window', async () => {
      const name = fresh('rate');
      await q.enqueueBulk(name, [1, 2, 3, 4, 5].map((payload) => ({ payload })));
      const started: unknown[] = [];
      const limit = { max: 3, perMs: 60_000 }; // one window for the whole check
      const a = await q.consume(name, (job) => void started.push(job.payload), { concurrency: 4, rateLimit: limit });
      const b = await q.consume(name, (job) => void started.push(job.payload), { concurrency: 4, rateLimit: limit });
      await until(() => started.length === 3, 'three starts');
      await sleep(500); // consumers keep asking; the window has no more starts
      assert.equal(started.length, 3);
      await a.stop();
      await b.stop();
      // A short window lets every job through, a few at a time.
      const quick = fresh('rate-quick');
      await q.enqueueBulk(quick, [1, 2, 3, 4, 5].map((payload) => ({ payload })));
      const got: unknown[] = [];
      const c = await q.consume(quick, (job) => void got.push(job.payload), { concurrency: 4, rateLimit: { max: 2, perMs: 200 } });
      await until(() => got.length === 5, 'all five through a 2-per-200ms limit');
      await c.stop();
      assert.deepEqual([...got].sort(), [1, 2, 3, 4, 5]);
      await assert.rejects(q.consume(fresh('rate-bad'), () => undefined, { rateLimit: { max: 0, perMs: 10 } }), { type: 'strata/validation' });
    });

    test('delay and runAt hold a job back until its time', async () => {
      const name = fresh('delay');
      const t0 = Date.now();
      await q.enqueue(name, 'later', { delay: 1600 });
      await q.enqueue(name, 'at', { runAt: new Date(t0 + 1100) });
      const held = await q.counts(name);
      assert.equal(held.delayed, 2, 'both counted as delayed');
      assert.equal(held.waiting, 0);
      const [d] = await q.peek(name, 'delayed', 5);
      assert.ok(d && d.runAt >= t0 + 1000, 'peek shows the run time');
      const got: { p: unknown; at: number }[] = [];
      const c = await q.consume(name, (job) => void got.push({ p: job.payload, at: Date.now() }));
      await until(() => got.length === 2, 'both delayed jobs');
      await c.stop();
      assert.deepEqual(got.map((g) => g.p), ['at', 'later']);
      assert.ok(got[0].at - t0 >= 1090, `runAt honoured (${got[0].at - t0}ms)`);
      assert.ok(got[1].at - t0 >= 1590, `delay honoured (${got[1].at - t0}ms)`);
    });

    test('a job whose worker stops answering is delivered again after the lease (at-least-once)', async () => {
      const name = fresh('lease');
      const { id } = await q.enqueue(name, 'stuck');
      const attempts: number[] = [];
      const hung = await q.consume(
        name,
        (job) => {
          attempts.push(job.attempt);
          return new Promise(() => {}); // never finishes: a dead worker holding the lease
        },
        { leaseMs: 300 },
      );
      await until(() => attempts.length === 1, 'first delivery');
      const other = await opts.make();
      const again: Job[] = [];
      const c2 = await other.consume(name, (job) => void again.push(job), { leaseMs: 300 });
      await until(() => again.length === 1, 'redelivery after the lease');
      assert.equal(again[0].id, id);
      // The hung worker may itself take the redelivery and hang again (a third attempt) before
      // the second consumer gets it; at-least-once says only that it comes back with a higher attempt.
      assert.ok(again[0].attempt >= 2, `attempt ${again[0].attempt}`);
      await c2.stop();
      await hung.stop(10);
      await other.close();
    });

    test('idempotency key: a duplicate enqueue returns the first id and runs nothing twice', async () => {
      const name = fresh('idem');
      const a = await q.enqueue(name, 1, { idempotencyKey: 'order-42' });
      const b = await q.enqueue(name, 2, { idempotencyKey: 'order-42' });
      const [c, d] = await q.enqueueBulk(name, [
        { payload: 3, options: { idempotencyKey: 'order-42' } },
        { payload: 4, options: { idempotencyKey: 'order-43' } },
      ]);
      assert.equal(a.duplicate, false);
      assert.deepEqual(b, { id: a.id, duplicate: true });
      assert.deepEqual(c, { id: a.id, duplicate: true });
      assert.equal(d.duplicate, false);
      const got: unknown[] = [];
      const con = await q.consume(name, (job) => void got.push(job.payload));
      await until(() => got.length === 2, 'two distinct jobs');
      await sleep(100);
      await con.stop();
      assert.deepEqual(got.sort(), [1, 4]);
    });

    test('pause holds delivery, resume releases it', async () => {
      const name = fresh('pause');
      await q.pause(name);
      await q.enqueue(name, 'p');
      const got: unknown[] = [];
      const c = await q.consume(name, (job) => void got.push(job.payload));
      await sleep(300);
      assert.equal(got.length, 0);
      assert.equal((await q.counts(name)).paused, true);
      const waiting = await q.peek(name, 'waiting');
      assert.deepEqual(waiting.map((j) => [j.payload, j.state]), [['p', 'waiting']]);
      await q.resume(name);
      await until(() => got.length === 1, 'delivery after resume');
      await c.stop();
      assert.equal((await q.counts(name)).paused, false);
    });

    test('a queue paused before it ever had a job is listed and reports paused', async () => {
      const name = fresh('pause-new');
      await q.pause(name);
      assert.ok((await q.queues()).includes(name));
      assert.equal((await q.counts(name)).paused, true);
      await q.resume(name);
      assert.equal((await q.counts(name)).paused, false);
      const fresher = fresh('resume-new');
      await q.resume(fresher); // resuming one that was never paused is a no-op, not an error
      assert.equal((await q.counts(fresher)).paused, false);
    });

    test('priority orders ready jobs where supported', async (t) => {
      if (!q.supportsPriority) return t.skip(`${backendName} does not order by priority (documented)`);
      const name = fresh('prio');
      await q.pause(name);
      await q.enqueue(name, 'low', { priority: -5 });
      await q.enqueue(name, 'high', { priority: 10 });
      await q.enqueue(name, 'mid');
      await until(async () => (await q.counts(name)).waiting === 3, 'three waiting');
      const got: unknown[] = [];
      const c = await q.consume(name, (job) => void got.push(job.payload), { concurrency: 1 });
      await q.resume(name);
      await until(() => got.length === 3, 'three jobs');
      await c.stop();
      assert.deepEqual(got, ['high', 'mid', 'low']);
    });

    test('graceful stop lets a running job finish and acks it', async () => {
      const name = fresh('grace');
      await q.enqueue(name, 'slow');
      let started = false;
      let finished = false;
      const c = await q.consume(name, async () => {
        started = true;
        await sleep(150);
        finished = true;
      });
      await until(() => started, 'start');
      await c.stop(5000);
      assert.equal(finished, true);
      await until(async () => (await q.counts(name)).active === 0, 'ack');
      const counts = await q.counts(name);
      assert.equal(counts.waiting + counts.delayed + counts.dead, 0);
    });

    test('stop past the grace period aborts the handler and releases the job for redelivery', async () => {
      const name = fresh('release');
      await q.enqueue(name, 'hang');
      let signal: AbortSignal | undefined;
      const c = await q.consume(name, (_job, ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      });
      await until(() => signal !== undefined, 'start');
      await c.stop(50);
      assert.equal(signal?.aborted, true);
      const again: Job[] = [];
      const c2 = await q.consume(name, (job) => void again.push(job));
      await until(() => again.length === 1, 'redelivery of the released job');
      await c2.stop();
    });

    test('bad input is a validation error, never a crash', async () => {
      await assert.rejects(q.enqueue('bad name!', 1), { type: 'strata/validation' });
      await assert.rejects(q.enqueue(fresh('v'), 1, { priority: 1000 }), { type: 'strata/validation' });
      await assert.rejects(q.enqueue(fresh('v'), 1, { maxAttempts: 0 }), { type: 'strata/validation' });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await assert.rejects(q.enqueue(fresh('v'), cyclic), { type: 'strata/validation' });
      await assert.rejects(q.peek(fresh('v'), 'nope' as never), { type: 'strata/validation' });
    });

    test('job ids are never reused, after the jobs are gone and across a restart', async () => {
      const name = fresh('ids');
      const seen = new Set<string>();
      const runAll = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const { id } = await q.enqueue(name, i);
          assert.ok(!seen.has(id), `id ${id} was given before`);
          seen.add(id);
          const done: string[] = [];
          const c = await q.consume(name, (job) => void done.push(job.id));
          await until(() => done.length === 1, 'delivery');
          await c.stop();
          await until(async () => (await q.counts(name)).active === 0, 'ack');
        }
      };
      await runAll(3); // each job is acked (gone) before the next is enqueued
      await q.close();
      q = await opts.make();
      await runAll(2);
    });

    test('queues() lists a queue once it has been used', async () => {
      const name = fresh('list');
      await q.enqueue(name, 1);
      assert.ok((await q.queues()).includes(name));
    });
  });
}
