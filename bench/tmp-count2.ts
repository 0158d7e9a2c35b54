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
const G = globalThis as any; G.R = new Map();
for (let n = 1; n < 6000; n++) { G.LOG = n >= 5000; e.inspectHead({ method: 'GET', url: urlOf(n), httpVersion: '1.1', headers, rawHeaders }, '/api/collections/:collection/records'); }
let tc = 0, tt = 0; for (const [, [c, t]] of G.R) { tc += c; tt += t; }
console.log('regex runs/head', tc / 1000, 'µs/head', tt / 1e6);
console.log([...G.R].sort((a, b) => b[1][1] - a[1][1]).slice(0, 30).map(([k, [c, t]]) => `${(c / 1000).toFixed(2)} runs ${(t / 1e6).toFixed(2)}µs ${k}`).join('\n'));
