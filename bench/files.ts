// Scenario files: downloads of 1 KiB, 1 MiB and 100 MiB files from /api/files/... (Strata as shipped:
// view rule, ETag, the edge stack and WAF, access log on) beside nginx serving the same bytes
// (sendfile, open_file_cache); and multipart uploads in MB/s to Strata (streamed, sniffed, stored, fsynced,
// record written) beside bare Fastify + @fastify/multipart streaming the part to a file, in the same run.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, CAN_PIN, ensureTool, median, progress, progressDone, startServer, writeResults, wrk, wrkCommand, type BenchOptions, type ServerSpec } from './lib.js';
import { nginxSpec, nginxVersion } from './static.js';

const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const SIZES: [string, number, number][] = [
  // name, bytes, connections
  ['1k.bin', 1024, 64],
  ['1m.bin', 1024 * 1024, 16],
  ['100m.bin', 100 * 1024 * 1024, 2],
];

const STRATA_UPLOAD = '/api/collections/files/records';
const PEER_UPLOAD = '/upload';

async function upload(port: number, name: string, body: Buffer, path = STRATA_UPLOAD): Promise<string> {
  const fd = new FormData();
  fd.append('doc', new Blob([body]), name);
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: fd });
  if (r.status !== 201) throw new Error(`upload ${name}: ${r.status} ${await r.text()}`);
  if (path !== STRATA_UPLOAD) return '';
  const rec = (await r.json()) as { id: string; doc: string };
  return `/api/files/files/${rec.id}/${rec.doc}`;
}

/** Sequential uploads for `seconds` (one client, like a user's browser), after one warm-up upload: MB/s. */
async function uploadRate(port: number, body: Buffer, seconds: number, path = STRATA_UPLOAD): Promise<number> {
  await upload(port, 'warm.bin', body, path);
  const end = Date.now() + seconds * 1000;
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  while (Date.now() < end) {
    await upload(port, 'u.bin', body, path);
    bytes += body.length;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return bytes / s / 1e6;
}

export async function run(o: BenchOptions): Promise<void> {
  ensureTool('wrk', 'wrk');
  ensureTool('nginx', 'nginx');
  const root = mkdtempSync(join(tmpdir(), 'strata-bench-files-'));
  chmodSync(root, 0o755);
  const bodies = new Map(SIZES.map(([name, bytes]) => [name, randomBytes(bytes)]));
  for (const [name, body] of bodies) writeFileSync(join(root, name), body);
  // Start-up compiles the server with tsx: on a loaded machine it takes longer than the default 30 s.
  const strata: ServerSpec = { name: 'strata', cmd: [process.execPath, '--import', TSX, join(ROOT, 'bench/fixtures/strata-files.ts')], startTimeoutMs: 120_000 };
  const fastifyMultipart: ServerSpec = { name: 'fastify+multipart', cmd: [process.execPath, join(ROOT, 'bench/peers/fastify-multipart.mjs')] };
  const nginx = nginxSpec('nginx (1 worker)', '1', `open_file_cache max=1000 inactive=20s; open_file_cache_valid 1s; server { listen 127.0.0.1:@LISTEN@; root ${root}; location / { } }`, true);
  console.log(`files: wrk -t2 -d${o.seconds}s (connections per size: ${SIZES.map(([n, , c]) => `${n} -c${c}`).join(', ')}), ${o.rounds} alternating rounds; servers ${CAN_PIN ? 'on core 0' : 'unpinned'}, wrk on core 1`);
  console.log(`versions: node ${process.version}, ${nginxVersion()}; access logs on for Strata and nginx (buffered)`);
  const runs: Record<string, Record<string, number[]>> = {};
  const uploads: Record<string, number[]> = {};
  const peerUploads: Record<string, number[]> = {};
  const total = o.rounds * 3;
  let step = 0;
  for (let round = 0; round < o.rounds; round++) {
    for (const spec of [strata, nginx, fastifyMultipart]) {
      step++;
      progress(`[${step}/${total}] ${spec.name}, round ${round + 1}`);
      const srv = await startServer(spec);
      try {
        if (spec === fastifyMultipart) {
          for (const [name] of SIZES) (peerUploads[name] ??= []).push(await uploadRate(srv.port, bodies.get(name)!, Math.min(5, o.seconds), PEER_UPLOAD));
          continue;
        }
        for (const [name, bytes, connections] of SIZES) {
          const path = spec === strata ? await upload(srv.port, name, bodies.get(name)!) : `/${name}`;
          const url = `http://127.0.0.1:${srv.port}${path}`;
          wrk({ url, connections, threads: 2, seconds: Math.min(2, o.seconds) });
          const r = wrk({ url, connections, threads: 2, seconds: o.seconds });
          if (r.non2xx > 0 || r.errors > 0) console.log(`  ${spec.name} ${name}: ${r.non2xx} non-2xx, ${r.errors} socket errors`);
          ((runs[name] ??= {})[spec.name] ??= []).push((r.rps * bytes) / 1e6);
        }
        if (spec === strata) {
          for (const [name] of SIZES) (uploads[name] ??= []).push(await uploadRate(srv.port, bodies.get(name)!, Math.min(5, o.seconds)));
        }
      } finally {
        await srv.stop();
      }
    }
  }
  progressDone();
  const table = SIZES.map(([name]) => {
    const s = median(runs[name]!.strata!);
    const n = median(runs[name]!['nginx (1 worker)']!);
    const su = median(uploads[name]!);
    const pu = median(peerUploads[name]!);
    return {
      file: name,
      'strata MB/s': Math.round(s),
      'nginx MB/s': Math.round(n),
      'strata/nginx': Number((s / n).toFixed(2)),
      'strata upload MB/s (1 client)': Number(su.toPrecision(3)),
      'fastify+multipart upload MB/s': Number(pu.toPrecision(3)),
      'upload strata/fastify': Number((su / pu).toFixed(2)),
    };
  });
  console.log(`downloads (median of rounds) and uploads; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.table(table);
  const out = writeResults('files', {
    command: wrkCommand({ url: 'http://127.0.0.1:PORT/api/files/files/ID/NAME', connections: 64, threads: 2, seconds: o.seconds }).join(' '),
    versions: { node: process.version, nginx: nginxVersion() },
    runs,
    uploads,
    peerUploads,
    uploadSpread: Object.fromEntries(SIZES.map(([name]) => [name, { strata: [Math.min(...uploads[name]!), Math.max(...uploads[name]!)], 'fastify+multipart': [Math.min(...peerUploads[name]!), Math.max(...peerUploads[name]!)] }])),
    loadAverage: loadavg(),
    table,
  });
  console.log(`results: ${out}`);
}
