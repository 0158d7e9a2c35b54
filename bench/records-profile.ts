// Where the records path spends its CPU, robust to other load on the machine: each scenario runs
// in its own server process (pinned to core 0, wrk on core 1) with a V8 CPU profile of the measured run; printed are
// the server's CPU time per request (utime+stime from /proc over the measured run ÷ requests) and
// the top self time by function. Ratios of CPU per request, Strata ÷ peer, hold when req/s drift.
//   node --import tsx bench/records-profile.ts [--kind strata|bare] [--scenario list|get|create] [--pg] [--top 25] [--seconds 6]
// (STRATA_BENCH_OVERRIDES='{"data.events.enabled":false}' runs Strata with config overrides, to tell a feature's share)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, pinned, ROOT, waitForPort } from './lib.js';
import { cpuMs, printProfile } from './records-profile-lib.js';

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'strata,bare' },
    scenario: { type: 'string', default: 'list,get,create' },
    pg: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    seconds: { type: 'string', default: '6' },
    seed: { type: 'string', default: join(tmpdir(), 'strata-records-profile-seed') },
    keep: { type: 'boolean', default: false },
    inclusive: { type: 'boolean', default: false },
  },
});

const SCENARIOS = {
  list: { strata: '/api/collections/posts/records?perPage=50&sort=-created&filter=' + encodeURIComponent('views > 500 && status = "published"'), bare: '/posts?minViews=500' },
  get: { strata: '/api/collections/posts/records/', bare: '/posts/' },
  create: { strata: '/api/collections/posts/records', bare: '/posts' },
} as const;

function wrk(url: string, seconds: number, script?: string): { requests: number; rps: number } {
  const cmd = pinned(1, ['wrk', '-t2', '-c64', `-d${seconds}s`, ...(script ? ['-s', script] : []), url]);
  const out = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' }).stdout;
  return { requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0) };
}

async function main(): Promise<void> {
  const pgUrl = values.pg ? (process.env.STRATA_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test') : '';
  const seedDir = values.seed!;
  const prefix = values.pg ? 'bprof_' : '';
  const idsFile = join(seedDir, `ids${values.pg ? '-pg' : ''}.json`);
  if (!existsSync(idsFile)) {
    // seeds like bench/records.ts (100k rows), once; kept for later runs (--seed DIR)
    const { seedRecords } = await import('./records.js');
    mkdirSync(seedDir, { recursive: true });
    writeFileSync(idsFile, JSON.stringify(await seedRecords(seedDir, pgUrl, prefix)));
  }
  const ids = JSON.parse(readFileSync(idsFile, 'utf8')) as string[];
  const tmp = mkdtempSync(join(tmpdir(), 'strata-records-prof-'));
  const top = Number(values.top);
  const seconds = Number(values.seconds);
  const summary: Record<string, unknown>[] = [];
  try {
    for (const scenario of values.scenario!.split(',') as (keyof typeof SCENARIOS)[]) {
      for (const kind of values.kind!.split(',') as ('strata' | 'bare')[]) {
        const dir = join(tmp, `${kind}-${scenario}`);
        if (pgUrl) mkdirSync(dir, { recursive: true });
        else cpSync(seedDir, dir, { recursive: true });
        const port = await freePort();
        const profFile = join(dir, 'server.cpuprofile');
        const cmd = pinned(0, [process.execPath, '--import', 'tsx', join(ROOT, 'bench/records-server.ts'), kind, String(port), dir, pgUrl, prefix]);
        const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, STRATA_BENCH_PROFILE: profFile } });
        await waitForPort(port);
        const path = SCENARIOS[scenario][kind];
        let script: string | undefined;
        if (scenario === 'get') {
          script = join(dir, 'get.lua');
          writeFileSync(script, `ids = {${ids.map((i) => `"${i}"`).join(',')}}\nrequest = function() return wrk.format("GET", "${path}" .. ids[math.random(#ids)]) end\n`);
        } else if (scenario === 'create') {
          script = join(dir, 'create.lua');
          writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = '{"title":"bench","views":7}'\n`);
        }
        const url = `http://127.0.0.1:${port}${path}`;
        wrk(url, 2, script);
        // taskset runs node in place (exec), so the child's pid is the server's
        child.kill('SIGUSR2');
        await new Promise((res) => setTimeout(res, 200));
        const before = cpuMs(child.pid!);
        const r = wrk(url, seconds, script);
        const cpu = cpuMs(child.pid!) - before;
        const exited = new Promise((res) => child.once('exit', res));
        child.kill('SIGTERM');
        await exited;
        const file = existsSync(profFile) ? profFile : undefined;
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
        const usPerReq = (cpu * 1000) / Math.max(1, r.requests);
        console.log(`\n== ${kind} ${scenario}: ${r.rps.toFixed(0)} req/s, server CPU ${usPerReq.toFixed(1)} µs/request (load ${load})`);
        summary.push({ kind, scenario, rps: Math.round(r.rps), usPerRequest: Number(usPerReq.toFixed(1)), load });
        if (!file) continue;
        if (values.keep) cpSync(file, join(ROOT, 'bench/results', `records-profile-${kind}-${scenario}.cpuprofile`));
        printProfile(file, top, values.inclusive);
      }
    }
    console.table(summary);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
