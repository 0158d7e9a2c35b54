// WAF share of server CPU from V8 CPU profiles: robust to other load on the machine,
// unlike req/s. For each configuration and route, the server runs under wrk with
// --cpu-prof; the share is the fraction of busy samples whose stack is inside src/waf/.
//   node --import tsx bench/waf-profile.ts [--config "block PL1"] [--route varied] [--functions] [--kind strata|stub]
// (--functions: self time per function within the WAF's share, to compare before/after)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const HEADERS = ['Host: app.example.com', 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Accept: application/json, text/plain, */*', 'Accept-Language: en-US,en;q=0.9', 'Referer: https://app.example.com/posts?tab=latest',
  'Cookie: session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en'];
const VARIED = `local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/collections/posts/records?page=" .. (n % 97 + 1) .. "&perPage=20&sort=-created&q=rock%20%26%20roll%20" .. n .. "&filter=(title~%27" .. n .. "%27)")
end`;
const ROUTES = [
  { name: 'records list (JSON)', path: "/api/collections/posts/records?page=1&perPage=20&sort=-created,title&filter=(status%3D'published'%20%26%26%20author!%3D'')" },
  { name: 'records, varied query', path: '/', lua: true },
  { name: 'static file (1 KiB)', path: '/assets/app.css' },
];

interface Node { id: number; callFrame: { url: string; functionName: string }; children?: number[] }

/** Self time (µs) per function among samples with a src/waf/ frame on the stack. */
const wafSelf = new Map<string, number>();

function wafShare(file: string): number {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const inWaf = new Map<number, boolean>();
  const isWaf = (id: number): boolean => {
    const known = inWaf.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id) as Node;
    const v = n.callFrame.url.includes('/src/waf/') || (parent.has(id) && isWaf(parent.get(id) as number));
    inWaf.set(id, v);
    return v;
  };
  let busy = 0, waf = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id) as Node;
    const name = n.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') return;
    const dt = p.timeDeltas[i] ?? 0;
    busy += dt;
    if (isWaf(id)) {
      waf += dt;
      const key = `${name || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/').replace(/^file:\/\/.*\//, '')}`;
      wafSelf.set(key, (wafSelf.get(key) ?? 0) + dt);
    }
  });
  return waf / busy;
}

async function profileOnce(args: string[], route: (typeof ROUTES)[number], lua: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-waf-prof-'));
  const child = spawn('taskset', ['-c', '0', process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', join(HERE, 'waf-server.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => { buf += d.toString(); const m = /listening (\d+)/.exec(buf); if (m) resolve(Number(m[1])); });
  });
  const wrk = (sec: number) => execFileSync('taskset', ['-c', '1', 'wrk', '-t2', '-c64', `-d${sec}s`, ...HEADERS.flatMap((h) => ['-H', h]), ...(route.lua ? ['-s', lua] : []), `http://127.0.0.1:${port}${route.path}`], { encoding: 'utf8' });
  wrk(4); // warm-up is inside the profile too, but the busy share is dominated by the 6 s run
  wrk(6);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  return file ? wafShare(join(dir, file)) : NaN;
}

export async function run(): Promise<void> {
  const lua = join(mkdtempSync(join(tmpdir(), 'strata-bench-')), 'varied.lua');
  writeFileSync(lua, VARIED);
  const rows: Array<Record<string, string | number>> = [];
  // --config "block PL1" / --route "varied" narrow the run (each cell is a 10 s wrk run)
  const pick = (flag: string) => { const i = process.argv.indexOf(flag); return i === -1 ? undefined : process.argv[i + 1]; };
  const onlyConfig = pick('--config'), onlyRoute = pick('--route'), kind = pick('--kind') ?? 'strata';
  for (const [name, args] of [['detect PL1', ['detect', '1']], ['block PL1', ['block', '1']], ['block PL2', ['block', '2']]] as const) {
    if (onlyConfig !== undefined && name !== onlyConfig) continue;
    for (const route of ROUTES) {
      if (onlyRoute !== undefined && !route.name.includes(onlyRoute)) continue;
      wafSelf.clear();
      const share = await profileOnce([...args, kind], route, lua);
      if (process.argv.includes('--functions')) {
        const total = [...wafSelf.values()].reduce((a, b) => a + b, 0);
        console.table([...wafSelf].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([fn, t]) => ({ function: fn, '% of WAF time': Number(((100 * t) / total).toFixed(1)) })));
      }
      rows.push({ server: kind, config: name, route: route.name, 'WAF share of busy CPU %': Number((100 * share).toFixed(1)), 'cost vs no WAF %': Number((100 * share / (1 - share)).toFixed(1)) });
      console.log(rows[rows.length - 1]);
    }
  }
  console.table(rows);
  const file = join(HERE, 'results', `waf-profile-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ scenario: 'waf-profile', date: new Date().toISOString(), node: process.version, method: 'V8 --cpu-prof of the server under wrk -t2 -c64 (4 s warm-up + 6 s); share = busy samples with a src/waf/ frame on the stack / all busy samples; cost = share / (1 - share)', rows }, null, 2));
  console.log(`results: ${file}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
