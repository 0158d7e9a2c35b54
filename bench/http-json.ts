// Scenario http-json: a small JSON response from a Strata route with the
// default edge stack on, beside bare Fastify, bare node:http and Express 5;
// then Strata with 2 workers beside 1 (both unpinned).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, alternate, ensureTool, summarize, writeResults, wrkCommand, CAN_PIN, type BenchOptions, type ServerSpec } from './lib.js';

const require = createRequire(import.meta.url);
const version = (p: string) => (require(`${p}/package.json`) as { version: string }).version;
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');

export async function run(o: BenchOptions): Promise<void> {
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
    { name: 'fastify', cmd: [node, join(ROOT, 'bench/peers/fastify.mjs')], version: version('fastify') },
    { name: 'node:http', cmd: [node, join(ROOT, 'bench/peers/node-http.mjs')], version: process.version },
    { name: 'express', cmd: [node, join(ROOT, 'bench/peers/express.mjs')], version: version('express') },
  ];
  console.log(`http-json: wrk -t2 -c${o.connections} -d${o.seconds}s, ${o.rounds} alternating rounds, server ${CAN_PIN ? 'on core 0, wrk on core 1' : 'unpinned'}`);
  console.log(`versions: node ${process.version}, fastify ${version('fastify')}, express ${version('express')}; Strata's access log on (to /dev/null), peers log nothing`);
  const rows = await alternate(peers, '/json', o);
  const table = summarize(rows, 'strata').map((r) => ({ ...r, 'strata/this': r['strata/this'] }));
  console.table(table);

  console.log('cluster: Strata --workers 2 vs --workers 1, servers unpinned, wrk on core 1');
  const clusterRows = await alternate([strata(1, false), strata(2, false)], '/json', o);
  const clusterTable = summarize(clusterRows, 'strata');
  console.table(clusterTable);

  const file = writeResults('http-json', {
    command: wrkCommand({ url: 'http://127.0.0.1:PORT/json', connections: o.connections, threads: 2, seconds: o.seconds }).join(' '),
    versions: { node: process.version, fastify: version('fastify'), express: version('express') },
    runs: rows,
    table,
    cluster: { runs: clusterRows, table: clusterTable },
  });
  console.log(`results: ${file}`);
}
