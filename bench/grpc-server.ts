// A server for bench/grpc.ts, one per process: `strata` (the whole server as shipped, gRPC over h2c
// on the plain port), `bare` (@grpc/grpc-js with a hand-written Get reading the same SQLite row) or
// `connect` (bare Fastify + @connectrpc/connect-fastify over h2c, same Get: the library's own cost).
// Usage: node --import tsx bench/grpc-server.ts <strata|bare|connect> <port> <dataDir>
import { writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import pino from 'pino';
import { loadConfig } from '../src/config/index.js';
import { normalizeCollections } from '../src/data/index.js';
import { collectionProto } from '../src/api/rpc/index.js';
import { createServer } from '../src/server/index.js';
import { BENCH_COLLECTIONS } from './records-fixture.js';
import { profileOnSignal } from './records-profile-lib.js';

const [kind, portArg, dataDir] = process.argv.slice(2);
const port = Number(portArg);
// STRATA_BENCH_PROFILE=<file>: a CPU profile from SIGUSR2 to SIGTERM (bench/grpc-profile.ts)
const stopProfile = await profileOnSignal();

async function strata(): Promise<void> {
  // Logs and metrics off, like the peer; every call carries a superuser bearer token (verified per call).
  const { config } = loadConfig({
    cwd: dataDir,
    env: {},
    overrides: { dataDir, 'server.http.port': port, 'server.http.h2c': true, 'server.https.enabled': false, 'log.level': 'silent', 'log.access': false, 'metrics.enabled': false, collections: BENCH_COLLECTIONS },
  });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  const { token } = await server.auth.services.accessTokens.issue({ sub: 'bench', col: '_superusers' });
  writeFileSync(`${dataDir}/token`, token);
  process.once('SIGTERM', () => void stopProfile().then(() => server.stop()).then(() => process.exit(0)));
}

async function bare(): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${dataDir}/data.db`);
  db.pragma('journal_mode = WAL');
  const get = db.prepare('SELECT * FROM posts WHERE id = ?');
  // The very service definition Strata serves, so both answer with the same message bytes.
  const p = collectionProto(normalizeCollections(BENCH_COLLECTIONS).find((c) => c.name === 'posts')!);
  const set = Buffer.from(toBinary(FileDescriptorProtoSchema, p.proto));
  const header = [0x0a];
  for (let n = set.length; ; n >>>= 7) {
    if (n <= 0x7f) {
      header.push(n);
      break;
    }
    header.push((n & 0x7f) | 0x80);
  }
  const def = protoLoader.loadFileDescriptorSetFromBuffer(Buffer.concat([Buffer.from(header), set]), { keepCase: true, longs: Number });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { strata: { posts: { RecordService: grpc.ServiceClientConstructor } } };
  const server = new grpc.Server();
  server.addService(pkg.strata.posts.RecordService.service, {
    Get(call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const row = get.get(call.request.id) as Record<string, unknown> | undefined;
      if (!row) return cb({ code: grpc.status.NOT_FOUND, details: 'not found' });
      cb(null, { id: row.id, created: row.created, updated: row.updated, title: row.title, views: row.views, status: row.status, body: row.body });
    },
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  process.once('SIGTERM', () => void stopProfile().then(() => server.tryShutdown(() => process.exit(0))));
}

async function connect(): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const { default: Fastify } = await import('fastify');
  const { fastifyConnectPlugin } = await import('@connectrpc/connect-fastify');
  const { create } = await import('@bufbuild/protobuf');
  const { ConnectError, Code } = await import('@connectrpc/connect');
  const db = new Database(`${dataDir}/data.db`);
  db.pragma('journal_mode = WAL');
  const get = db.prepare('SELECT * FROM posts WHERE id = ?');
  const p = collectionProto(normalizeCollections(BENCH_COLLECTIONS).find((c) => c.name === 'posts')!);
  const app = Fastify({ http2: true, logger: false });
  await app.register(fastifyConnectPlugin, {
    routes: (router) =>
      router.service(p.service, {
        get: async (req: { id: string }) => {
          const row = get.get(req.id) as Record<string, unknown> | undefined;
          if (!row) throw new ConnectError('not found', Code.NotFound);
          return create(p.record, { id: String(row.id), created: String(row.created), updated: String(row.updated), title: String(row.title), views: BigInt(Number(row.views)), status: String(row.status), body: String(row.body) } as never);
        },
      } as never),
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.once('SIGTERM', () => void stopProfile().then(() => app.close()).then(() => process.exit(0)));
}

await (kind === 'bare' ? bare() : kind === 'connect' ? connect() : strata());
