// Where the http-json path spends its CPU: Strata as shipped (bench/fixtures/strata-json.ts) and bare
// Fastify (bench/peers/fastify.mjs), each in its own process pinned to core 0, wrk on core 1. Printed:
// the server's CPU per request (utime+stime from /proc over the measured run ÷ requests, robust to
// other load) and, for Strata, the top self time by area and function from a CPU profile of that run.
//   node --import tsx bench/http-json-profile.ts [--kind strata,fastify] [--top 25] [--seconds 6] [--inclusive]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, pinned, ROOT, waitForPort } from './lib.js';
import { cpuMs, printProfile } from './records-profile-lib.js';

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'strata,fastify' },
    top: { type: 'string', default: '25' },
    seconds: { type: 'string', default: '6' },
    inclusive: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const SERVERS: Record<string, string[]> = {
  strata: ['--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs'), join(ROOT, 'bench/fixtures/strata-json.ts')],
  fastify: [join(ROOT, 'bench/peers/fastify.mjs')],
};

function wrk(url: string, seconds: number): { requests: number; rps: number } {
  const cmd = pinned(1, ['wrk', '-t2', '-c64', `-d${seconds}s`, url]);
  const out = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' }).stdout;
  return { requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0) };
}

const tmp = mkdtempSync(join(tmpdir(), 'strata-http-json-prof-'));
const summary: Record<string, unknown>[] = [];
try {
  for (const kind of values.kind!.split(',')) {
    const port = await freePort();
    const profFile = join(tmp, `${kind}.cpuprofile`);
    const cmd = pinned(0, [process.execPath, ...SERVERS[kind]]);
    const child = spawn(cmd[0], cmd.slice(1), { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PORT: String(port), BENCH_WORKERS: '1', STRATA_BENCH_PROFILE: profFile } });
    await waitForPort(port);
    const url = `http://127.0.0.1:${port}/json`;
    wrk(url, 2);
    if (kind === 'strata') child.kill('SIGUSR2');
    await new Promise((res) => setTimeout(res, 200));
    const before = cpuMs(child.pid!);
    const r = wrk(url, Number(values.seconds));
    const cpu = cpuMs(child.pid!) - before;
    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGTERM');
    await exited;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const usPerReq = (cpu * 1000) / Math.max(1, r.requests);
    console.log(`\n== ${kind}: ${r.rps.toFixed(0)} req/s, server CPU ${usPerReq.toFixed(1)} µs/request (load ${load})`);
    summary.push({ kind, rps: Math.round(r.rps), usPerRequest: Number(usPerReq.toFixed(1)), load });
    if (!existsSync(profFile)) continue;
    if (values.keep) cpSync(profFile, join(ROOT, 'bench/results', `http-json-profile-${kind}.cpuprofile`));
    printProfile(profFile, Number(values.top), values.inclusive);
  }
  console.table(summary);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
