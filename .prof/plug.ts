import Fastify from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { wafPlugin, type WafConfig } from '../src/waf/index.js';
const headers = { host: '127.0.0.1:1234', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', accept: 'application/json, text/plain, */*', 'accept-language': 'en-US,en;q=0.9', referer: 'https://app.example.com/posts?tab=latest', cookie: 'session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en' };
const url = "/api/collections/posts/records?page=1&perPage=20&sort=-created,title&filter=(status%3D'published'%20%26%26%20author!%3D'')&expand=author";
async function make(mode: string) {
  const app = Fastify({ logger: false });
  if (mode !== 'none') await app.register(wafPlugin({ config: Value.Default(WafSchema, { mode }) as WafConfig }));
  app.get('/api/collections/:name/records', async () => ({ items: [1, 2, 3] }));
  await app.ready();
  return app;
}
const modes = ['none', 'off', 'detect', 'block'];
const apps = Object.fromEntries(await Promise.all(modes.map(async (m) => [m, await make(m)])));
for (let r = 0; r < 3; r++) for (const m of modes) {
  const app = apps[m]; const N = 5000;
  for (let i = 0; i < 500; i++) await app.inject({ method: 'GET', url, headers });
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await app.inject({ method: 'GET', url, headers });
  const c = process.cpuUsage(c0);
  console.log(r, m.padEnd(7), ((c.user + c.system) / N).toFixed(1), 'us cpu/req');
}
