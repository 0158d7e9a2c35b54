// Scenario static: 1 KiB and 100 KiB files from a Strata static site (as shipped: edge
// stack and access log on) beside nginx (sendfile, open_file_cache, buffered access log)
// with one worker (pinned like Strata) and `worker_processes auto` (unpinned).
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, CAN_PIN, alternate, ensureTool, summarize, writeResults, wrkCommand, type BenchOptions, type ServerSpec } from './lib.js';

const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');

export function nginxVersion(): string {
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim().replace(/^nginx version: /, '') || 'unknown';
}

/**
 * nginx under a temporary prefix; `httpBody` goes inside `http {}` and may use `@LISTEN@`.
 * Workers run as an unprivileged user, so the prefix is made world-readable.
 */
export function nginxSpec(name: string, workers: string, httpBody: string, pin: boolean): ServerSpec {
  const prefix = mkdtempSync(join(tmpdir(), 'strata-bench-nginx-'));
  chmodSync(prefix, 0o755);
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d));
  const tpl = join(prefix, 'nginx.conf.tpl');
  writeFileSync(
    tpl,
    `worker_processes ${workers};
pid ${prefix}/nginx-@LISTEN@.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log ${prefix}/logs/access.log combined buffer=64k flush=1s;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  ${httpBody}
}
`,
  );
  return {
    name,
    // startServer replaces the word PORT in argv with the chosen port.
    cmd: ['sh', '-c', `sed "s/@LISTEN@/PORT/g" ${tpl} > ${prefix}/nginx-PORT.conf && exec nginx -p ${prefix} -c ${prefix}/nginx-PORT.conf -g 'daemon off;'`],
    pin,
  };
}

export async function run(o: BenchOptions): Promise<void> {
  ensureTool('wrk', 'wrk');
  ensureTool('nginx', 'nginx');
  const root = mkdtempSync(join(tmpdir(), 'strata-bench-static-'));
  chmodSync(root, 0o755);
  writeFileSync(join(root, '1k.bin'), randomBytes(1024));
  writeFileSync(join(root, '100k.bin'), randomBytes(100 * 1024));
  const gateway = { sites: [{ name: 'bench', root }], routes: [{ prefix: '/', site: 'bench' }] };
  const strata: ServerSpec = {
    name: 'strata',
    cmd: [process.execPath, '--import', TSX, join(ROOT, 'bench/fixtures/strata-gateway.ts')],
    env: { BENCH_GATEWAY: JSON.stringify(gateway) },
    // tsx compiles the server on start: slow on a loaded machine
    startTimeoutMs: 120_000,
  };
  const site = `open_file_cache max=1000 inactive=20s; open_file_cache_valid 1s; server { listen 127.0.0.1:@LISTEN@; root ${root}; location / { } }`;
  const bare: ServerSpec = { ...strata, name: 'gateway on bare fastify', cmd: [process.execPath, '--import', TSX, join(ROOT, 'bench/fixtures/gateway-bare.ts')] };
  const specs = [strata, bare, nginxSpec('nginx (1 worker)', '1', site, true), nginxSpec('nginx (auto)', 'auto', site, false)];
  const nginx = nginxVersion();
  console.log(`static: wrk -t2 -c${o.connections} -d${o.seconds}s, ${o.rounds} alternating rounds; Strata and nginx (1 worker) ${CAN_PIN ? 'on core 0' : 'unpinned'}, nginx auto unpinned, wrk on core 1`);
  console.log(`versions: node ${process.version}, ${nginx}; access logs on for Strata (to /dev/null) and nginx (buffered); 'gateway on bare fastify' has no edge stack and no log`);
  const parts: Record<string, { runs: unknown; table: Array<Record<string, string | number>> }> = {};
  for (const file of ['1k.bin', '100k.bin']) {
    const rows = await alternate(specs, `/${file}`, o);
    const table = summarize(rows, 'strata');
    console.log(file);
    console.table(table);
    parts[file] = { runs: rows, table };
  }
  const out = writeResults('static', {
    command: wrkCommand({ url: 'http://127.0.0.1:PORT/1k.bin', connections: o.connections, threads: 2, seconds: o.seconds }).join(' '),
    versions: { node: process.version, nginx },
    ...parts,
  });
  console.log(`results: ${out}`);
}
