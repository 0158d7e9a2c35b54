// In-process profile of the WAF engine on typical API requests whose values never repeat
// (varied ids, pages, search text, session cookies, JSON bodies), so the value cache
// cannot help. Prints V8 CPU profile self-time per function (robust to machine load,
// unlike the req/s it also prints).
//   node --import tsx bench/waf-inspect-profile.ts [--requests 20000] [--paranoia 1] [--cache 10000] [--no-profile]
import { Session } from 'node:inspector/promises';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { engineFromConfig, type WafConfig } from '../src/waf/index.js';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i === -1 ? dflt : process.argv[i + 1]; };
const N = Number(arg('requests', '20000'));
const PL = Number(arg('paranoia', '1'));
const CACHE = Number(arg('cache', '10000'));
let engine = engineFromConfig(Value.Default(WafSchema, { mode: 'block', paranoia: PL, cacheSize: CACHE }) as WafConfig);

const WORDS = ['rock', 'roll', 'summer', 'release', 'notes', 'guide', 'install', 'O\'Brien', 'café', 'select', 'best', 'of', '2026', 'update', 'fix', 'docs'];
let seed = 42;
// the high bits of the LCG: its low bits cycle with short periods (values would repeat)
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return Math.floor((seed / 2 ** 31) * n); };
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[rnd(16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const words = (k: number) => Array.from({ length: k }, () => WORDS[rnd(WORDS.length)]).join(' ');

interface Req { method: string; url: string; headers: Record<string, string>; body?: Buffer }
function typicalRequest(i: number): Req {
  const headers: Record<string, string> = {
    host: 'app.example.com', 'user-agent': `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.${i % 5000}.0 Safari/537.36`,
    accept: 'application/json, text/plain, */*', 'accept-language': 'en-US,en;q=0.9', 'accept-encoding': 'gzip, deflate, br',
    referer: `https://app.example.com/posts/${uuid()}?tab=latest`, cookie: `session=s%3A${hex(32)}.${hex(20)}; theme=dark; lang=en; _ga=GA1.2.${rnd(1e9)}.${1700000000 + i}`,
    'x-request-id': uuid(), authorization: `Bearer ${hex(40)}`,
  };
  switch (i % 4) {
    case 0: return { method: 'GET', url: `/api/collections/posts/records?page=${i % 97}&perPage=20&sort=-created,title&filter=${encodeURIComponent(`(status='published' && author='${uuid()}')`)}&expand=author`, headers };
    case 1: return { method: 'GET', url: `/api/collections/posts/records?q=${encodeURIComponent(words(3))}&page=${i % 13}&fields=id,title,created`, headers };
    case 2: return { method: 'GET', url: `/api/collections/posts/records/${uuid()}`, headers };
    default: {
      const body = Buffer.from(JSON.stringify({ title: words(4), content: `${words(30)}.\n\n${words(20)}, see https://example.com/a/${hex(6)}.`, status: 'draft', author: uuid(), tags: [WORDS[rnd(16)], WORDS[rnd(16)]], views: rnd(10000), rating: rnd(50) / 10, published: i % 2 === 0, created: new Date(1.7e12 + i * 1000).toISOString() }));
      return { method: 'POST', url: '/api/collections/posts/records', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(body.length) }, body };
    }
  }
}

const reqs = Array.from({ length: N }, (_, i) => typicalRequest(i));
const run = () => {
  let detections = 0;
  for (const r of reqs) {
    detections += engine.inspectHead({ method: r.method, url: r.url, httpVersion: '1.1', headers: r.headers }, '/api/collections/:collection/records').length;
    if (r.body) detections += engine.inspectBody(r.body, r.headers['content-type'], { method: r.method, path: r.url, routeUrl: '/api/collections/:collection/records' }).length;
  }
  return detections;
};

run(); // warm-up (JIT); the measured pass repeats the same requests, so the value cache is emptied first
engine = engineFromConfig(Value.Default(WafSchema, { mode: 'block', paranoia: PL, cacheSize: CACHE }) as WafConfig);
const profile = !process.argv.includes('--no-profile');
const session = new Session();
if (profile) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 100 }); await session.post('Profiler.start'); }
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const found = run();
const cpu = process.cpuUsage(cpu0);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(`${N} non-repeating requests at PL${PL}: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU, ${((cpuMs * 1000) / N).toFixed(1)} µs CPU/request (machine load makes this indicative only); detections: ${found}`);
if (profile) {
  const { profile: p } = await session.post('Profiler.stop');
  const self = new Map<string, number>();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  let total = 0;
  p.samples?.forEach((id, i) => {
    const n = byId.get(id);
    if (!n) return;
    const dt = p.timeDeltas?.[i] ?? 0;
    const f = n.callFrame;
    // (dispatch: the inspector's own Profiler.stop call)
    if (f.functionName === '(idle)' || f.functionName === '(program)' || f.functionName === 'dispatch') return;
    total += dt;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([fn, t]) => ({ function: fn, 'self ms': Number((t / 1000).toFixed(1)), '%': Number(((100 * t) / total).toFixed(1)) }));
  console.table(rows);
  console.log(`total sampled ${(total / 1000).toFixed(0)} ms`);
  // native frames (regexp, builtins) charged to the JS function that called them
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const callers = new Map<string, number>();
  p.samples?.forEach((id, i) => {
    const n = byId.get(id);
    if (!n || n.callFrame.url !== '' || n.callFrame.functionName.startsWith('(')) return;
    let up = parent.get(id);
    while (up !== undefined && byId.get(up)?.callFrame.url === '') up = parent.get(up);
    const key = `${n.callFrame.functionName} <- ${up === undefined ? '?' : byId.get(up)?.callFrame.functionName}`;
    callers.set(key, (callers.get(key) ?? 0) + (p.timeDeltas?.[i] ?? 0));
  });
  console.table([...callers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, t]) => ({ 'native frame <- caller': k, 'self ms': Number((t / 1000).toFixed(1)) })));
}
