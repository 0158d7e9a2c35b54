// Server for bench/waf.ts and bench/waf-profile.ts, with the WAF in the mode/paranoia given:
//   node --import tsx bench/waf-server.ts <none|off|detect|block> <paranoia> [strata|stub]
// strata (default): the whole server as shipped (edge, auth, records API on SQLite, gateway
//   static site), logs and metrics off; `none` sets waf.mode off (the plugin then adds no hooks).
//   Seeds 200 posts through the API, then serves the records list and /assets/app.css.
// stub: bare Fastify with a canned records-list JSON route and a static buffer: the WAF's
//   cost against the cheapest possible handler (its worst case).
//   For experiments, stub only: WAF_DETECTORS=sqli,xss (comma list; empty = none) and WAF_CACHE=<size>.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pino from 'pino';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from '../src/config/schema-waf.js';
import { wafPlugin, type WafConfig } from '../src/waf/index.js';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';

const [mode = 'none', pl = '1', kind = 'strata'] = process.argv.slice(2);
const CSS = 'body{margin:0;font-family:system-ui,sans-serif}'.padEnd(1024, ' ');
const say = (port: number) => process.stdout.write(`listening ${port}\n`);

async function strata(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-waf-'));
  mkdirSync(join(dir, 'public', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'public', 'assets', 'app.css'), CSS);
  const { config } = loadConfig({
    cwd: dir,
    env: {},
    overrides: {
      dataDir: join(dir, 'data'),
      'server.http.port': 0,
      'server.https.enabled': false,
      'log.level': 'silent',
      'log.access': false,
      'metrics.enabled': false,
      'waf.mode': mode === 'none' ? 'off' : mode,
      'waf.paranoia': Number(pl),
      'gateway.sites': [{ name: 'web', root: join(dir, 'public') }],
      'gateway.routes': [{ prefix: '/assets', site: 'web' }],
      collections: [{
        name: 'posts',
        fields: [{ name: 'title', type: 'text' }, { name: 'status', type: 'select', values: ['draft', 'published'] }, { name: 'author', type: 'text' }, { name: 'views', type: 'integer' }],
        indexes: [{ fields: ['status', 'created'] }],
        rules: { list: '', view: '', create: '', update: '', delete: '' },
      }],
    },
  });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  const port = server.edge.listeners[0]?.address?.port ?? 0;
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/api/collections/posts/records`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: `Post number ${i + 1}: "quotes", O'Brien & friends`, status: i % 3 ? 'published' : 'draft', author: `usr_${i % 5}`, views: 1000 + i }),
    });
    if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
  }
  say(port);
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

async function stub(): Promise<void> {
  const app = Fastify({ logger: false });
  if (mode !== 'none') {
    const config = Value.Default(WafSchema, { mode, paranoia: Number(pl), ...(process.env.WAF_DETECTORS !== undefined ? { detectors: process.env.WAF_DETECTORS.split(',').filter(Boolean) } : {}), ...(process.env.WAF_CACHE ? { cacheSize: Number(process.env.WAF_CACHE) } : {}) }) as WafConfig;
    await app.register(wafPlugin({ config }));
  }
  const records = Array.from({ length: 20 }, (_, i) => ({
    id: `rec_${(i + 1).toString().padStart(6, '0')}`, collectionName: 'posts', created: '2026-11-20T10:00:00.000Z', updated: '2026-11-21T12:30:00.000Z',
    title: `Post number ${i + 1}: "quotes", O'Brien & friends`, status: 'published', author: `usr_${i % 5}`, tags: ['news', 'tech'], views: 1000 + i,
  }));
  app.get('/api/collections/:name/records', async () => ({ page: 1, perPage: 20, totalItems: 20, totalPages: 1, items: records }));
  const css = Buffer.from(CSS);
  app.get('/assets/app.css', async (_req, reply) => {
    reply.header('content-type', 'text/css; charset=utf-8').header('etag', '"abc123"').header('cache-control', 'public, max-age=3600');
    return css;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  say(typeof addr === 'object' && addr ? addr.port : 0);
  process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
}

await (kind === 'stub' ? stub() : strata());
