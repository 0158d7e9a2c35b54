// Realtime fan-out: N WebSocket subscribers (default 1,000) on one collection, events at a fixed
// rate; delivered events/s and p99 delivery latency for Strata's realtime routes, bare ws and
// Socket.IO broadcasting the same payloads, alternated (A B C A B C). Servers on core 0, the
// clients (this process, Node-based: no wrk for WebSockets) on core 1.
// `npm run bench -- realtime [subscribers] [rate] --seconds 10 --rounds 2`
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import WebSocket from 'ws';
import { io as ioClient, type Socket } from 'socket.io-client';
import { CAN_PIN, ROOT, median, progress, progressDone, startServer, writeResults, type BenchOptions } from './lib.js';

const KINDS = ['strata', 'ws', 'socketio'] as const;
type Kind = (typeof KINDS)[number];
const pkgVersion = (name: string) => (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
const now = () => performance.timeOrigin + performance.now();

interface Run {
  delivered: number;
  expected: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  clientCpuPct: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function connectAll(kind: Kind, port: number, n: number, onEvent: (sentAt: number) => void): Promise<() => void> {
  const closers: Array<() => void> = [];
  const batch = 50;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () =>
        new Promise<void>((resolve, reject) => {
          if (kind === 'socketio') {
            const s: Socket = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
            s.on('event', (e: { record: { sentAt: number } }) => onEvent(e.record.sentAt));
            s.once('connect', () => resolve());
            s.once('connect_error', reject);
            closers.push(() => s.close());
            return;
          }
          const ws = new WebSocket(`ws://127.0.0.1:${port}${kind === 'strata' ? '/api/realtime' : '/'}`, { perMessageDeflate: false });
          ws.on('message', (d) => {
            const f = JSON.parse(String(d)) as { type: string; record?: { sentAt: number } };
            if (f.type === 'event') onEvent(f.record!.sentAt);
            else if (f.type === 'welcome') ws.send(JSON.stringify({ type: 'subscribe', id: 'p', collection: 'posts' }));
            else if (f.type === 'subscribed') resolve();
          });
          ws.once('open', () => kind === 'ws' && resolve());
          ws.once('error', reject);
          closers.push(() => ws.terminate());
        }),
      ),
    );
  }
  return () => closers.forEach((c) => c());
}

async function once(kind: Kind, n: number, rate: number, seconds: number): Promise<Run> {
  const srv = await startServer({ name: kind, cmd: [process.execPath, '--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs'), join(ROOT, 'bench/realtime-server.ts'), kind], env: { SUBSCRIBERS: String(n), RATE: String(rate), SECONDS: String(seconds) } });
  const latencies = new Float64Array(Math.ceil(n * rate * (seconds + 2)));
  let count = 0;
  let first = 0;
  let last = 0;
  let close: (() => void) | undefined;
  try {
    close = await connectAll(kind, srv.port, n, (sentAt) => {
      const t = now();
      if (count === 0) first = t;
      last = t;
      if (count < latencies.length) latencies[count] = t - sentAt;
      count++;
    });
    const cpu0 = process.cpuUsage();
    const t0 = now();
    // The server starts once everyone is subscribed; wait for its run plus a drain margin.
    const end = Date.now() + (seconds + 3) * 1000;
    // ...and until nothing more arrives for a second (a backlog still draining counts).
    let seen = -1;
    while (Date.now() < end || count !== seen) {
      seen = count;
      await new Promise((r) => setTimeout(r, 1000));
      if (Date.now() > end + 30_000) break;
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = now() - t0;
    const lat = latencies.subarray(0, Math.min(count, latencies.length)).sort();
    return {
      delivered: count,
      expected: n * rate * seconds,
      perSecond: count / Math.max(0.001, (last - first) / 1000),
      p50ms: percentile(lat, 0.5),
      p99ms: percentile(lat, 0.99),
      clientCpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    };
  } finally {
    close?.();
    await srv.stop();
  }
}

export async function run(o: BenchOptions): Promise<void> {
  const n = Number(o.args[0] ?? 1000);
  const rate = Number(o.args[1] ?? 100);
  if (CAN_PIN) spawnSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const runs: Record<Kind, Run[]> = { strata: [], ws: [], socketio: [] };
  for (let round = 0; round < o.rounds; round++) {
    for (const kind of KINDS) {
      progress(`round ${round + 1}/${o.rounds}: ${kind}, ${n} subscribers, ${rate} events/s for ${o.seconds}s`);
      runs[kind].push(await once(kind, n, rate, o.seconds));
    }
  }
  progressDone();
  const med = (k: Kind, f: (r: Run) => number) => median(runs[k].map(f));
  const table = KINDS.map((k) => ({
    server: k,
    'delivered/s (median)': Math.round(med(k, (r) => r.perSecond)),
    'delivered/expected': `${runs[k].reduce((a, r) => a + r.delivered, 0)}/${runs[k].reduce((a, r) => a + r.expected, 0)}`,
    'p50 ms': Number(med(k, (r) => r.p50ms).toFixed(2)),
    'p99 ms': Number(med(k, (r) => r.p99ms).toFixed(2)),
    'client cpu %': Math.round(med(k, (r) => r.clientCpuPct)),
  }));
  console.table(table);
  const ratios = {
    'strata/socketio delivered': Number((med('strata', (r) => r.perSecond) / med('socketio', (r) => r.perSecond)).toFixed(2)),
    'strata/ws delivered': Number((med('strata', (r) => r.perSecond) / med('ws', (r) => r.perSecond)).toFixed(2)),
    'strata/socketio p99': Number((med('strata', (r) => r.p99ms) / med('socketio', (r) => r.p99ms)).toFixed(2)),
  };
  console.log(ratios);
  const file = writeResults('realtime', {
    subscribers: n,
    rate,
    seconds: o.seconds,
    rounds: o.rounds,
    versions: { ws: pkgVersion('ws'), 'socket.io': pkgVersion('socket.io'), node: process.version },
    note: 'Servers pinned to core 0, clients (this Node process) to core 1; Strata with an open view rule (no per-event SQL); logs off everywhere.',
    runs,
    table,
    ratios,
  });
  console.log(`results: ${file}`);
}
