// A server for bench/auth.ts: the edge stack + records API over the data layer (SQLite), with the auth hooks
// resolving bearer JWTs, API keys and session cookies, and an access rule compiled per request. Seeds 1,000 posts and writes credentials to <dataDir>/creds.json.
// Usage: node --import tsx bench/auth-server.ts <port> <dataDir>
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/index.js';
import { Edge } from '../src/edge/index.js';
import { createDataLayer } from '../src/data/index.js';
import { recordsRoutes } from '../src/api/index.js';
import { authComponent, principalOf } from '../src/auth/index.js';
import { authHooks } from '../src/api/index.js';
import { createAccessControl, createRecordAccess, sqlAuthStorage } from '../src/data/index.js';
import { fieldKeyFile, keyDirectory, loadFieldCipher } from '../src/crypto/index.js';
import { BENCH_COLLECTIONS } from './records-fixture.js';

const [portArg, dataDir] = process.argv.slice(2);
const { config } = loadConfig({
  cwd: dataDir,
  env: {},
  overrides: { dataDir, 'server.http.port': Number(portArg), 'server.https.enabled': false, 'log.level': 'silent', 'log.access': false, 'metrics.enabled': false },
});
// An access rule on reads, as a real app has: published posts for everyone, all posts for signed-in users.
const collections = BENCH_COLLECTIONS.map((c) => ({ ...c, rules: { ...c.rules, list: "status = 'published' || @request.auth.id != ''", view: "status = 'published' || @request.auth.id != ''" } }));
const data = createDataLayer({ dataDir, data: config.data, collections });
await data.start();
const ids: string[] = [];
await data.db.transaction().execute(async (tx) => {
  const ts = new Date().toISOString();
  const rows = Array.from({ length: 1000 }, (_, i) => {
    const id = randomBytes(10).toString('hex');
    ids.push(id);
    return { id, created: ts, updated: ts, _version: 1, title: `post ${i}`, views: i, status: 'published', body: 'x'.repeat(100) };
  });
  for (let i = 0; i < rows.length; i += 500) await tx.insertInto(data.names.record('posts')).values(rows.slice(i, i + 500)).execute();
});
const keyPaths = { dataDir, auth: config.auth };
const auth = authComponent(config.auth, {
  keyDir: keyDirectory(keyPaths),
  fieldCipher: await loadFieldCipher({ keyFile: fieldKeyFile(keyPaths) }),
  storage: sqlAuthStorage({ dataDir, data: () => ({ db: data.db, dialect: data.dialect, names: data.names }) }),
});
await auth.start?.();
const s = auth.services;
const edge = await Edge.create({ config, log: pino({ level: 'silent' }) });
await edge.app.register(authHooks({ services: s }));
const access = createAccessControl({ data: () => ({ collections: data.records.collections, dialect: data.dialect, names: data.names }) });
const recordAccess = createRecordAccess({ rules: access, data: () => data });
await edge.app.register(recordsRoutes({ records: data.records, access: () => recordAccess, principal: (req) => principalOf(req.auth) }));
const session = await s.sessions.create({ userId: 'bench', collection: 'users' });
writeFileSync(
  join(dataDir, 'creds.json'),
  JSON.stringify({
    id: ids[500],
    jwt: (await s.accessTokens.issue({ sub: 'bench', col: 'users' })).token,
    apiKey: (await s.apiKeys.create({ userId: 'bench', name: 'bench', scopes: ['*'] })).key,
    cookie: s.sessionCookie(false).serialize(session.id).split(';')[0],
  }),
);
await edge.start();
process.once('SIGTERM', () => void edge.stop().then(() => auth.stop?.()).then(() => data.stop()).then(() => process.exit(0)));
