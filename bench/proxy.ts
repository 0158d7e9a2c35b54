// Reverse proxy: Strata's proxy route (bare Fastify + gateway plugin, logger off) against
// nginx (one worker, keepalive upstream, proxy_cache) and node http-proxy, to one small
// JSON upstream. Scenarios: cache miss (upstream says no-store: every request goes through
// the cache logic and upstream) and cache hit (max-age=60). wrk pinned to core 1; servers
// on core 0; the upstream unpinned (on 2 cores it cannot have one to itself), the same for every peer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, machine, median, sh, spawnPinned, startNginx, stopChild, waitForPort, wrk, writeResults, type WrkResult } from './gateway-peers.js';

export interface ProxyBenchOptions {
  duration?: number;
  warmup?: number;
  connections?: number;
  rounds?: number;
}

const JSON_BODY = JSON.stringify({ id: 1, name: 'strata', tags: ['a', 'b', 'c'], ok: true });

async function serveUpstream(port: number): Promise<void> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const hit = req.url?.startsWith('/hit');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(JSON_BODY), 'cache-control': hit ? 'public, max-age=60' : 'no-store' });
    res.end(JSON_BODY);
  });
  // Longer than every proxy's upstream keep-alive, so no proxy reuses a connection the upstream is closing.
  server.keepAliveTimeout = 120_000;
  server.listen(port, '127.0.0.1');
}

async function serveStrata(port: number, upstream: string): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { createProxy, createResponseCache, gatewayRoutes, UpstreamPool } = await import('../src/gateway/index.js');
  const pool = new UpstreamPool({ name: 'bench', upstreams: [{ url: upstream }], client: { connections: 64 } });
  const proxy = createProxy({ pool });
  const cache = createResponseCache();
  const app = Fastify({ logger: false });
  app.register(gatewayRoutes({ routes: [{ match: {}, target: { type: 'proxy', proxy, cache } }] }));
  await app.listen({ port, host: '127.0.0.1' });
}

async function serveHttpProxy(port: number, upstream: string): Promise<void> {
  const { createServer, Agent } = await import('node:http');
  const { default: httpProxy } = await import('http-proxy');
  const proxy = httpProxy.createProxyServer({ target: upstream, agent: new Agent({ keepAlive: true, maxSockets: 64 }) });
  proxy.on('error', (_e, _req, res) => {
    if ('writeHead' in res) {
      res.writeHead(502);
      res.end();
    }
  });
  createServer((req, res) => proxy.web(req, res)).listen(port, '127.0.0.1');
}

export async function run(opts: ProxyBenchOptions = {}): Promise<void> {
  const duration = opts.duration ?? 5;
  const warmup = opts.warmup ?? 2;
  const connections = opts.connections ?? 64;
  const rounds = opts.rounds ?? 2;
  const prefix = mkdtempSync(join(tmpdir(), 'strata-bench-proxy-'));
  const [upPort, sPort, nPort, hPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const upstream = `http://127.0.0.1:${upPort}`;
  const self = fileURLToPath(import.meta.url);
  const node = (role: string, port: number) =>
    spawnPinned(role === 'upstream' ? undefined : '0', process.execPath, ['--import', 'tsx', self], { BENCH_ROLE: role, BENCH_PORT: String(port), BENCH_UPSTREAM: upstream, NODE_ENV: 'production' });
  const children = [node('upstream', upPort), node('strata', sPort), node('http-proxy', hPort)];
  const nginx = await startNginx(
    prefix,
    nPort,
    '1',
    `proxy_cache_path ${prefix}/cache levels=1:2 keys_zone=bench:10m max_size=100m inactive=10m use_temp_path=off;
  upstream app { server 127.0.0.1:${upPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nPort};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_cache bench;
      add_header X-Cache $upstream_cache_status;
    }
  }`,
    '0',
  );
  await Promise.all([waitForPort(upPort), waitForPort(sPort), waitForPort(hPort)]);
  const scenarios = [
    { name: 'miss', path: '/miss', peers: [['strata', sPort], ['nginx', nPort], ['http-proxy', hPort]] as const },
    { name: 'hit', path: '/hit', peers: [['strata', sPort], ['nginx', nPort]] as const },
  ];
  const runs: { scenario: string; peer: string; round: number; result: WrkResult; command: string }[] = [];
  try {
    for (const sc of scenarios) {
      for (let round = 0; round < rounds; round++) {
        for (const [peer, port] of sc.peers) {
          const url = `http://127.0.0.1:${port}${sc.path}`;
          wrk(url, { duration: warmup, connections, threads: 2 });
          const r = wrk(url, { duration, connections, threads: 2 });
          runs.push({ scenario: sc.name, peer, round, ...r });
          process.stdout.write(`${sc.name} ${peer} round ${round + 1}: ${Math.round(r.result.rps)} req/s${r.result.non2xx || r.result.errors ? ` (non-2xx ${r.result.non2xx}, errors ${r.result.errors})` : ''}\n`);
        }
      }
    }
  } finally {
    if (runs.some((r) => r.result.non2xx > 0)) console.log(sh('tail', ['-n', '5', join(prefix, 'logs', 'error.log')]));
    await Promise.all([...children.map(stopChild), stopChild(nginx)]);
    rmSync(prefix, { recursive: true, force: true });
  }
  const table: Record<string, string | number>[] = [];
  const summary: Record<string, Record<string, { median: number; spread: string }>> = {};
  for (const sc of scenarios) {
    summary[sc.name] = {};
    for (const [peer] of sc.peers) {
      const xs = runs.filter((r) => r.scenario === sc.name && r.peer === peer).map((r) => r.result.rps);
      summary[sc.name][peer] = { median: median(xs), spread: `${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}` };
    }
    const s = summary[sc.name].strata.median;
    for (const [peer] of sc.peers) {
      const m = summary[sc.name][peer];
      table.push({ scenario: sc.name, peer, 'req/s (median)': Math.round(m.median), spread: m.spread, 'strata ratio': peer === 'strata' ? '1.00' : (s / m.median).toFixed(2) });
    }
  }
  console.table(table);
  const out = writeResults('proxy', {
    scenario: 'proxy',
    date: new Date().toISOString(),
    machine: { ...machine(), httpProxy: sh(process.execPath, ['-p', "require('http-proxy/package.json').version"]) },
    settings: { duration, warmup, connections, threads: 2, rounds, pinning: 'proxies core 0, wrk core 1, upstream unpinned', logs: 'off on all' },
    runs,
    summary,
    ratios: Object.fromEntries(scenarios.map((sc) => [sc.name, Object.fromEntries(sc.peers.filter(([p]) => p !== 'strata').map(([p]) => [`strata/${p}`, summary[sc.name].strata.median / summary[sc.name][p].median]))])),
  });
  console.log(`results: ${out}`);
}

const role = process.env.BENCH_ROLE;
const port = Number(process.env.BENCH_PORT);
if (role === 'upstream') void serveUpstream(port);
else if (role === 'strata') {
  process.on('SIGINT', () => process.exit(0));
  void serveStrata(port, process.env.BENCH_UPSTREAM ?? '');
}
else if (role === 'http-proxy') void serveHttpProxy(port, process.env.BENCH_UPSTREAM ?? '');
