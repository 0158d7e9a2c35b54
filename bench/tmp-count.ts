import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { engineFromConfig, type WafConfig } from '../src/waf/index.js';
const e = engineFromConfig(Value.Default(WafSchema, { mode: 'block', paranoia: 1, engine: 'crs', cacheSize: 10_000 }) as WafConfig);
const headers: Record<string, string> = { host: 'app.example.com', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  accept: 'application/json, text/plain, */*', 'accept-language': 'en-US,en;q=0.9', 'accept-encoding': 'gzip, deflate, br', referer: 'https://app.example.com/posts?tab=latest', cookie: 'session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en' };
const rawHeaders = Object.entries(headers).flat();
const WORDS = ["O'Brien", 'select the best', 'union square', 'rock & roll', '5\' 10"', 'tom and jerry', 'price > 10', 'a-b testing', 'caf%C3%A9', 'drop-down'];
const enc = (w: string) => w.replace(/ /g, '%20').replace(/'/g, '%27').replace(/&/g, '%26').replace(/>/g, '%3E').replace(/"/g, '%22');
const urlOf = (n: number) => `/api/collections/posts/records?page=${(n % 97) + 1}&perPage=20&sort=-created&q=${enc(WORDS[n % WORDS.length])}%20${n}&filter=(title~%27${n}%27)`;
const G = globalThis as any; G.C = new Map();
for (let n = 1; n < 3000; n++) { G.LOG = n >= 2000; e.inspectHead({ method: 'GET', url: urlOf(n), httpVersion: '1.1', headers, rawHeaders }, '/api/collections/:collection/records'); }
const by = new Map<string, number>(); let tot = 0;
for (const [k, v] of G.C) { const col = k.split(' ')[0]; by.set(col, (by.get(col) ?? 0) + v / 1000); tot += v / 1000; }
console.log('total op tests/head', tot.toFixed(1));
console.log([...by].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(1)} ${k}`).join('\n'));
const ops = new Map<string, number>(); for (const [k, v] of G.C) { const o = k.split(' ')[1]; ops.set(o, (ops.get(o) ?? 0) + v / 1000); }
console.log([...ops].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v.toFixed(1)} ${k}`).join('\n'));
