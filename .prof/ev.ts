import Fastify from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { wafPlugin, EventRing, type WafConfig } from '../src/waf/index.js';
for (const pl of [1, 2]) {
const events = new EventRing(10);
const app = Fastify({ logger: false });
await app.register(wafPlugin({ config: Value.Default(WafSchema, { mode: 'detect', paranoia: pl }) as WafConfig, events }));
app.get('/api/collections/:name/records', async () => ({ items: [] }));
app.get('/assets/app.css', async () => 'x');
await app.listen({ port: 0 });
const port = (app.server.address() as { port: number }).port;
const headers = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', Accept: 'application/json, text/plain, */*', 'Accept-Language': 'en-US,en;q=0.9', 'Accept-Encoding': 'gzip, deflate, br', Referer: 'https://app.example.com/posts?tab=latest', Cookie: 'session=s%3A8f3b2c1d9e7a6b5c4d3e2f1a0b9c8d7e.QWERTYuiop; theme=dark; lang=en', Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl' };
for (const p of ["/api/collections/posts/records?page=1&perPage=20&sort=-created,title&filter=(status%3D'published'%20%26%26%20author!%3D'')&expand=author", '/assets/app.css', "/api/collections/posts/records?page=5&perPage=20&sort=-created&q=rock%20%26%20roll%2017&filter=(title~%2717%27)"]) {
  await fetch(`http://127.0.0.1:${port}${p}`, { headers });
}
console.log('PL', pl, JSON.stringify(events.list().map((e) => e.detections.map((d) => `${d.rule}:${d.name}:${d.excerpt}`))));
await app.close();
}
