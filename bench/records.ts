// Records API against a bare Fastify + driver route doing the same queries (BENCHMARKS.md method):
// 100k rows; list (perPage 50, filter + sort), get-by-id (random ids), create. Servers pinned to
// core 0, wrk to core 1; warm-up, then Strata and bare alternated; medians and ratios printed,
// JSON written to bench/results/records-<date>.json. `--pg` also runs on PostgreSQL (table prefix, dropped).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDataLayer, dropAll } from '../src/data/index.js';
import { BENCH_COLLECTIONS } from './records-fixture.js';
import { DataSchema } from '../src/config/schema-data.js';
import { Value } from '@sinclair/typebox/value';
import type { DataConfig } from '../src/config/schema-data.js';
import { cpuMs } from './records-profile-lib.js';

const ROOT = resolve(import.meta.dirname, '..');
const ROWS = 100_000;
const PIN = cpus().length >= 2 && spawnSync('sh', ['-c', 'command -v taskset']).status === 0;
const pin = (core: number, cmd: string[]) => (PIN ? ['taskset', '-c', String(core), ...cmd] : cmd);

export interface RecordsBenchOptions {
  seconds?: number;
  rounds?: number;
  pg?: boolean;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server on ${port} did not start`);
}

export async function seedRecords(dataDir: string, url: string, prefix: string): Promise<string[]> {
  const data = Value.Default(DataSchema, { url, tablePrefix: prefix }) as DataConfig;
  const layer = createDataLayer({ dataDir, data, collections: BENCH_COLLECTIONS });
  await layer.start();
  const ids: string[] = [];
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < ROWS; i++) {
    const id = randomBytes(10).toString('hex');
    if (i % 100 === 0) ids.push(id);
    const ts = new Date(t0 + i * 1000).toISOString();
    rows.push({ id, created: ts, updated: ts, _version: 1, title: `post ${i}`, views: i % 1000, status: i % 2 ? 'published' : 'draft', body: 'x'.repeat(100) });
  }
  await layer.db.transaction().execute(async (tx) => {
    for (let i = 0; i < rows.length; i += 500) await tx.insertInto(layer.names.record('posts')).values(rows.slice(i, i + 500)).execute();
  });
  await layer.stop();
  return ids;
}

interface Run {
  rps: number;
  p99ms: number;
  non2xx: number;
  /** Server CPU time (user + system) per request over the run: robust to other load on the machine. */
  cpuUs: number;
  requests: number;
}

function wrk(url: string, seconds: number, script?: string): Run {
  const args = pin(1, ['wrk', '-t2', '-c64', `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url]);
  const out = spawnSync(args[0], args.slice(1), { encoding: 'utf8' }).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99ms, non2xx, cpuUs: NaN, requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0) };
}

