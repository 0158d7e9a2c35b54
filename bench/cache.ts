// Cache throughput: get/set ops/s of Strata's memory tier, its Redis store and
// the tiered store (memory in front of Redis), against raw ioredis GET/SET with
// the same value bytes. Sequential (latency-bound) and 64 in flight (pipelined).
// Alternating rounds after a warm-up; Redis is the machine's service (unpinned).
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { median, progress, progressDone, writeResults, type BenchOptions } from './lib.js';
import { createCache, memoryStore, redisStore, tieredStore, type Cache } from '../src/cache/index.js';

interface Target {
  name: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  close(): Promise<void>;
}

const VALUE = 'x'.repeat(200); // a small JSON-ish value, like a session or a record
const KEYS = 1000;

function fromCache(name: string, cache: Cache): Target {
  return { name, get: (k) => cache.get(k), set: (k, v) => cache.set(k, v, { ttl: 600_000 }), close: () => cache.close() };
}

async function measure(t: Target, op: 'get' | 'set', ops: number, inflight: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < ops) {
        const k = `k${next++ % KEYS}`;
        if (op === 'get') await t.get(k);
        else await t.set(k, VALUE);
      }
    }),
  );
  return Math.round((ops / (performance.now() - t0)) * 1000);
}

export async function run(o: BenchOptions): Promise<void> {
  const ops = Number(o.args.find((a) => /^\d+$/.test(a)) ?? 20_000);
  const prefix = `bench:${randomBytes(3).toString('hex')}:`;
  const raw = new Redis({ host: '127.0.0.1', port: 6379 });
  const targets: Target[] = [
    fromCache('Strata memory', createCache(memoryStore({ maxBytes: 64 << 20 }))),
    fromCache('Strata Redis', createCache(await redisStore({ prefix: `${prefix}s:` }))),
    fromCache('Strata tiered (memory+Redis)', createCache(tieredStore({ back: await redisStore({ prefix: `${prefix}t:` }) }))),
    { name: 'raw ioredis', get: (k) => raw.get(`${prefix}r:${k}`), set: (k, v) => raw.set(`${prefix}r:${k}`, v, 'PX', 600_000), close: async () => {} },
  ];
  const results: { target: string; op: string; inflight: number; runs: number[] }[] = [];
  try {
    for (const inflight of [1, 64]) {
      for (const op of ['set', 'get'] as const) {
        for (const t of targets) await measure(t, op, Math.min(ops, 5000), inflight); // warm-up (and fills the keys for get)
        const rows = targets.map((t) => ({ target: t.name, op, inflight, runs: [] as number[] }));
        for (let round = 0; round < o.rounds; round++) {
          for (const [i, t] of targets.entries()) {
            progress(`${t.name} ${op} inflight=${inflight} round ${round + 1}/${o.rounds}`);
            rows[i].runs.push(await measure(t, op, ops, inflight));
          }
        }
        results.push(...rows);
      }
    }
  } finally {
    for (const t of targets) await t.close().catch(() => {});
    const keys = await raw.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await raw.del(...keys.slice(i, i + 500));
    await raw.quit();
  }
  progressDone();
  const table = results.map((r) => {
    const base = results.find((x) => x.target === 'raw ioredis' && x.op === r.op && x.inflight === r.inflight) as (typeof results)[number];
    const med = median(r.runs);
    return { target: r.target, op: r.op, inflight: r.inflight, 'ops/s (median)': med, spread: `${Math.min(...r.runs)}-${Math.max(...r.runs)}`, 'this/raw ioredis': Number((med / median(base.runs)).toFixed(2)) };
  });
  console.table(table);
  const version = (createRequire(import.meta.url)('ioredis/package.json') as { version: string }).version;
  const file = writeResults('cache', {
    method: `${ops} ops per run over ${KEYS} keys, 200-byte string values, sequential (inflight 1) and 64 in flight; ${o.rounds} alternating rounds after a warm-up; unpinned (Redis is a system service)`,
    versions: { ioredis: version },
    runs: results,
    table,
  });
  console.log(`results: ${file}`);
}
