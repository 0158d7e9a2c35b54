// Unary gRPC Get throughput: Strata (the whole server as shipped, h2c, bearer token checked per call)
// against a bare @grpc/grpc-js server reading the same SQLite row, and bare Fastify + connect-fastify
// (the library Strata is built on) doing the same, to tell Strata's own cost from the library's. h2load speaks gRPC framing over h2c
// (POST, content-type application/grpc, a fixed framed GetRequest body); servers pinned to core 0,
// h2load to core 1, warm-up then alternated rounds; results in bench/results/grpc-<date>.json.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { createDataLayer, normalizeCollections } from '../src/data/index.js';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import { Value } from '@sinclair/typebox/value';
import { collectionProto } from '../src/api/rpc/index.js';
import { BENCH_COLLECTIONS } from './records-fixture.js';
import { cpuMs } from './records-profile-lib.js';
import { ensureTool, median, pinned, progress, progressDone, ROOT, startServer, writeResults, type BenchOptions, type LoadResult, type Row, type ServerSpec } from './lib.js';

const TSX = [process.execPath, '--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs')];

async function seed(dataDir: string): Promise<string> {
  const layer = createDataLayer({ dataDir, data: Value.Default(DataSchema, {}) as DataConfig, collections: BENCH_COLLECTIONS });
  await layer.start();
  const r = await layer.records.create('posts', { title: 'hello grpc', views: 42, status: 'published', body: 'x'.repeat(100) });
  await layer.stop();
  return String(r.record.id);
}

/** One gRPC message frame (uncompressed) holding GetRequest{id}. */
function framedGet(id: string): Buffer {
  const p = collectionProto(normalizeCollections(BENCH_COLLECTIONS).find((c) => c.name === 'posts')!);
  const msg = toBinary(p.registry.getMessage('strata.posts.GetRequest')!, create(p.registry.getMessage('strata.posts.GetRequest')!, { id }));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

function h2loadGrpc(url: string, body: string, seconds: number, headers: string[], clients: number): LoadResult & { cpuUs?: number; calls?: number } {
  const cmd = pinned(1, ['h2load', '-c', String(clients), '-m', '16', '-D', String(seconds), '-t', '1', '-d', body, ...headers.flatMap((h) => ['-H', h]), url]);
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`h2load failed: ${r.stderr}${r.stdout}`);
  const out = r.stdout;
  const lat = out.match(/time for request:\s+(\S+)\s+(\S+)\s+(\S+)/);
  const ms = (v?: string) => {
    const m = v?.match(/^([\d.]+)(us|ms|s)$/);
    return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
  };
  const status = out.match(/status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/);
  return {
    rps: Number(out.match(/finished in [\d.]+\w+, ([\d.]+) req\/s/)?.[1] ?? NaN),
    p50ms: ms(lat?.[3]),
    p99ms: ms(lat?.[2]),
    non2xx: status ? Number(status[2]) + Number(status[3]) + Number(status[4]) : 0,
    errors: Number(out.match(/requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/)?.[1] ?? 0),
    calls: Number(out.match(/requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/)?.[1] ?? 0),
  };
}

/** Checks the answer once with a real gRPC client: h2load sees HTTP 200 even when grpc-status is not 0. */
async function verify(port: number, id: string, token: string | undefined): Promise<void> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  try {
    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest('/strata.posts.RecordService/Get', (b: Buffer) => b, (b: Buffer) => b, framedGet(id).subarray(5), md, (e, v) => (e ? reject(e) : resolve(v!))),
    );
    if (!reply.includes(Buffer.from('hello grpc'))) throw new Error('the reply does not hold the record');
  } finally {
    client.close();
  }
}

export async function run(o: BenchOptions): Promise<void> {
  ensureTool('h2load', 'nghttp2-client');
  const base = mkdtempSync(join(tmpdir(), 'strata-grpc-bench-'));
  try {
    const id = await seed(base);
    const body = join(base, 'get.bin');
    writeFileSync(body, framedGet(id));
    const names: Record<string, string> = { strata: 'strata', bare: 'grpc-js + better-sqlite3', connect: 'connect-fastify + better-sqlite3' };
    const specs: ServerSpec[] = Object.keys(names).map((kind) => ({ name: names[kind], cmd: [...TSX, join(ROOT, 'bench/grpc-server.ts'), kind, 'PORT', join(base, kind)] }));
    for (const kind of Object.keys(names)) {
      mkdirSync(join(base, kind));
      for (const f of ['data.db', 'data.db-wal', 'data.db-shm']) if (existsSync(join(base, f))) cpSync(join(base, f), join(base, kind, f));
    }
    const rows: Row[] = specs.map((s) => ({ name: s.name, runs: [] }));
    const clients = Math.max(1, Math.min(16, Math.round(o.connections / 8)));
    for (let round = 0; round < o.rounds; round++) {
      for (const [i, spec] of specs.entries()) {
        progress(`${spec.name}, round ${round + 1}`);
        const srv = await startServer(spec);
        try {
          const dir = spec.cmd[spec.cmd.length - 1];
          let token: string | undefined;
          for (let t = 0; spec.name === 'strata' && t < 100 && !token; t++) {
            try {
              token = readFileSync(join(dir, 'token'), 'utf8');
            } catch {
              await new Promise((r) => setTimeout(r, 100));
            }
          }
          await verify(srv.port, id, token);
          const headers = ['content-type: application/grpc', 'te: trailers', ...(token ? [`authorization: Bearer ${token}`] : [])];
          const url = `http://127.0.0.1:${srv.port}/strata.posts.RecordService/Get`;
          h2loadGrpc(url, body, Math.min(3, o.seconds), headers, clients);
          // server CPU per call over the measured run (steadier than calls/s on a shared machine)
          const cpu0 = cpuMs(srv.proc.pid!);
          const run = h2loadGrpc(url, body, o.seconds, headers, clients);
          run.cpuUs = ((cpuMs(srv.proc.pid!) - cpu0) * 1000) / Math.max(1, run.calls ?? 0);
          rows[i].runs.push(run);
        } finally {
          await srv.stop();
        }
      }
    }
    progressDone();
    const bareRps = median(rows[1].runs.map((r) => r.rps));
    const table = rows.map((r) => {
      const rps = r.runs.map((x) => x.rps);
      return {
        server: r.name,
        'calls/s (median)': Math.round(median(rps)),
        spread: `${Math.round(Math.min(...rps))}-${Math.round(Math.max(...rps))}`,
        'mean ms': Number(median(r.runs.map((x) => x.p50ms)).toFixed(2)),
        'this/grpc-js': Number((median(rps) / bareRps).toFixed(2)),
        'CPU µs/call': Number(median(r.runs.map((x) => (x as { cpuUs?: number }).cpuUs ?? NaN)).toFixed(1)),
        'CPU ratio grpc-js/this': Number((median(rows[1].runs.map((x) => (x as { cpuUs?: number }).cpuUs ?? NaN)) / median(r.runs.map((x) => (x as { cpuUs?: number }).cpuUs ?? NaN))).toFixed(2)),
        errors: r.runs.reduce((a, x) => a + x.errors + x.non2xx, 0),
      };
    });
    console.table(table);
    const file = writeResults('grpc', { command: `h2load -c${clients} -m16 -D${o.seconds} (gRPC unary Get over h2c)`, rounds: o.rounds, seconds: o.seconds, rows, table, note: 'Strata verifies a bearer JWT per call (superuser-only access until rules land); the bare peers have no auth. CPU µs/call: server utime+stime per call over the measured run.' });
    console.log(`results: ${file}`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

