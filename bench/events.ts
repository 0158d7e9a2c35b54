// Record-change events: what the transactional outbox costs. Record create throughput through the
// records service (no HTTP) with data.events on (outbox insert in each write + relay publishing to
// the in-process bus) against off, in the same run, alternated (off on off on), medians and the
// ratio; plus commit-to-subscriber latency with events on. `-- events pg` also runs on PostgreSQL.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import { createDataLayer, dropAll, normalizeCollections, recordEventRelay } from '../src/data/index.js';
import type { RecordChangeEvent } from '../src/core/index.js';
import { memoryBus } from '../src/messaging/index.js';
import { median, progress, progressDone, writeResults, type BenchOptions } from './lib.js';

const COLLECTIONS = [{ name: 'posts', fields: [{ name: 'title', type: 'text' as const }, { name: 'views', type: 'integer' as const }] }];
const CONCURRENCY = 8;

interface Run {
  events: boolean;
  creates: number;
  perSec: number;
  /** This process's CPU (user+system) per create, the relay's publishing included: robust when the machine is loaded. */
  cpuUsPerCreate: number;
  latencyP50ms?: number;
  latencyP99ms?: number;
}

async function once(url: string, dataDir: string, events: boolean, seconds: number): Promise<Run> {
  const prefix = `bev${Math.random().toString(36).slice(2, 8)}_`;
  const data = Value.Default(DataSchema, { url, tablePrefix: prefix, events: { enabled: events } }) as DataConfig;
  const layer = createDataLayer({ dataDir, data, collections: COLLECTIONS });
  await layer.start();
  const bus = memoryBus();
  const latencies: number[] = [];
  const sent = new Map<string, number>();
  await bus.subscribe('records.>', (e: RecordChangeEvent) => {
    const t0 = sent.get(String(e.record.title));
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  });
  const relay = recordEventRelay(layer, () => bus);
  await relay.start();
  let creates = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const title = `bench ${creates++}`;
      if (events) sent.set(title, performance.now());
      await layer.records.create('posts', { title, views: 7 });
      // each create as its own macrotask, like a request: SQLite's driver resolves in microtasks
      // only, and a loop of them would starve the relay's timers
      await new Promise((r) => setImmediate(r));
    }
  };
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await relay.drain();
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 50));
  await relay.stop();
  await bus.close();
  await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections(COLLECTIONS));
  await layer.stop();
  const sorted = [...latencies].sort((a, b) => a - b);
  const run: Run = { events, creates, perSec: creates / elapsed, cpuUsPerCreate: Number(((cpu.user + cpu.system) / creates).toFixed(1)) };
  if (events) {
    run.latencyP50ms = Number(median(sorted).toFixed(2));
    run.latencyP99ms = Number((sorted[Math.floor(sorted.length * 0.99)] ?? NaN).toFixed(2));
    if (latencies.length !== creates) console.warn(`  note: ${creates - latencies.length} events not seen by the subscriber`);
  }
  return run;
}

export async function run(o: BenchOptions): Promise<void> {
  const engines = [{ name: 'sqlite', url: '' }];
  if (o.args.includes('pg')) engines.push({ name: 'postgres', url: process.env.STRATA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
  const results: Record<string, unknown>[] = [];
  for (const e of engines) {
    const dir = mkdtempSync(join(tmpdir(), 'strata-bench-events-'));
    try {
      progress(`${e.name}: warm-up`);
      await once(e.url, dir, true, Math.min(1, o.seconds));
      const runs: Run[] = [];
      for (let round = 0; round < o.rounds; round++) {
        for (const events of [false, true]) {
          progress(`${e.name}: round ${round + 1}/${o.rounds}, events ${events ? 'on' : 'off'}`);
          runs.push(await once(e.url, dir, events, o.seconds));
        }
      }
      progressDone();
      const off = median(runs.filter((r) => !r.events).map((r) => r.perSec));
      const on = median(runs.filter((r) => r.events).map((r) => r.perSec));
      const onRuns = runs.filter((r) => r.events);
      const cpuOff = median(runs.filter((r) => !r.events).map((r) => r.cpuUsPerCreate));
      const cpuOn = median(onRuns.map((r) => r.cpuUsPerCreate));
      const row = {
        engine: e.name,
        offPerSec: Math.round(off),
        onPerSec: Math.round(on),
        ratio: Number((on / off).toFixed(2)),
        cpuUsPerCreateOff: cpuOff,
        cpuUsPerCreateOn: cpuOn,
        cpuRatio: Number((cpuOff / cpuOn).toFixed(2)),
        latencyP50ms: median(onRuns.map((r) => r.latencyP50ms ?? NaN)),
        latencyP99ms: median(onRuns.map((r) => r.latencyP99ms ?? NaN)),
        runs,
      };
      results.push(row);
      console.log(`${e.name.padEnd(9)} creates/s events off ${row.offPerSec}, on ${row.onPerSec}: on/off ${row.ratio}x; CPU µs/create off ${row.cpuUsPerCreateOff}, on ${row.cpuUsPerCreateOn}: off/on ${row.cpuRatio}x (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}); commit->subscriber p50 ${row.latencyP50ms} ms, p99 ${row.latencyP99ms} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const file = writeResults('events', {
    method: `records service in-process (no HTTP), ${CONCURRENCY} creates in flight, ${o.seconds}s per run, ${o.rounds} rounds alternated off/on after a warm-up; events on = outbox insert in the write transaction + relay to the memory bus`,
    seconds: o.seconds,
    rounds: o.rounds,
    results,
  });
  console.log(`results: ${file}`);
}
