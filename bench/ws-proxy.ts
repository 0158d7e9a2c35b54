// Scenario ws-proxy: WebSocket echo through a proxy. N clients (default 64) each keep one
// message in flight (send, wait for the echo, send again) through Strata's gateway proxy
// route (as shipped: edge stack, WAF on the upgrade request, access log on), nginx (1 worker,
// `proxy_http_version 1.1` + Upgrade/Connection headers, as its docs recommend) and node
// http-proxy (`ws: true`), to a bare ws echo server (unpinned). Proxies on core 0; the clients
// are this process (Node, no wrk for WebSockets) on core 1; echoes/s and p99 round trip.
// `npm run bench -- ws-proxy [clients] [bytes] --seconds 10 --rounds 2`
import { createRequire } from 'node:module';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CAN_PIN, ROOT, ensureTool, median, progress, progressDone, startServer, writeResults, type BenchOptions, type ServerSpec } from './lib.js';
import { nginxSpec, nginxVersion } from './static.js';

const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const require = createRequire(import.meta.url);
const pkgVersion = (name: string) => (require(`${name}/package.json`) as { version: string }).version;

interface Run { echoes: number; perSecond: number; p50ms: number; p99ms: number; clientCpuPct: number }

async function drive(port: number, clients: number, payload: Buffer, seconds: number): Promise<Run> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < clients; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    sockets.push(ws);
  }
  const rtts: number[] = [];
  let echoes = 0;
  let running = true;
  let measuring = false;
  const done: Promise<void>[] = [];
  for (const ws of sockets) {
    done.push(
      new Promise<void>((resolve) => {
        let sent = performance.now();
        ws.on('message', () => {
          const t = performance.now();
          if (measuring) {
            echoes++;
            rtts.push(t - sent);
          }
          if (!running) return resolve();
          sent = t;
          ws.send(payload);
        });
        ws.send(payload);
      }),
    );
  }
  // one second of warm-up on the open connections, then the measured window
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  running = false;
  await Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, 2000))]);
  for (const ws of sockets) ws.terminate();
  const sorted = Float64Array.from(rtts).sort();
  const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);
  return { echoes, perSecond: Math.round(echoes / (wall / 1000)), p50ms: Math.round(at(0.5) * 100) / 100, p99ms: Math.round(at(0.99) * 100) / 100, clientCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 100) };
}

export async function run(o: BenchOptions): Promise<void> {
  ensureTool('nginx', 'nginx');
  const clients = Number(o.args[0] ?? o.connections);
  const bytes = Number(o.args[1] ?? 128);
  const payload = Buffer.alloc(bytes, 'x');
  const upstream = await startServer({ name: 'ws echo', cmd: [process.execPath, join(ROOT, 'bench/peers/ws-echo.mjs')], pin: false });
  try {
    const gateway = { pools: [{ name: 'echo', upstreams: [{ url: `http://127.0.0.1:${upstream.port}` }] }], routes: [{ prefix: '/echo', pool: 'echo', stripPrefix: false }] };
    const strata: ServerSpec = { name: 'strata', cmd: [process.execPath, '--import', TSX, join(ROOT, 'bench/fixtures/strata-gateway.ts')], env: { BENCH_GATEWAY: JSON.stringify(gateway) }, startTimeoutMs: 120_000 };
    const nginx = nginxSpec(
      'nginx (1 worker)',
      '1',
      `map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:@LISTEN@;
    location / {
      proxy_pass http://127.0.0.1:${upstream.port};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 600s;
    }
  }`,
      true,
    );
    const httpProxy: ServerSpec = { name: 'http-proxy', cmd: [process.execPath, join(ROOT, 'bench/peers/http-proxy.mjs')], env: { UPSTREAM: `http://127.0.0.1:${upstream.port}` } };
    const specs = [strata, nginx, httpProxy];
    const versions = { node: process.version, nginx: nginxVersion(), ws: pkgVersion('ws'), 'http-proxy': pkgVersion('http-proxy') };
    console.log(`ws-proxy: ${clients} clients, ${bytes}-byte messages, one in flight each, ${o.seconds}s, ${o.rounds} alternating rounds; proxies ${CAN_PIN ? 'on core 0, clients (this process) on core 1' : 'unpinned'}, echo upstream unpinned`);
    console.log(`versions: ${JSON.stringify(versions)}; access log on for Strata (to /dev/null) and nginx (buffered)`);
    const runs: Array<{ server: string; round: number } & Run> = [];
    for (let round = 1; round <= o.rounds; round++) {
      for (const spec of specs) {
        progress(`[${spec.name}] round ${round}`);
        const srv = await startServer({ ...spec, pin: spec.pin ?? true });
        try {
          runs.push({ server: spec.name, round, ...(await drive(srv.port, clients, payload, o.seconds)) });
        } finally {
          await srv.stop();
        }
      }
    }
    progressDone();
    const med = (name: string, f: (r: Run) => number) => Math.round(median(runs.filter((r) => r.server === name).map(f)) * 100) / 100;
    const base = med('strata', (r) => r.perSecond);
    const table = specs.map((s) => {
      const xs = runs.filter((r) => r.server === s.name).map((r) => r.perSecond);
      return { server: s.name, 'echoes/s (median)': med(s.name, (r) => r.perSecond), spread: `${Math.min(...xs)}-${Math.max(...xs)}`, 'p50 ms': med(s.name, (r) => r.p50ms), 'p99 ms': med(s.name, (r) => r.p99ms), 'strata/this': Math.round((base / med(s.name, (r) => r.perSecond)) * 100) / 100, 'client cpu %': med(s.name, (r) => r.clientCpuPct) };
    });
    console.table(table);
    const out = writeResults('ws-proxy', { clients, bytes, seconds: o.seconds, versions, runs, table });
    console.log(`results: ${out}`);
  } finally {
    await upstream.stop();
  }
}
