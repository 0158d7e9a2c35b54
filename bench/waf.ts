// WAF overhead: Strata as shipped (records API on SQLite, a gateway static site) with the
// WAF off, and in detect and block mode at paranoia 1 and 2, on the records list endpoint
// (one repeated query, and a query that differs on every request) and a static file; then
// the same on a bare Fastify stub whose handlers cost almost nothing (the WAF's worst case).
// wrk pinned to core 1, server to core 0, configs alternated over rounds (A B C.. then reversed).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchOptions { seconds?: number; warmup?: number; rounds?: number; connections?: number }

const HERE = dirname(fileURLToPath(import.meta.url));
const CONFIGS = [
  { name: 'no WAF', args: ['none', '1'] },
  { name: 'detect PL1', args: ['detect', '1'] },
  { name: 'block PL1', args: ['block', '1'] },
  { name: 'detect PL2', args: ['detect', '2'] },
  { name: 'block PL2', args: ['block', '2'] },
];
const KINDS = [
  { kind: 'strata', label: 'Strata', configs: CONFIGS },
  { kind: 'stub', label: 'stub', configs: CONFIGS.filter((c) => c.name !== 'detect PL2') },
];
const ROUTES: Array<{ name: string; path: string; script?: string }> = [
  { name: 'records list (JSON)', path: "/api/collections/posts/records?page=1&perPage=20&sort=-created,title&filter=(status%3D'published'%20%26%26%20author!%3D'')" },
  // every request different (search terms, page, filter): the per-value memo misses on the query
  { name: 'records, varied query', path: '/api/collections/posts/records', script: 'varied' },
  { name: 'static file (1 KiB)', path: '/assets/app.css' },
];

