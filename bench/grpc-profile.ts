// Where a unary gRPC Get spends its CPU (bench/grpc.ts's servers): each server runs in its own
// process pinned to core 0, h2load on core 1; printed are the server's CPU time per call (utime+stime
// from /proc over the measured run ÷ calls, robust to other load on the machine) and the top self
// time by area and function from a CPU profile of the measured run.
//   node --import tsx bench/grpc-profile.ts [--kind strata,bare,connect] [--top 25] [--seconds 6] [--inclusive]
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { Value } from '@sinclair/typebox/value';
import { createDataLayer, normalizeCollections } from '../src/data/index.js';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import { collectionProto } from '../src/api/rpc/index.js';
import { BENCH_COLLECTIONS } from './records-fixture.js';
import { freePort, pinned, ROOT, waitForPort } from './lib.js';
import { cpuMs, printProfile } from './records-profile-lib.js';

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'strata,bare,connect' },
    top: { type: 'string', default: '25' },
    seconds: { type: 'string', default: '6' },
    inclusive: { type: 'boolean', default: false },
  },
});

function framedGet(id: string): Buffer {
  const p = collectionProto(normalizeCollections(BENCH_COLLECTIONS).find((c) => c.name === 'posts')!);
  const schema = p.registry.getMessage('strata.posts.GetRequest')!;
  const msg = toBinary(schema, create(schema, { id }));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

function h2load(url: string, body: string, seconds: number, headers: string[]): { calls: number; rps: number; failed: number } {
  const cmd = pinned(1, ['h2load', '-c', '8', '-m', '16', '-D', String(seconds), '-t', '1', '-d', body, ...headers.flatMap((h) => ['-H', h]), url]);
  const out = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' }).stdout;
  const m = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed/.exec(out);
  return { calls: Number(m?.[2] ?? 0), failed: Number(m?.[3] ?? 0), rps: Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0) };
}

const base = mkdtempSync(join(tmpdir(), 'strata-grpc-prof-'));
try {
  const layer = createDataLayer({ dataDir: base, data: Value.Default(DataSchema, {}) as DataConfig, collections: BENCH_COLLECTIONS });
  await layer.start();
  const id = String((await layer.records.create('posts', { title: 'hello grpc', views: 42, status: 'published', body: 'x'.repeat(100) })).record.id);
  await layer.stop();
  const bodyFile = join(base, 'get.bin');
  writeFileSync(bodyFile, framedGet(id));
  const summary: Record<string, unknown>[] = [];
  for (const kind of values.kind!.split(',')) {
    const dir = join(base, kind);
    mkdirSync(dir);
    for (const f of ['data.db', 'data.db-wal', 'data.db-shm']) if (existsSync(join(base, f))) cpSync(join(base, f), join(dir, f));
    const port = await freePort();
    const profFile = join(dir, 'server.cpuprofile');
    const cmd = pinned(0, [process.execPath, '--import', 'tsx', join(ROOT, 'bench/grpc-server.ts'), kind, String(port), dir]);
    const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, STRATA_BENCH_PROFILE: profFile } });
    await waitForPort(port);
    let token: string | undefined;
    for (let t = 0; kind === 'strata' && t < 100 && !token; t++) {
      if (existsSync(join(dir, 'token'))) token = readFileSync(join(dir, 'token'), 'utf8');
      else await new Promise((r) => setTimeout(r, 100));
    }
    const headers = ['content-type: application/grpc', 'te: trailers', ...(token ? [`authorization: Bearer ${token}`] : [])];
    const url = `http://127.0.0.1:${port}/strata.posts.RecordService/Get`;
    h2load(url, bodyFile, 2, headers);
    child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    const before = cpuMs(child.pid!);
    const r = h2load(url, bodyFile, Number(values.seconds), headers);
    const cpu = cpuMs(child.pid!) - before;
    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGTERM');
    await exited;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const usPerCall = (cpu * 1000) / Math.max(1, r.calls);
    console.log(`\n== ${kind}: ${r.rps.toFixed(0)} calls/s, server CPU ${usPerCall.toFixed(1)} µs/call, ${r.failed} failed (load ${load})`);
    summary.push({ kind, rps: Math.round(r.rps), usPerCall: Number(usPerCall.toFixed(1)), failed: r.failed, load });
    if (!existsSync(profFile)) continue;
    printProfile(profFile, Number(values.top), values.inclusive);
  }
  console.table(summary);
} finally {
  rmSync(base, { recursive: true, force: true });
}
