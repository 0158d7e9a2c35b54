// Shared bench machinery (see ../shared BENCHMARKS.md): start one server at a
// time pinned to core 0, drive it with wrk/h2load pinned to core 1, alternate
// Strata and peers, and report medians, spreads and ratios.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

export const ROOT = resolve(import.meta.dirname, '..');
export const TTY = process.stdout.isTTY === true;

export function progress(msg: string): void {
  if (TTY) process.stdout.write(`\r\x1b[2K${msg}`);
  else console.log(msg);
}
export function progressDone(): void {
  if (TTY) process.stdout.write('\r\x1b[2K');
}

/** Installs a Debian package when its binary is missing (the bench needs root, as on these machines). */
export function ensureTool(bin: string, pkg: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  console.log(`installing ${pkg} (for ${bin})...`);
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg} >/dev/null`], { stdio: 'inherit' });
  return spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
}

export const CAN_PIN = cpus().length >= 2 && spawnSync('sh', ['-c', 'command -v taskset']).status === 0;

/** Prefixes a command with taskset when pinning is possible. */
export function pinned(core: number | undefined, cmd: string[]): string[] {
  return core === undefined || !CAN_PIN ? cmd : ['taskset', '-c', String(core), ...cmd];
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function waitForPort(port: number, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port} after ${ms} ms`);
}

export interface ServerSpec {
  name: string;
  /** argv; the PORT placeholder is replaced by the chosen port. */
  cmd: string[];
  env?: Record<string, string>;
  /** Pin to core 0 (false for multi-process modes, which run unpinned). */
  pin?: boolean;
  version?: string;
  /** How long to wait for the port (default 30 s). */
  startTimeoutMs?: number;
}

