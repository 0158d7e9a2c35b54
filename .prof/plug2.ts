import Fastify from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { wafPlugin, type WafConfig } from '../src/waf/index.js';
const headers = { host: 'app.example.com', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', accept: 'application/json, text/plain, */*', 'accept-language': 'en-US,en;q=0.9', 'accept-encoding': 'gzip, deflate, br', referer: 'https://app.example.com/posts?tab=latest', cookie: 'session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en', authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl' };
const url = "/api/collections/posts/records?page=1&perPage=20&sort=-created,title&filter=(status%3D'published'%20%26%26%20author!%3D'')&expand=author";
const records = Array.from({ length: 20 }, (_, i) => ({ id: `rec_${i}`, collectionName: 'posts', created: '2026-11-20T10:00:00.000Z', updated: '2026-11-21T12:30:00.000Z', title: `Post number ${i + 1}: "quotes", O'Brien & friends`, status: 'published', author: `usr_${i % 5}`, tags: ['news', 'tech'], views: 1000 + i }));
async function make(mode: string) {
  const app = Fastify({ logger: false });
  if (mode !== 'none') await app.register(wafPlugin({ config: Value.Default(WafSchema, { mode, cacheSize: Number(process.env.CACHE ?? 10000) }) as WafConfig }));
  app.get('/api/collections/:name/records', async () => ({ page: 1, items: records }));
  await app.ready();
  return app;
}
const modes = ['none', 'detect', 'block'];
const apps: Record<string, Awaited<ReturnType<typeof make>>> = {};
for (const m of modes) apps[m] = await make(m);
const best: Record<string, number> = {};
for (let r = 0; r < 12; r++) for (const m of modes) {
  const app = apps[m]; const N = 2000;
  for (let i = 0; i < 200; i++) await app.inject({ method: 'GET', url, headers });
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await app.inject({ method: 'GET', url, headers });
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / N;
  best[m] = Math.min(best[m] ?? Infinity, us);
}
for (const m of modes) console.log(m.padEnd(7), best[m].toFixed(1), 'us cpu/req (best of 12)', m === 'none' ? '' : `cost ${(100 * (best[m] / best.none - 1)).toFixed(1)}%`);
