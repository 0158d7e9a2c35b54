// A server for bench/functions.ts, one per process: `strata` (the whole server, the route in
// bench/fixtures/functions/lookup.ts), `fastify` (bare Fastify + better-sqlite3, the same TypeBox
// schemas) or `express` (Express 5, hand validation). Usage: node --import tsx bench/functions-server.ts <kind> <port> <dataDir>
import { join } from 'node:path';
import pino from 'pino';
import { Type } from '@sinclair/typebox';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { COLLECTIONS } from './functions-fixture.js';

const [kind, portArg, dataDir] = process.argv.slice(2);
const port = Number(portArg);
const Body = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Response = Type.Object({ id: Type.String(), title: Type.String(), views: Type.Integer() });

async function openDb() {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(dataDir, 'data.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db.prepare('SELECT * FROM posts WHERE id = ?');
}

async function strata(): Promise<void> {
  const { config } = loadConfig({
    cwd: dataDir,
    env: {},
    overrides: { dataDir, 'server.http.port': port, 'server.https.enabled': false, 'log.level': 'silent', 'log.access': false, 'metrics.enabled': false, collections: COLLECTIONS, 'functions.dir': join(import.meta.dirname, 'fixtures/functions') },
  });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

async function fastify(): Promise<void> {
  const get = await openDb();
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.post('/lookup', { schema: { body: Body, response: { 200: Response } } }, async (req) => {
    const row = get.get((req.body as { id: string }).id);
    if (!row) throw Object.assign(new Error('not found'), { statusCode: 404 });
    return row;
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

async function express(): Promise<void> {
  const get = await openDb();
  const { default: Express } = await import('express');
  const app = Express();
  app.use(Express.json({ limit: '1mb' }));
  app.post('/lookup', (req, res) => {
    const id = (req.body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id.length < 1 || id.length > 64) return void res.status(400).json({ error: 'id must be a string of 1-64 characters' });
    const row = get.get(id) as { id: string; title: string; views: number } | undefined;
    if (!row) return void res.status(404).json({ error: 'not found' });
    res.json({ id: row.id, title: row.title, views: row.views });
  });
  const server = app.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

await (kind === 'strata' ? strata() : kind === 'fastify' ? fastify() : express());