export interface Running {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startServer(spec: ServerSpec): Promise<Running> {
  const port = await freePort();
  const argv = pinned(spec.pin === false ? undefined : 0, spec.cmd.map((a) => a.replaceAll('PORT', String(port))));
  const proc = spawn(argv[0], argv.slice(1), {
    cwd: mkdtempSync(join(tmpdir(), 'strata-bench-')),
    env: { ...process.env, ...spec.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, spec.startTimeoutMs);
  return {
    port,
    proc,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface LoadResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
}

function toMs(v: string): number {
  const m = v.match(/^([\d.]+)(us|ms|s)$/);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export interface WrkOptions {
  url: string;
  connections: number;
  threads: number;
  seconds: number;
  headers?: Record<string, string>;
}

export function wrkCommand(o: WrkOptions): string[] {
  const h = Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  return pinned(1, ['wrk', '--latency', `-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, ...h, o.url]);
}

export function wrk(o: WrkOptions): LoadResult {
  const cmd = wrkCommand(o);
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN);
  const p50 = toMs(out.match(/\n\s+50%\s+(\S+)/)?.[1] ?? '');
  const p99 = toMs(out.match(/\n\s+99%\s+(\S+)/)?.[1] ?? '');
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps, p50ms: p50, p99ms: p99, non2xx, errors };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface Row {
  name: string;
  runs: LoadResult[];
}

export function summarize(rows: Row[], baseline: string): Array<Record<string, string | number>> {
  const base = rows.find((r) => r.name === baseline);
  const baseRps = base ? median(base.runs.map((r) => r.rps)) : NaN;
  return rows.map((r) => {
    const rps = r.runs.map((x) => x.rps);
    const med = median(rps);
    return {
      server: r.name,
      'req/s (median)': Math.round(med),
      spread: `${Math.round(Math.min(...rps))}-${Math.round(Math.max(...rps))}`,
      'p50 ms': Number(median(r.runs.map((x) => x.p50ms)).toFixed(2)),
      'p99 ms': Number(median(r.runs.map((x) => x.p99ms)).toFixed(2)),
      [`${baseline}/this`]: Number((baseRps / med).toFixed(2)),
      errors: r.runs.reduce((a, x) => a + x.errors + x.non2xx, 0),
    };
  });
}

export function writeResults(scenario: string, data: Record<string, unknown>): string {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${scenario}-${new Date().toISOString().slice(0, 10)}.json`);
  const machine = { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version, pinned: CAN_PIN };
  writeFileSync(file, JSON.stringify({ scenario, date: new Date().toISOString(), machine, ...data }, null, 2) + '\n');
  return file;
}

export interface BenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
  args: string[];
}

/**
 * Runs every server in `specs` for `rounds` alternating rounds (A B C A B C),
 * each with a warm-up, and returns the rows.
 */
export async function alternate(specs: ServerSpec[], path: string, o: BenchOptions, headers?: Record<string, string>): Promise<Row[]> {
  const rows: Row[] = specs.map((s) => ({ name: s.name, runs: [] }));
  const total = specs.length * o.rounds;
  let step = 0;
  for (let round = 0; round < o.rounds; round++) {
    for (const [i, spec] of specs.entries()) {
      step++;
      progress(`[${step}/${total}] ${spec.name}, round ${round + 1}: warm-up`);
      const srv = await startServer(spec);
      try {
        const url = `http://127.0.0.1:${srv.port}${path}`;
        wrk({ url, connections: o.connections, threads: 2, seconds: Math.min(3, o.seconds), headers });
        progress(`[${step}/${total}] ${spec.name}, round ${round + 1}: ${o.seconds}s measured`);
        rows[i].runs.push(wrk({ url, connections: o.connections, threads: 2, seconds: o.seconds, headers }));
      } finally {
        await srv.stop();
      }
    }
  }
  progressDone();
  return rows;
}

export interface H2loadOptions {
  url: string;
  clients: number;
  streams: number;
  seconds: number;
}

export function h2loadCommand(o: H2loadOptions): string[] {
  return pinned(1, ['h2load', '-c', String(o.clients), '-m', String(o.streams), '-D', String(o.seconds), '-t', '1', o.url]);
}

/** h2load reports mean latency only: p50ms carries the mean, p99ms the max. */
export function h2load(o: H2loadOptions): LoadResult {
  const cmd = h2loadCommand(o);
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`h2load failed: ${r.stderr}${r.stdout}`);
  const out = r.stdout;
  const rps = Number(out.match(/finished in [\d.]+\w+, ([\d.]+) req\/s/)?.[1] ?? NaN);
  const lat = out.match(/time for request:\s+(\S+)\s+(\S+)\s+(\S+)/);
  const status = out.match(/status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/);
  const failed = Number(out.match(/requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/)?.[1] ?? 0);
  return {
    rps,
    p50ms: lat ? toMs(lat[3]) : NaN,
    p99ms: lat ? toMs(lat[2]) : NaN,
    non2xx: status ? Number(status[2]) + Number(status[3]) + Number(status[4]) : 0,
    errors: failed,
  };
}

/** Like alternate(), with h2load over TLS; `scheme` servers must listen with TLS on PORT. */
export async function alternateH2(specs: ServerSpec[], path: string, o: BenchOptions): Promise<Row[]> {
  const rows: Row[] = specs.map((s) => ({ name: s.name, runs: [] }));
  let step = 0;
  for (let round = 0; round < o.rounds; round++) {
    for (const [i, spec] of specs.entries()) {
      step++;
      progress(`[${step}/${specs.length * o.rounds}] ${spec.name}, round ${round + 1}`);
      const srv = await startServer(spec);
      try {
        const url = `https://127.0.0.1:${srv.port}${path}`;
        h2load({ url, clients: 8, streams: 8, seconds: Math.min(3, o.seconds) });
        rows[i].runs.push(h2load({ url, clients: 8, streams: 8, seconds: o.seconds }));
      } finally {
        await srv.stop();
      }
    }
  }
  progressDone();
  return rows;
}
