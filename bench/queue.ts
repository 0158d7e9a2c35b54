// Queue throughput: enqueue + process N no-op jobs end to end (producer and
// consumer in this one process, bulk enqueue), at concurrency 1 and 8, for
// Strata on SQLite / Redis streams / RabbitMQ / NATS against BullMQ on the same
// Redis. Alternating rounds after a warm-up; brokers are the machine's services
// (unpinned), this process runs unpinned too (one process does both sides).
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { median, progress, progressDone, writeResults, type BenchOptions } from './lib.js';
import { natsQueue, rabbitQueue, redisQueue, sqliteQueue, type QueueBackend } from '../src/messaging/index.js';

interface System {
  name: string;
  version: string;
  /** Time to enqueue and process `n` no-op jobs at `concurrency`, ms. */
  run(n: number, concurrency: number): Promise<number>;
  close(): Promise<void>;
}

const pkgVersion = (name: string) => (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;

async function strata(name: string, make: () => Promise<QueueBackend>, cleanup: (q: QueueBackend, queue: string) => Promise<void>): Promise<System> {
  const q = await make();
  return {
    name,
    version: `strata ${q.kind}`,
    async run(n, concurrency) {
      const queue = `bench-${randomBytes(4).toString('hex')}`;
      let done = 0;
      let finish!: () => void;
      const all = new Promise<void>((r) => (finish = r));
      const t0 = performance.now();
      const consumer = await q.consume(queue, () => {
        if (++done === n) finish();
      }, { concurrency, leaseMs: 60_000 });
      for (let i = 0; i < n; i += 1000) await q.enqueueBulk(queue, Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ payload: { i: i + k } })));
      await all;
      const ms = performance.now() - t0;
      await consumer.stop();
      await cleanup(q, queue);
      return ms;
    },
    close: async () => {
      const extra = q as unknown as { destroyAll?: () => Promise<void> };
      await extra.destroyAll?.(); // NATS: the KV buckets too
      await q.close();
    },
  };
}

async function bullmq(prefix: string): Promise<System> {
  const { Queue, Worker } = await import('bullmq');
  const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
  return {
    name: 'BullMQ',
    version: `bullmq ${pkgVersion('bullmq')}`,
    async run(n, concurrency) {
      const name = `bench-${randomBytes(4).toString('hex')}`;
      const queue = new Queue(name, { connection, prefix });
      let done = 0;
      let finish!: () => void;
      const all = new Promise<void>((r) => (finish = r));
      const t0 = performance.now();
      const worker = new Worker(name, async () => {}, { connection, prefix, concurrency });
      worker.on('completed', () => {
        if (++done === n) finish();
      });
      for (let i = 0; i < n; i += 1000) {
        await queue.addBulk(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ name: 'job', data: { i: i + k }, opts: { removeOnComplete: true } })));
      }
      await all;
      const ms = performance.now() - t0;
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      return ms;
    },
    close: async () => {},
  };
}

export async function run(o: BenchOptions): Promise<void> {
  const n = Number(o.args.find((a) => /^\d+$/.test(a)) ?? 10_000);
  const only = o.args.filter((a) => !/^\d+$/.test(a));
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-q-'));
  const tag = randomBytes(3).toString('hex');
  const systems: System[] = [
    await strata('Strata SQLite', async () => sqliteQueue({ file: join(dir, 'q.db') }), async () => {}),
    await strata('Strata Redis', () => redisQueue({ prefix: `bench:${tag}:` }), async (q, queue) => (q as unknown as { destroy(x: string[]): Promise<void> }).destroy([queue])),
    await strata('Strata RabbitMQ', () => rabbitQueue({ prefix: `bench.${tag}.` }), async (q, queue) => (q as unknown as { destroy(x: string[]): Promise<void> }).destroy([queue])),
    await strata('Strata NATS', () => natsQueue({ prefix: `bench${tag}` }), async (q, queue) => (q as unknown as { destroy(x: string[]): Promise<void> }).destroy([queue])),
    await bullmq(`bench:${tag}:bull`),
  ].filter((s) => only.length === 0 || only.some((x) => s.name.toLowerCase().includes(x.toLowerCase())));
  const results: { system: string; concurrency: number; runs: number[] }[] = [];
  try {
    for (const concurrency of [1, 8]) {
      for (const s of systems) {
        progress(`warm-up ${s.name} c${concurrency}`);
        await s.run(Math.min(2000, n), concurrency);
      }
      const rows = systems.map((s) => ({ system: s.name, concurrency, runs: [] as number[] }));
      for (let round = 0; round < o.rounds; round++) {
        for (const [i, s] of systems.entries()) {
          progress(`${s.name} c${concurrency} round ${round + 1}/${o.rounds}: ${n} jobs`);
          const ms = await s.run(n, concurrency);
          rows[i].runs.push(Math.round((n / ms) * 1000));
        }
      }
      results.push(...rows);
    }
  } finally {
    for (const s of systems) await s.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  progressDone();
  const table = results.map((r) => {
    const bull = results.find((x) => x.system === 'BullMQ' && x.concurrency === r.concurrency);
    const med = median(r.runs);
    return {
      system: r.system,
      concurrency: r.concurrency,
      'jobs/s (median)': med,
      spread: `${Math.min(...r.runs)}-${Math.max(...r.runs)}`,
      'this/BullMQ': bull ? Number((med / median(bull.runs)).toFixed(2)) : NaN,
    };
  });
  console.table(table);
  const file = writeResults('queue', {
    method: `${n} no-op jobs per run, bulk enqueue in chunks of 1000, producer and consumer in one process, end to end; ${o.rounds} alternating rounds after a warm-up; unpinned (brokers are system services)`,
    versions: Object.fromEntries(systems.map((s) => [s.name, s.version])),
    runs: results,
    table,
  });
  console.log(`results: ${file}`);
}
