// Server for bench/waf.ts: Fastify (logger off) with a records-list JSON route and a
// small static file, and the WAF in the mode/paranoia given on the command line.
//   node --import tsx bench/waf-server.ts <none|off|detect|block> <paranoia>
import Fastify from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { wafPlugin, type WafConfig } from '../src/waf/index.js';

const [mode = 'none', pl = '1'] = process.argv.slice(2);
const app = Fastify({ logger: false });
if (mode !== 'none') {
  const config = Value.Default(WafSchema, { mode, paranoia: Number(pl), ...(process.env.WAF_CACHE ? { cacheSize: Number(process.env.WAF_CACHE) } : {}) }) as WafConfig;
  await app.register(wafPlugin({ config }));
}

const records = Array.from({ length: 20 }, (_, i) => ({
  id: `rec_${(i + 1).toString().padStart(6, '0')}`,
  collectionName: 'posts',
  created: '2026-11-20T10:00:00.000Z',
  updated: '2026-11-21T12:30:00.000Z',
  title: `Post number ${i + 1}: "quotes", O'Brien & friends`,
  status: 'published',
  author: `usr_${i % 5}`,
  tags: ['news', 'tech'],
  views: 1000 + i,
}));
app.get('/api/collections/:name/records', async () => ({ page: 1, perPage: 20, totalItems: 20, totalPages: 1, items: records }));
const css = Buffer.from('body{margin:0;font-family:system-ui,sans-serif}'.padEnd(1024, ' '));
app.get('/assets/app.css', async (_req, reply) => {
  reply.header('content-type', 'text/css; charset=utf-8').header('etag', '"abc123"').header('cache-control', 'public, max-age=3600');
  return css;
});

await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