function start(kind: 'strata' | 'bare', port: number, dataDir: string, pgUrl: string, prefix: string): ChildProcess {
  const cmd = pin(0, [process.execPath, '--import', 'tsx', join(ROOT, 'bench/records-server.ts'), kind, String(port), dataDir, pgUrl, prefix]);
  return spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(t);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function engineRun(engine: 'sqlite' | 'postgres', o: Required<RecordsBenchOptions>, tmp: string) {
  const pgUrl = engine === 'postgres' ? (process.env.STRATA_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test') : '';
  const prefix = engine === 'postgres' ? `b${randomBytes(3).toString('hex')}_` : '';
  const seedDir = join(tmp, `seed-${engine}`);
  mkdirSync(seedDir, { recursive: true });
  console.log(`seeding ${ROWS} rows on ${engine}...`);
  const ids = await seedRecords(seedDir, pgUrl, prefix);
  const getLua = join(tmp, 'get.lua');
  writeFileSync(getLua, `ids = {${ids.map((i) => `"${i}"`).join(',')}}\nrequest = function() return wrk.format("GET", BASE .. ids[math.random(#ids)]) end\n`);
  const createLua = (n: number) => {
    const f = join(tmp, `create-${n}.lua`);
    writeFileSync(f, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = '{"title":"bench","views":7}'\n`);
    return f;
  };
  const scenarios = [
    { name: 'list50 filter+sort', strata: '/api/collections/posts/records?perPage=50&sort=-created&filter=' + encodeURIComponent('views > 500 && status = "published"'), bare: '/posts?minViews=500' },
    { name: 'get by id', strata: '/api/collections/posts/records/', bare: '/posts/', lua: 'get' },
    { name: 'create', strata: '/api/collections/posts/records', bare: '/posts', lua: 'create' },
  ];
  const runs: Record<string, { strata: Run[]; bare: Run[] }> = {};
  for (const s of scenarios) runs[s.name] = { strata: [], bare: [] };
  for (let round = 0; round < o.rounds; round++) {
    for (const kind of ['strata', 'bare'] as const) {
      // each server gets its own copy of the seeded SQLite file
      const dir = join(tmp, `${engine}-${kind}-${round}`);
      if (engine === 'sqlite') cpSync(seedDir, dir, { recursive: true });
      else mkdirSync(dir, { recursive: true });
      const port = await freePort();
      const proc = start(kind, port, dir, pgUrl, prefix);
      try {
        await waitForPort(port);
        for (const s of scenarios) {
          const path = kind === 'strata' ? s.strata : s.bare;
          const url = `http://127.0.0.1:${port}${path}`;
          let script: string | undefined;
          if (s.lua === 'get') {
            script = join(tmp, `get-${kind}.lua`);
            writeFileSync(script, `BASE = "${path}"\n` + readFileSync(getLua, 'utf8'));
          } else if (s.lua === 'create') script = createLua(round);
          wrk(url, 2, script); // warm-up
          // taskset execs node in place: the child's pid is the server's
          const cpu0 = cpuMs(proc.pid!);
          const r = wrk(url, o.seconds, script);
          r.cpuUs = ((cpuMs(proc.pid!) - cpu0) * 1000) / Math.max(1, r.requests);
          runs[s.name][kind].push(r);
          const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
          console.log(`  ${engine} round ${round + 1} ${kind.padEnd(6)} ${s.name.padEnd(20)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99ms.toFixed(1)} ms  CPU ${r.cpuUs.toFixed(0)} µs/req  load ${load}${r.non2xx ? `  non-2xx ${r.non2xx}` : ''}`);
        }
      } finally {
        await stop(proc);
      }
    }
  }
  if (engine === 'postgres') {
    const data = Value.Default(DataSchema, { url: pgUrl, tablePrefix: prefix }) as DataConfig;
    const layer = createDataLayer({ dataDir: tmp, data, collections: BENCH_COLLECTIONS });
    await layer.migrate({ dryRun: true });
    const { normalizeCollections } = await import('../src/data/index.js');
    await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections(BENCH_COLLECTIONS));
    await layer.stop();
  }
  return Object.entries(runs).map(([name, r]) => {
    const s = median(r.strata.map((x) => x.rps));
    const b = median(r.bare.map((x) => x.rps));
    const sc = median(r.strata.map((x) => x.cpuUs));
    const bc = median(r.bare.map((x) => x.cpuUs));
    return { engine, scenario: name, strataRps: s, bareRps: b, ratio: b ? s / b : 0, strataCpuUs: sc, bareCpuUs: bc, cpuRatio: sc ? bc / sc : 0, strataRuns: r.strata, bareRuns: r.bare };
  });
}

export async function run(opts: RecordsBenchOptions = {}): Promise<void> {
  const o: Required<RecordsBenchOptions> = { seconds: opts.seconds ?? 5, rounds: opts.rounds ?? 2, pg: opts.pg ?? process.argv.includes('--pg') };
  if (spawnSync('sh', ['-c', 'command -v wrk']).status !== 0) throw new Error('wrk is required (apt-get install wrk)');
  const tmp = mkdtempSync(join(tmpdir(), 'strata-bench-records-'));
  try {
    const rows = [...(await engineRun('sqlite', o, tmp)), ...(o.pg ? await engineRun('postgres', o, tmp) : [])];
    // two ratios: req/s (the goal's figure; drifts with other load) and server CPU per request, peer ÷ Strata (steadier)
    console.log('\nengine    scenario              strata req/s   bare req/s   ratio   strata CPU µs/req   bare CPU µs/req   CPU ratio');
    for (const r of rows) {
      console.log(`${r.engine.padEnd(9)} ${r.scenario.padEnd(20)} ${r.strataRps.toFixed(0).padStart(12)} ${r.bareRps.toFixed(0).padStart(12)}   ${r.ratio.toFixed(2)}x ${r.strataCpuUs.toFixed(0).padStart(18)} ${r.bareCpuUs.toFixed(0).padStart(17)}   ${r.cpuRatio.toFixed(2)}x`);
    }
    const out = join(ROOT, 'bench/results', `records-${new Date().toISOString().slice(0, 10)}.json`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify({ machine: { nproc: cpus().length, node: process.version, pinned: PIN }, method: 'wrk -t2 -c64, warm-up 2s, alternated strata/bare; logs off on both; cpuUs = server utime+stime per request over the measured run (/proc), cpuRatio = bare ÷ strata', seconds: o.seconds, rounds: o.rounds, rows: ROWS, results: rows }, null, 1),
    );
    console.log(`\nwritten ${out}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
