// Scenario http-json: a small JSON response from a Strata route with the
// default edge stack on, beside bare Fastify, bare node:http and Express 5;
// then Strata with 2 workers beside 1 (both unpinned).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ensureDevCertificate } from '../src/edge/index.js';
import { ROOT, alternate, alternateH2, ensureTool, summarize, writeResults, wrkCommand, h2loadCommand, CAN_PIN, type BenchOptions, type ServerSpec } from './lib.js';

const require = createRequire(import.meta.url);
const version = (p: string) => (require(`${p}/package.json`) as { version: string }).version;
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');

/** Parts: h1 (wrk, vs peers), cluster (2 workers vs 1), h2 (h2load over TLS); `npm run bench -- http-json h2` runs one. */
export async function run(o: BenchOptions): Promise<void> {
  const parts = new Set(o.args.length > 0 ? o.args : ['h1', 'cluster', 'h2']);
  ensureTool('wrk', 'wrk');
  const node = process.execPath;
  const strata = (workers: number, pin: boolean): ServerSpec => ({
    name: workers === 1 ? 'strata' : `strata --workers ${workers}`,
    cmd: [node, '--import', TSX, join(ROOT, 'bench/fixtures/strata-json.ts')],
    env: { BENCH_WORKERS: String(workers) },
    pin,
  });
  const peers: ServerSpec[] = [
    strata(1, true),
    // The edge stack alone: as shipped but with the WAF (issue 8) off.
    { ...strata(1, true), name: 'strata (waf off)', env: { BENCH_WORKERS: '1', STRATA_WAF_MODE: 'off' } },
    { name: 'fastify', cmd: [node, join(ROOT, 'bench/peers/fastify.mjs')], version: version('fastify') },
    { name: 'node:http', cmd: [node, join(ROOT, 'bench/peers/node-http.mjs')], version: process.version },
    { name: 'express', cmd: [node, join(ROOT, 'bench/peers/express.mjs')], version: version('express') },
  ];
  console.log(`http-json: wrk -t2 -c${o.connections} -d${o.seconds}s, ${o.rounds} alternating rounds, server ${CAN_PIN ? 'on core 0, wrk on core 1' : 'unpinned'}`);
  console.log(`versions: node ${process.version}, fastify ${version('fastify')}, express ${version('express')}; Strata's access log on (to /dev/null), peers log nothing`);
  const rows = parts.has('h1') ? await alternate(peers, '/json', o) : [];
  const table = rows.length === 0 ? [] : summarize(rows, 'strata').map((r) => ({ ...r, 'strata/this': r['strata/this'] }));
  if (table.length > 0) console.table(table);

  console.log('cluster: Strata --workers 2 vs --workers 1, servers unpinned, wrk on core 1');
  const clusterRows = parts.has('cluster') ? await alternate([strata(1, false), strata(2, false)], '/json', o) : [];
  const clusterTable = clusterRows.length === 0 ? [] : summarize(clusterRows, 'strata');
  if (clusterTable.length > 0) console.table(clusterTable);

  ensureTool('h2load', 'nghttp2-client');
  const cert = await ensureDevCertificate(mkdtempSync(join(tmpdir(), 'strata-bench-tls-')));
  const tlsEnv = { CERT: cert.certPath, KEY: cert.keyPath };
  console.log('HTTP/2 over TLS: h2load -c8 -m8 (mean and max latency), server on core 0');
  const h2Rows = !parts.has('h2') ? [] : await alternateH2(
    [
      { ...strata(1, true), name: 'strata (h2)', env: { ...tlsEnv, BENCH_TLS: '1' } },
      { name: 'fastify (h2)', cmd: [node, join(ROOT, 'bench/peers/fastify-h2.mjs')], env: tlsEnv },
    ],
    '/json',
    o,
  );
  const h2Table = h2Rows.length === 0 ? [] : summarize(h2Rows, 'strata (h2)').map((r) => {
    const { 'p50 ms': mean, 'p99 ms': max, ...rest } = r;
    return { ...rest, 'mean ms': mean, 'max ms': max };
  });
  if (h2Table.length > 0) console.table(h2Table);

  const file = writeResults('http-json', {
    h2: { command: h2loadCommand({ url: 'https://127.0.0.1:PORT/json', clients: 8, streams: 8, seconds: o.seconds }).join(' '), runs: h2Rows, table: h2Table },
    command: wrkCommand({ url: 'http://127.0.0.1:PORT/json', connections: o.connections, threads: 2, seconds: o.seconds }).join(' '),
    versions: { node: process.version, fastify: version('fastify'), express: version('express') },
    runs: rows,
    table,
    cluster: { runs: clusterRows, table: clusterTable },
  });
  console.log(`results: ${file}`);
}
