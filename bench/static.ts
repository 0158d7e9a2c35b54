// Static files: Strata's static site (bare Fastify + gateway plugin, logger off) against
// nginx (sendfile, open_file_cache, access_log off) with one worker and with `auto`,
// 1 KiB and 100 KiB files, wrk pinned to core 1, A B A B with warm-ups.
import { chmodSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, machine, median, spawnPinned, startNginx, stopChild, waitForPort, wrk, writeResults, type WrkResult } from './gateway-peers.js';

export interface StaticBenchOptions {
  duration?: number;
  warmup?: number;
  connections?: number;
  rounds?: number;
}

async function serveStrata(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { staticRoutes } = await import('../src/gateway/index.js');
  const app = Fastify({ logger: false });
  app.register(staticRoutes({ root: process.env.BENCH_ROOT ?? '.', compress: { enabled: false } }));
  await app.listen({ port: Number(process.env.BENCH_PORT), host: '127.0.0.1' });
}

export async function run(opts: StaticBenchOptions = {}): Promise<void> {
  const duration = opts.duration ?? 5;
  const warmup = opts.warmup ?? 2;
  const connections = opts.connections ?? 64;
  const rounds = opts.rounds ?? 2;
  const root = mkdtempSync(join(tmpdir(), 'strata-bench-static-'));
  chmodSync(root, 0o755);
  writeFileSync(join(root, '1k.bin'), randomBytes(1024));
  writeFileSync(join(root, '100k.bin'), randomBytes(100 * 1024));
  const prefix = join(root, 'nginx');
  const sPort = await freePort();
  const n1Port = await freePort();
  const naPort = await freePort();
  const strata = spawnPinned('0', process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { BENCH_ROLE: 'static-server', BENCH_ROOT: root, BENCH_PORT: String(sPort), NODE_ENV: 'production' });
  const body = (port: number) => `open_file_cache max=1000 inactive=20s; open_file_cache_valid 1s; server { listen 127.0.0.1:${port} reuseport; root ${root}; location / { } }`;
  const nginx1 = await startNginx(prefix, n1Port, '1', body(n1Port), '0');
  const nginxAuto = await startNginx(prefix, naPort, 'auto', body(naPort), undefined);
  await waitForPort(sPort);
  const peers = [
    { name: 'strata', port: sPort, note: 'taskset -c 0, logger off' },
    { name: 'nginx-1-worker', port: n1Port, note: 'taskset -c 0' },
    { name: 'nginx-auto', port: naPort, note: `unpinned, ${machine().nproc} workers` },
  ];
  const runs: { file: string; peer: string; round: number; result: WrkResult; command: string }[] = [];
  try {
    for (const file of ['1k.bin', '100k.bin']) {
      for (let round = 0; round < rounds; round++) {
        for (const p of peers) {
          const url = `http://127.0.0.1:${p.port}/${file}`;
          wrk(url, { duration: warmup, connections, threads: 2 });
          const r = wrk(url, { duration, connections, threads: 2 });
          runs.push({ file, peer: p.name, round, ...r });
          process.stdout.write(`${file} ${p.name} round ${round + 1}: ${Math.round(r.result.rps)} req/s${r.result.non2xx || r.result.errors ? ` (non-2xx ${r.result.non2xx}, errors ${r.result.errors})` : ''}\n`);
        }
      }
    }
  } finally {
    await Promise.all([stopChild(strata), stopChild(nginx1), stopChild(nginxAuto)]);
    rmSync(root, { recursive: true, force: true });
  }
  const table: Record<string, string | number>[] = [];
  const summary: Record<string, Record<string, unknown>> = {};
  for (const file of ['1k.bin', '100k.bin']) {
    const med = (peer: string) => median(runs.filter((r) => r.file === file && r.peer === peer).map((r) => r.result.rps));
    const spread = (peer: string) => {
      const xs = runs.filter((r) => r.file === file && r.peer === peer).map((r) => r.result.rps);
      return `${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}`;
    };
    const s = med('strata');
    summary[file] = {};
    for (const p of peers) {
      const m = med(p.name);
      summary[file][p.name] = { median: m, spread: spread(p.name) };
      table.push({ file, peer: p.name, 'req/s (median)': Math.round(m), spread: spread(p.name), 'strata ratio': p.name === 'strata' ? '1.00' : (s / m).toFixed(2) });
    }
  }
  console.table(table);
  const out = writeResults('static', {
    scenario: 'static',
    date: new Date().toISOString(),
    machine: machine(),
    settings: { duration, warmup, connections, threads: 2, rounds, loadGenerator: 'wrk pinned to core 1' },
    peers,
    runs,
    summary,
    ratios: Object.fromEntries(['1k.bin', '100k.bin'].map((f) => [f, Object.fromEntries(peers.filter((p) => p.name !== 'strata').map((p) => [`strata/${p.name}`, (summary[f].strata as { median: number }).median / (summary[f][p.name] as { median: number }).median]))])),
  });
  console.log(`results: ${out}`);
  }

if (process.env.BENCH_ROLE === 'static-server') void serveStrata();
