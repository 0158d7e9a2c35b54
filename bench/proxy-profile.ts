// Server CPU per proxied request, fast lane off vs on: Strata as shipped (bench/fixtures/strata-gateway.ts,
// WAF and access log on) in front of bench/peers/json-upstream.mjs, pinned to core 0, wrk on core 1, the
// upstream unpinned. CPU per request is utime+stime of the Strata process from /proc over the measured run
// ÷ requests (robust to other load, unlike req/s). Rows: `miss` (route with the cache on, upstream
// no-store: every request goes upstream), `hit` (max-age=60, served from the cache), `plain` (a proxy
// route without the cache). Lane off and on alternate, `--rounds` times.
//   node --import tsx bench/proxy-profile.ts [--seconds 5] [--rounds 2]
import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, pinned, ROOT, waitForPort } from './lib.js';
import { cpuMs } from './records-profile-lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' } } });

function wrk(url: string, seconds: number): { requests: number; rps: number } {
  const cmd = pinned(1, ['wrk', '-t2', '-c64', `-d${seconds}s`, url]);
  const out = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' }).stdout;
  return { requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0) };
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const tmp = mkdtempSync(join(tmpdir(), 'strata-proxy-prof-'));
const upPort = await freePort();
const upstream = spawn(process.execPath, [join(ROOT, 'bench/peers/json-upstream.mjs')], { stdio: 'ignore', env: { ...process.env, PORT: String(upPort) } });
const rows: Record<string, unknown>[] = [];
try {
  await waitForPort(upPort);
  const gateway = {
    pools: [{ name: 'app', upstreams: [{ url: `http://127.0.0.1:${upPort}` }], connections: 64 }],
    routes: [
      { prefix: '/plain', pool: 'app' },
      { prefix: '/', pool: 'app', cache: true },
    ],
  };
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const lane of ['off', 'on']) {
      const port = await freePort();
      const cmd = pinned(0, [process.execPath, '--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs'), join(ROOT, 'bench/fixtures/strata-gateway.ts')]);
      const child = spawn(cmd[0], cmd.slice(1), { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PORT: String(port), BENCH_GATEWAY: JSON.stringify(gateway), BENCH_FAST_LANE: lane, STRATA_LOG_LEVEL: 'warn' } });
      try {
        await waitForPort(port, 120_000);
        for (const kind of ['miss', 'hit', 'plain']) {
          const url = `http://127.0.0.1:${port}/${kind === 'plain' ? 'plain/x' : kind}`;
          wrk(url, 2);
          const before = cpuMs(child.pid!);
          const l0 = load();
          const r = wrk(url, Number(values.seconds));
          const cpu = cpuMs(child.pid!) - before;
          const us = (cpu * 1000) / Math.max(1, r.requests);
          const row = { round, lane, kind, rps: Math.round(r.rps), usPerRequest: Number(us.toFixed(1)), load: `${l0} → ${load()}` };
          console.log(JSON.stringify(row));
          rows.push(row);
        }
      } finally {
        const exited = new Promise((res) => child.once('exit', res));
        child.kill('SIGTERM');
        await exited;
      }
    }
  }
} finally {
  upstream.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
for (const kind of ['miss', 'hit', 'plain']) {
  const med = (lane: string) => {
    const v = rows.filter((r) => r.kind === kind && r.lane === lane).map((r) => r.usPerRequest as number).sort((a, b) => a - b);
    return v[Math.floor((v.length - 1) / 2)];
  };
  console.log(`${kind}: lane off ${med('off')} µs/request, on ${med('on')} µs/request (lower median of ${values.rounds})`);
}
