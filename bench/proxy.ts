// Scenario proxy: a small JSON upstream behind Strata's proxy route (as shipped, access log
// on, response cache on the route), nginx (1 worker, keepalive upstream, proxy_cache,
// buffered access log) and node http-proxy. `miss`: the upstream says no-store, so every
// request runs the cache logic and goes upstream; `hit`: max-age=60, served from cache.
// Proxies on core 0, wrk on core 1, the upstream unpinned (2 cores leave it none of its own).
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ROOT, CAN_PIN, alternate, ensureTool, startServer, summarize, writeResults, wrkCommand, type BenchOptions, type ServerSpec } from './lib.js';
import { nginxSpec, nginxVersion } from './static.js';

const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const require = createRequire(import.meta.url);

export async function run(o: BenchOptions): Promise<void> {
  ensureTool('wrk', 'wrk');
  ensureTool('nginx', 'nginx');
  const upstream = await startServer({ name: 'upstream', cmd: [process.execPath, join(ROOT, 'bench/peers/json-upstream.mjs')], pin: false });
  const upUrl = `http://127.0.0.1:${upstream.port}`;
  try {
    const gateway = {
      pools: [{ name: 'app', upstreams: [{ url: upUrl }], connections: 64 }],
      routes: [{ prefix: '/', pool: 'app', cache: true }],
    };
    const strata: ServerSpec = {
      name: 'strata',
      cmd: [process.execPath, '--import', TSX, join(ROOT, 'bench/fixtures/strata-gateway.ts')],
      env: { BENCH_GATEWAY: JSON.stringify(gateway) },
    // tsx compiles the server on start: slow on a loaded machine
    startTimeoutMs: 120_000,
    };
    const nginx = nginxSpec(
      'nginx',
      '1',
      `proxy_cache_path __CACHE__ levels=1:2 keys_zone=bench:10m max_size=100m inactive=10m use_temp_path=off;
  upstream app { server 127.0.0.1:${upstream.port}; keepalive 64; }
  server {
    listen 127.0.0.1:@LISTEN@;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_cache bench;
      add_header X-Cache $upstream_cache_status;
    }
  }`.replace('__CACHE__', `/tmp/strata-bench-nginx-cache-${process.pid}-@LISTEN@`),
      true,
    );
    const bare: ServerSpec = { ...strata, name: 'gateway on bare fastify', cmd: [process.execPath, '--import', TSX, join(ROOT, 'bench/fixtures/gateway-bare.ts')] };
    const httpProxy: ServerSpec = { name: 'http-proxy', cmd: [process.execPath, join(ROOT, 'bench/peers/http-proxy.mjs')], env: { UPSTREAM: upUrl } };
    const versions = { node: process.version, nginx: nginxVersion(), 'http-proxy': (require('http-proxy/package.json') as { version: string }).version };
    console.log(`proxy: wrk -t2 -c${o.connections} -d${o.seconds}s, ${o.rounds} alternating rounds; proxies ${CAN_PIN ? 'on core 0, wrk on core 1' : 'unpinned'}, upstream unpinned`);
    console.log(`versions: ${JSON.stringify(versions)}; access logs on for Strata (to /dev/null) and nginx (buffered), none in http-proxy or the bare-Fastify gateway`);
    const missRows = await alternate([strata, bare, nginx, httpProxy], '/miss', o);
    const miss = summarize(missRows, 'strata');
    console.log('cache miss (upstream no-store)');
    console.table(miss);
    const hitRows = await alternate([strata, bare, nginx], '/hit', o);
    const hit = summarize(hitRows, 'strata');
    console.log('cache hit (max-age=60)');
    console.table(hit);
    const out = writeResults('proxy', {
      command: wrkCommand({ url: 'http://127.0.0.1:PORT/miss', connections: o.connections, threads: 2, seconds: o.seconds }).join(' '),
      versions,
      miss: { runs: missRows, table: miss },
      hit: { runs: hitRows, table: hit },
    });
    console.log(`results: ${out}`);
  } finally {
    await upstream.stop();
  }
}
