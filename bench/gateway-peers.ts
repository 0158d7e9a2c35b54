// Shared by bench/static.ts and bench/proxy.ts: wrk runs, nginx under a temporary prefix,
// child processes pinned with taskset, medians and the results file (see BENCHMARKS.md).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { connect, createServer } from 'node:net';

export interface WrkResult {
  rps: number;
  latencyMs: number;
  non2xx: number;
  errors: number;
}

export function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    return `${err.stdout ?? ''}${err.stderr ?? ''}`.trim();
  }
}

function parseLatency(s: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** One wrk run pinned to core 1. */
export function wrk(url: string, o: { duration: number; connections: number; threads: number; headers?: string[] }): { result: WrkResult; command: string } {
  const args = ['-c', '1', 'wrk', `-t${o.threads}`, `-c${o.connections}`, `-d${o.duration}s`, ...(o.headers ?? []).flatMap((h) => ['-H', h]), url];
  const out = sh('taskset', args);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const lat = /Latency\s+(\S+)/.exec(out)?.[1] ?? '';
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { result: { rps, latencyMs: parseLatency(lat), non2xx, errors }, command: `taskset ${args.join(' ')}` };
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      }).on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Peer {
  name: string;
  url: string;
  stop(): Promise<void>;
}

export function spawnPinned(core: string | undefined, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const full = core === undefined ? [cmd, ...args] : ['taskset', '-c', core, cmd, ...args];
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  return child;
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** nginx under `prefix` with the given http-block body; `workers` is a count or `auto`. */
export async function startNginx(prefix: string, port: number, workers: string, httpBody: string, pin: string | undefined): Promise<ChildProcess> {
  for (const d of ['logs', 'tmp', 'conf']) mkdirSync(join(prefix, d), { recursive: true });
  // nginx workers run as an unprivileged user: they must be able to walk the temp dirs.
  for (let p = prefix; p.startsWith(tmpdir()) && p !== tmpdir(); p = dirname(p)) chmodSync(p, 0o755);
  const conf = `worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
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
  ${httpBody.replaceAll('$PORT', String(port))}
}
`;
  const file = join(prefix, 'conf', `nginx-${port}.conf`);
  writeFileSync(file, conf);
  const child = spawnPinned(pin, 'nginx', ['-p', prefix, '-c', file, '-g', 'daemon off;']);
  await waitForPort(port);
  return child;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function machine(): Record<string, string | number> {
  return {
    nproc: availableParallelism(),
    node: process.version,
    nginx: sh('nginx', ['-v']).replace(/^nginx version: /, ''),
    wrk: sh('wrk', ['--version']).split('\n')[0],
  };
}

export function writeResults(scenario: string, data: unknown): string {
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}