const VARIED_LUA = `
local words = {"O'Brien", "select the best", "union square", "rock & roll", "5' 10\\"", "tom and jerry", "price > 10", "a-b testing", "caf%C3%A9", "drop-down"}
local n = 0
request = function()
  n = n + 1
  local w = words[(n % #words) + 1]
  local path = "/api/collections/posts/records?page=" .. (n % 97 + 1) .. "&perPage=20&sort=-created&q=" .. w:gsub(" ", "%%20"):gsub("'", "%%27"):gsub("&", "%%26"):gsub(">", "%%3E"):gsub('"', "%%22") .. "%20" .. n .. "&filter=(title~%27" .. n .. "%27)"
  return wrk.format("GET", path)
end
`;
const HEADERS = [
  'Host: app.example.com',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Accept: application/json, text/plain, */*',
  'Accept-Language: en-US,en;q=0.9',
  'Accept-Encoding: gzip, deflate, br',
  'Referer: https://app.example.com/posts?tab=latest',
  'Cookie: session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en',
];

function startServer(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', join(HERE, 'waf-server.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening (\d+)/.exec(buf);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

/** User + system CPU time of a process in microseconds (/proc/<pid>/stat, clock ticks). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}
const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; } })();

function wrk(port: number, path: string, seconds: number, connections: number, script?: string): { rps: number; requests: number; non2xx: number; cmd: string } {
  const args = ['-c', '1', 'wrk', '-t2', `-c${connections}`, `-d${seconds}s`, ...HEADERS.flatMap((h) => ['-H', h]), ...(script ? ['-s', script] : []), `http://127.0.0.1:${port}${path}`];
  const out = execFileSync('taskset', args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, requests, non2xx, cmd: `taskset ${args.join(' ')}` };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

export async function run(opts: BenchOptions = {}): Promise<void> {
  const duration = opts.seconds ?? 5, warmup = opts.warmup ?? 2, rounds = opts.rounds ?? 2, connections = opts.connections ?? 64;
  const wrkVersion = (() => { try { return execFileSync('wrk', ['-v'], { encoding: 'utf8' }).split('\n')[0]; } catch (e) { return String((e as { stdout?: string }).stdout ?? '').split('\n')[0]; } })();
  const runs: Array<{ server: string; round: number; config: string; route: string; rps: number; cpuUsPerRequest: number; non2xx: number }> = [];
  let command = '';
  const luaFile = join(mkdtempSync(join(tmpdir(), 'strata-bench-')), 'varied.lua');
  writeFileSync(luaFile, VARIED_LUA);
  for (const k of KINDS) {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? k.configs : [...k.configs].reverse();
      for (const cfg of order) {
        const { child, port } = await startServer([...cfg.args, k.kind]);
        try {
          // warm every route first: V8 compiles the WAF's code on background threads whose CPU
          // time counts for the process, so a short warm-up would bias against the WAF
          for (const route of ROUTES) wrk(port, route.path, warmup, connections, route.script ? luaFile : undefined);
          for (const route of ROUTES) {
            const script = route.script ? luaFile : undefined;
            const cpu0 = cpuMicros(child.pid as number);
            const r = wrk(port, route.path, duration, connections, script);
            const cpu = (cpuMicros(child.pid as number) - cpu0) / Math.max(1, r.requests);
            command = r.cmd.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT');
            if (cfg.name === 'no WAF' && r.non2xx > 0) throw new Error(`${k.label} ${route.name}: ${r.non2xx} non-2xx responses with the WAF off: the bench itself is broken`);
            runs.push({ server: k.label, round, config: cfg.name, route: route.name, rps: r.rps, cpuUsPerRequest: Number(cpu.toFixed(2)), non2xx: r.non2xx });
            process.stdout.write(`${k.label.padEnd(7)} round ${round + 1} ${cfg.name.padEnd(11)} ${route.name.padEnd(22)} ${r.rps.toFixed(0).padStart(7)} req/s ${cpu.toFixed(1).padStart(6)} µs CPU/req${r.non2xx ? `  (${r.non2xx} non-2xx!)` : ''}\n`);
          }
        } finally {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
        }
      }
    }
  }
  const table: Array<Record<string, string | number>> = [];
  for (const k of KINDS) {
    for (const route of ROUTES) {
      // a run that completed almost nothing (the machine stalled) says nothing about the WAF
      const sel = (cfg: string) => runs.filter((r) => r.server === k.label && r.route === route.name && r.config === cfg && r.rps * duration >= 100);
      const base = median(sel('no WAF').map((r) => r.rps));
      const baseCpu = median(sel('no WAF').map((r) => r.cpuUsPerRequest));
      const baseMin = Math.min(...sel('no WAF').map((r) => r.cpuUsPerRequest));
      for (const cfg of k.configs) {
        const xs = sel(cfg.name).map((r) => r.rps);
        const cs = sel(cfg.name).map((r) => r.cpuUsPerRequest);
        const med = median(xs);
        const cpu = median(cs);
        const cpuMin = Math.min(...cs);
        table.push({
          server: k.label, route: route.name, config: cfg.name, 'median req/s': Math.round(med), spread: `${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}`,
          'req/s ratio': Number((med / base).toFixed(3)), 'CPU µs/req': Number(cpu.toFixed(1)),
          'CPU cost %': Number((100 * (cpu / baseCpu - 1)).toFixed(1)),
          // contention only ever adds CPU time, so the best run is the least disturbed estimate
          'CPU cost % (best runs)': Number((100 * (cpuMin / baseMin - 1)).toFixed(1)),
        });
      }
    }
  }
  console.table(table);
  const date = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const file = join(HERE, 'results', `waf-${date}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({
    scenario: 'waf', date: new Date().toISOString(), machine: { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version, wrk: wrkVersion },
    method: 'server on core 0 (taskset -c 0), wrk on core 1. Strata: the whole server (records API on SQLite with 200 posts, gateway static site), logs and metrics off, waf.mode off for "no WAF" (no hooks). stub: bare Fastify, canned JSON and a buffer. Every route warmed up before any is measured; configs alternated, reversed every other round. CPU µs/req = server process user+sys time (/proc/<pid>/stat) during the measured run / requests completed.',
    command, duration, warmup, rounds, connections, runs, table,
  }, null, 2));
  console.log(`results: ${file}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run({ seconds: Number(process.env.BENCH_DURATION ?? 5), rounds: Number(process.env.BENCH_ROUNDS ?? 2) });
}
