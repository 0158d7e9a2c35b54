// Heap allocated per records-list request head whose query values are new (the bench's varied
// heads, as bench/waf-engine-ab.ts sends them), by V8's sampling heap profiler with objects the
// GC collected kept in the count. Allocation does not depend on machine load, so source trees
// can be compared on a busy machine:
//   node --import tsx bench/waf-head-alloc.ts [/path/to/tree] [--requests 4000]
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const ri = args.indexOf('--requests');
const N = ri === -1 ? 4000 : Number(args[ri + 1]);
const tree = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--requests') ?? fileURLToPath(new URL('..', import.meta.url));

const headers: Record<string, string> = { host: 'app.example.com', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  accept: 'application/json, text/plain, */*', 'accept-language': 'en-US,en;q=0.9', 'accept-encoding': 'gzip, deflate, br', referer: 'https://app.example.com/posts?tab=latest', cookie: 'session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en' };
const rawHeaders = Object.entries(headers).flat();
const WORDS = ["O'Brien", 'select the best', 'union square', 'rock & roll', '5\' 10"', 'tom and jerry', 'price > 10', 'a-b testing', 'caf%C3%A9', 'drop-down'];
const enc = (w: string) => w.replace(/ /g, '%20').replace(/'/g, '%27').replace(/&/g, '%26').replace(/>/g, '%3E').replace(/"/g, '%22');
const urlOf = (n: number) => `/api/collections/posts/records?page=${(n % 97) + 1}&perPage=20&sort=-created&q=${enc(WORDS[n % WORDS.length]!)}%20${n}&filter=(title~%27${n}%27)`;

const { Value } = await import('@sinclair/typebox/value');
const { WafSchema } = await import(`${tree}/src/config/schema-waf.ts`);
const { engineFromConfig } = await import(`${tree}/src/waf/index.ts`);
const engine = engineFromConfig(Value.Default(WafSchema, { mode: 'block', paranoia: 1, cacheSize: 10_000 }));
let n = 1;
const run = (count: number) => { for (let i = 0; i < count; i++) engine.inspectHead({ method: 'GET', url: urlOf(n++), httpVersion: '1.1', headers, rawHeaders }, '/api/collections/:collection/records'); };
run(3000); // warm-up: JIT, memo tables, lazily built automata

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
run(N);
const { profile } = await session.post('HeapProfiler.stopSampling');
interface Node { selfSize: number; children: Node[] }
const total = (x: Node): number => x.selfSize + x.children.reduce((s, c) => s + total(c), 0);
console.log(`${tree}: ${(total(profile.head as Node) / N / 1024).toFixed(1)} KB allocated per new head (${N} heads, PL1)`);
session.disconnect();
