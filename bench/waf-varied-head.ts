// In-process cost of the CRS engine on the bench's "records, varied query" request heads
// (bench/waf.ts: same browser headers on every request, a query whose values are new each
// time), so engine changes can be compared without the server around them.
//   node --import tsx bench/waf-varied-head.ts [--requests 20000] [--paranoia 1] [--engine crs|legacy] [--profile]
import { Session } from 'node:inspector/promises';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { engineFromConfig, type WafConfig } from '../src/waf/index.js';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i === -1 ? dflt : process.argv[i + 1]; };
const N = Number(arg('requests', '20000'));
const PL = Number(arg('paranoia', '1'));
const ENGINE = arg('engine', 'crs');
const make = () => engineFromConfig(Value.Default(WafSchema, { mode: 'block', paranoia: PL, engine: ENGINE, cacheSize: 10_000 }) as WafConfig);

const WORDS = ["O'Brien", 'select the best', 'union square', 'rock & roll', '5\' 10"', 'tom and jerry', 'price > 10', 'a-b testing', 'caf%C3%A9', 'drop-down'];
const enc = (w: string) => w.replace(/ /g, '%20').replace(/'/g, '%27').replace(/&/g, '%26').replace(/>/g, '%3E').replace(/"/g, '%22');
const headers: Record<string, string> = {
  host: 'app.example.com', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  accept: 'application/json, text/plain, */*', 'accept-language': 'en-US,en;q=0.9', 'accept-encoding': 'gzip, deflate, br',
  referer: 'https://app.example.com/posts?tab=latest', cookie: 'session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en',
};
const rawHeaders = Object.entries(headers).flat();
const urlOf = (n: number) => `/api/collections/posts/records?page=${(n % 97) + 1}&perPage=20&sort=-created&q=${enc(WORDS[n % WORDS.length])}%20${n}&filter=(title~%27${n}%27)`;
const route = '/api/collections/:collection/records';
// batches of new heads, timed apart: on a shared machine the fastest batches show the engine's
// own cost (the median what it costs under the load of the moment)
const BATCH = 50;
const run = (engine: ReturnType<typeof make>, from: number, count: number) => {
  let found = 0;
  for (let n = from; n < from + count; n++) found += engine.inspectHead({ method: 'GET', url: urlOf(n), httpVersion: '1.1', headers, rawHeaders }, route).length;
  return found;
};
run(make(), 10_000_000, 2000); // warm-up (JIT), on other values
const engine = make();
const session = new Session();
if (process.argv.includes('--profile')) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 200 }); await session.post('Profiler.start'); }
const cpu0 = process.cpuUsage();
let found = 0;
const batches: number[] = [];
for (let b = 0; b * BATCH < N; b++) {
  const t0 = process.hrtime.bigint();
  found += run(engine, 1 + b * BATCH, BATCH);
  batches.push(Number(process.hrtime.bigint() - t0) / 1e3 / BATCH);
}
const cpu = process.cpuUsage(cpu0);
batches.sort((a, b) => a - b);
const q = (f: number) => batches[Math.min(batches.length - 1, Math.floor(f * batches.length))].toFixed(1);
console.log(`${N} varied records-list heads, ${ENGINE} PL${PL}: µs/head per batch of ${BATCH}: min ${q(0)}, p10 ${q(0.1)}, median ${q(0.5)}; CPU ${((cpu.user + cpu.system) / N).toFixed(1)} µs/head; findings: ${found}`);
if (process.argv.includes('--profile')) {
  const { profile: p } = await session.post('Profiler.stop');
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples?.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    if (!f || f.functionName === '(idle)' || f.functionName === '(program)' || f.functionName === 'dispatch') return;
    const dt = p.timeDeltas?.[i] ?? 0;
    total += dt;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  console.table([...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([fn, t]) => ({ function: fn, '%': Number(((100 * t) / total).toFixed(1)) })));
}
