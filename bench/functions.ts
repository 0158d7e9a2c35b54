// A function route (body schema + response schema + one indexed read through ctx.records) against
// the same route on bare Fastify with the same schemas and on Express 5 with hand validation.
// 10k rows on SQLite; servers pinned to core 0, wrk (random ids, POST) to core 1; warm-up, then
// the three alternated; medians and ratios printed, JSON written to bench/results/functions-<date>.json.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { createDataLayer } from '../src/data/index.js';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import { ROOT, ensureTool, median, pinned, startServer, writeResults, type BenchOptions, type LoadResult } from './lib.js';
import { COLLECTIONS } from './functions-fixture.js';

const ROWS = 10_000;

async function seed(dir: string): Promise<string[]> {
  const layer = createDataLayer({ dataDir: dir, data: Value.Default(DataSchema, {}) as DataConfig, collections: COLLECTIONS });
  await layer.start();
  const ids: string[] = [];
  const ts = new Date().toISOString();
  const rows = Array.from({ length: ROWS }, (_, i) => {
    const id = randomBytes(8).toString('hex');
    if (i % 10 === 0) ids.push(id);
    return { id, created: ts, updated: ts, _version: 1, title: `post ${i}`, views: i };
  });
  await layer.db.transaction().execute(async (tx) => {
    for (let i = 0; i < rows.length; i += 500) await tx.insertInto(layer.names.record('posts')).values(rows.slice(i, i + 500)).execute();
  });
  await layer.stop();
  return ids;
}

/** Three servers through tsx on a loaded machine start slowly: a longer wait than lib's default. */
const start = (kind: string, dir: string) =>
  startServer({ name: kind, cmd: [process.execPath, '--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs'), join(ROOT, 'bench/functions-server.ts'), kind, 'PORT', dir], startTimeoutMs: 180_000 });

function wrkPost(url: string, script: string, seconds: number, connections: number): LoadResult {
  const cmd = pinned(1, ['wrk', '--latency', '-t2', `-c${connections}`, `-d${seconds}s`, '-s', script, url]);
  const out = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' }).stdout;
  const ms = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
  };
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50ms: ms(/\n\s+50%\s+([\d.]+)(us|ms|s)/),
    p99ms: ms(/\n\s+99%\s+([\d.]+)(us|ms|s)/),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: 0,
  };
}

export async function run(o: BenchOptions): Promise<void> {
  if (!ensureTool('wrk', 'wrk')) throw new Error('wrk is required (apt-get install wrk)');
  const tmp = mkdtempSync(join(tmpdir(), 'strata-bench-functions-'));
  try {
    const seedDir = join(tmp, 'seed');
    console.log(`seeding ${ROWS} rows...`);
    const ids = await seed(seedDir);
    const script = join(tmp, 'lookup.lua');
    writeFileSync(script, `ids = {${ids.map((i) => `"${i}"`).join(',')}}\nwrk.headers["Content-Type"] = "application/json"\nrequest = function() return wrk.format("POST", nil, nil, '{"id":"' .. ids[math.random(#ids)] .. '"}') end\n`);
    const kinds = ['strata', 'fastify', 'express'] as const;
    const runs: Record<string, LoadResult[]> = { strata: [], fastify: [], express: [] };
    for (let round = 0; round < o.rounds; round++) {
      for (const kind of kinds) {
        const dir = join(tmp, `${kind}-${round}`);
        cpSync(seedDir, dir, { recursive: true });
        const srv = await start(kind, dir);
        try {
          const url = `http://127.0.0.1:${srv.port}/lookup`;
          wrkPost(url, script, Math.min(2, o.seconds), o.connections);
          const r = wrkPost(url, script, o.seconds, o.connections);
          runs[kind].push(r);
          console.log(`  round ${round + 1} ${kind.padEnd(8)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms${r.non2xx ? `  non-2xx ${r.non2xx}` : ''}`);
        } finally {
          await srv.stop();
        }
      }
    }
    const med = Object.fromEntries(kinds.map((k) => [k, median(runs[k].map((r) => r.rps))]));
    const ratios = { 'strata/fastify': med.strata / med.fastify, 'strata/express': med.strata / med.express };
    console.log(`\nmedian req/s: strata ${med.strata.toFixed(0)}, bare fastify ${med.fastify.toFixed(0)}, express 5 ${med.express.toFixed(0)}`);
    console.log(`ratios: strata/fastify ${ratios['strata/fastify'].toFixed(2)}x, strata/express ${ratios['strata/express'].toFixed(2)}x`);
    const file = writeResults('functions', { method: `wrk -t2 -c${o.connections}, random ids, warm-up, alternated; logs off on all`, seconds: o.seconds, rounds: o.rounds, rows: ROWS, runs, medians: med, ratios });
    console.log(`written ${file}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
