import { createWafEngine } from '../src/waf/waf-engine.ts';
import { DEFAULT_LIMITS } from '../test/waf-corpus.ts';
const headers: Record<string,string> = {host:'127.0.0.1:1234', 'user-agent':'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', accept:'application/json, text/plain, */*', 'accept-language':'en-US,en;q=0.9','accept-encoding':'gzip, deflate, br', referer:'https://app.example.com/posts?tab=latest', cookie:'session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en', authorization:'Bearer x'};
const e = createWafEngine({mode:"block", paranoia: 1, threshold:5, limits: DEFAULT_LIMITS, cacheSize: Number(process.env.CACHE ?? 0)});
const words = ["O%27Brien", "select%20the%20best", "union%20square", "rock%20%26%20roll", "tom%20and%20jerry", "price%20%3E%2010", "a-b%20testing", "caf%C3%A9", "drop-down"];
const N=100000; const urls = Array.from({length: 1000}, (_, n) => `/api/collections/posts/records?page=${n%97}&perPage=20&sort=-created&q=${words[n%words.length]}%20${n}&filter=(title~%27${n}%27)`);
const records = Array.from({ length: 20 }, (_, i) => ({ id: `rec_${i}`, collectionName: 'posts', created: '2026-11-20T10:00:00.000Z', updated: '2026-11-21T12:30:00.000Z', title: `Post number ${i + 1}: "quotes", O'Brien & friends`, status: 'published', author: `usr_${i % 5}`, tags: ['news', 'tech'], views: 1000 + i }));
for (let r = 0; r < 3; r++) {
let t=process.hrtime.bigint(); for (let i=0;i<N;i++) e.inspectHead({method:'GET', url: urls[i % 1000], httpVersion:'1.1', headers}, '/x'); const a = Number(process.hrtime.bigint()-t)/N/1000;
t=process.hrtime.bigint(); for (let i=0;i<N;i++) JSON.stringify({items:records}); const b = Number(process.hrtime.bigint()-t)/N/1000;
console.log('inspect', a.toFixed(2), 'stringify', b.toFixed(2), 'ratio', (a/b).toFixed(2));
}
