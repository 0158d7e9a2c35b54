// A server for bench/records.ts, one per process: `strata` (the whole server as shipped: edge,
// WAF, gateway, records API) or `bare` (Fastify + better-sqlite3 / pg with hand-written routes doing the same queries).
// Usage: node --import tsx bench/records-server.ts <strata|bare> <port> <dataDir> [pg-url] [prefix]
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import Fastify from 'fastify';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { BENCH_COLLECTIONS } from './records-fixture.js';
import { profileOnSignal } from './records-profile-lib.js';

const [kind, portArg, dataDir, pgUrl = '', prefix = ''] = process.argv.slice(2);
const port = Number(portArg);

// STRATA_BENCH_PROFILE=<file>: a CPU profile from SIGUSR2 (after the warm-up) to SIGTERM (bench/records-profile.ts)
const stopProfile = await profileOnSignal();

async function strata(): Promise<void> {
  // the whole server as shipped (edge, WAF, gateway, records API), logs and metrics off like the peer
  const { config } = loadConfig({
    cwd: dataDir,
    env: {},
    overrides: {
      dataDir,
      'server.http.port': port,
      'server.https.enabled': false,
      'log.level': 'silent',
      'log.access': false,
      'metrics.enabled': false,
      'data.url': pgUrl,
      'data.tablePrefix': prefix,
      collections: BENCH_COLLECTIONS,
      ...(process.env.STRATA_BENCH_OVERRIDES ? (JSON.parse(process.env.STRATA_BENCH_OVERRIDES) as Record<string, unknown>) : {}),
    },
  });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  process.once('SIGTERM', () => void stopProfile().then(() => server.stop()).then(() => process.exit(0)));
}

interface Query {
  list(minViews: number): Promise<unknown[]>;
  get(id: string): Promise<unknown>;
  create(title: string, views: number): Promise<unknown>;
}

async function bareQueries(): Promise<Query> {
  const now = () => new Date().toISOString();
  const id = () => randomBytes(10).toString('hex');
  if (pgUrl) {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: pgUrl, max: 10 });
    const t = `"${prefix}posts"`;
    return {
      list: async (v) => (await pool.query(`SELECT * FROM ${t} WHERE views > $1 AND status = $2 ORDER BY created DESC, id ASC LIMIT 50`, [v, 'published'])).rows,
      get: async (i) => (await pool.query(`SELECT * FROM ${t} WHERE id = $1`, [i])).rows[0],
      create: async (title, views) => {
        const ts = now();
        return (await pool.query(`INSERT INTO ${t} (id, created, updated, _version, title, views, status) VALUES ($1, $2, $2, 1, $3, $4, 'draft') RETURNING *`, [id(), ts, title, views])).rows[0];
      },
    };
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${dataDir}/data.db`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const list = db.prepare(`SELECT * FROM posts WHERE views > ? AND status = ? ORDER BY created DESC, id ASC LIMIT 50`);
  const get = db.prepare('SELECT * FROM posts WHERE id = ?');
  const ins = db.prepare(`INSERT INTO posts (id, created, updated, _version, title, views, status) VALUES (?, ?, ?, 1, ?, ?, 'draft') RETURNING *`);
  return {
    list: async (v) => list.all(v, 'published'),
    get: async (i) => get.get(i),
    create: async (title, views) => {
      const ts = now();
      return ins.get(id(), ts, ts, title, views);
    },
  };
}

async function bare(): Promise<void> {
  const q = await bareQueries();
  const app = Fastify({ logger: false });
  app.get('/posts', async (req) => {
    const v = Number((req.query as { minViews?: string }).minViews ?? 0);
    return { items: await q.list(v), page: 1, perPage: 50 };
  });
  app.get('/posts/:id', async (req, reply) => {
    const row = await q.get((req.params as { id: string }).id);
    return row ?? reply.code(404).send({ error: 'not found' });
  });
  app.post('/posts', async (req, reply) => {
    const b = req.body as { title?: unknown; views?: unknown };
    if (typeof b?.title !== 'string' || typeof b.views !== 'number') return reply.code(400).send({ error: 'bad' });
    return reply.code(201).send(await q.create(b.title, b.views));
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.once('SIGTERM', () => void stopProfile().then(() => app.close()).then(() => process.exit(0)));
}

await (kind === 'strata' ? strata() : bare());
