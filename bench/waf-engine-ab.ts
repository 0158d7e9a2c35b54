// A/B of the CRS engine across source trees in one process: each tree's engine inspects the
// bench's varied records-list heads (new values every time) in 200 interleaved trials of 20
// heads, so machine load falls on all trees alike; prints the fastest trial, p10 and median.
//   node --import tsx bench/waf-engine-ab.ts /path/to/treeA /path/to/treeB   (a tree: a checkout or `git archive` of src/ vendor/)
// --memoized: the query values repeat (100 URLs, every value's outcomes memoized) while every head is new to the
// head memo (a route pattern of its own): what the rule walk costs without new values.
const MEMOIZED = process.argv.includes('--memoized');
const trees = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const headers: Record<string, string> = { host: 'app.example.com', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  accept: 'application/json, text/plain, */*', 'accept-language': 'en-US,en;q=0.9', 'accept-encoding': 'gzip, deflate, br', referer: 'https://app.example.com/posts?tab=latest', cookie: 'session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en' };
const rawHeaders = Object.entries(headers).flat();
const WORDS = ["O'Brien", 'select the best', 'union square', 'rock & roll', '5\' 10"', 'tom and jerry', 'price > 10', 'a-b testing', 'caf%C3%A9', 'drop-down'];
const enc = (w: string) => w.replace(/ /g, '%20').replace(/'/g, '%27').replace(/&/g, '%26').replace(/>/g, '%3E').replace(/"/g, '%22');
const urlOf = (n: number) => `/api/collections/posts/records?page=${(n % 97) + 1}&perPage=20&sort=-created&q=${enc(WORDS[n % WORDS.length])}%20${n}&filter=(title~%27${n}%27)`;
const engines: any[] = [];
for (const t of trees) {
  const { Value } = await import('@sinclair/typebox/value');
  const { WafSchema } = await import(`${t}/src/config/schema-waf.ts`);
  const { engineFromConfig } = await import(`${t}/src/waf/index.ts`);
  engines.push(engineFromConfig(Value.Default(WafSchema, { mode: 'block', paranoia: 1, cacheSize: 10_000 })));
}
let n = 1;
const trial = (e: any, count: number, repeat: boolean) => { const t0 = process.hrtime.bigint(); for (let i = 0; i < count; i++) { const k = n++; e.inspectHead({ method: 'GET', url: urlOf(repeat ? 1 + (i % 20) : MEMOIZED ? 1 + (k % 100) : k), httpVersion: '1.1', headers, rawHeaders }, MEMOIZED ? `/api/collections/:collection/records#${k}` : '/api/collections/:collection/records'); } return Number(process.hrtime.bigint() - t0) / 1e3 / count; };
for (const e of engines) trial(e, 3000, false);
const res = engines.map(() => [] as number[]);
for (let t = 0; t < 200; t++) engines.forEach((e, i) => res[i].push(trial(e, 20, false)));
res.forEach((r, i) => { r.sort((a, b) => a - b); console.log(trees[i], MEMOIZED ? 'new heads, memoized values µs: min' : 'new heads µs: min', r[0].toFixed(1), 'p10', r[20].toFixed(1), 'p50', r[100].toFixed(1)); });
