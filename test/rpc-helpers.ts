// Test helpers for the rpc capability: a Strata server with h2c on, tokens, and a gRPC client
// (@grpc/grpc-js) whose service descriptors come from Strata's own reflection service.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { pino } from 'pino';
import { sql, type SqlBool } from 'kysely';
import { loadConfig } from '../src/config/index.js';
import { ForbiddenError, recordTopic, type RecordChangeEvent } from '../src/core/index.js';
import type { AccessControl } from '../src/data/index.js';
import { createRpc, recordWatch } from '../src/api/rpc/index.js';
import * as dataCapability from '../src/data/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';

const require = createRequire(import.meta.url);
/** The standard reflection protocol (the only .proto the client holds; the collections come from the server). */
export const REFLECTION_PROTO = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
export const REFLECTION_V1ALPHA_PROTO = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto');

export const COLLECTIONS = `
collections:
  - name: posts
    fields:
      - { name: title, type: text, required: true, length: { max: 200 } }
      - { name: views, type: integer, default: 0, min: 0 }
      - { name: owner, type: text }
      - { name: published, type: boolean }
      - { name: meta, type: json }
      - { name: slug, type: text, unique: true }
  - name: notes
    type: document
`;

export interface Started {
  server: StrataServer;
  /** http://127.0.0.1:port (HTTP/1.1 and h2c). */
  base: string;
  /** 127.0.0.1:port for grpc-js. */
  target: string;
  token(sub: string, col?: string): Promise<string>;
}

/** Starts Strata in process on port 0 (h2c on, HTTPS off unless asked); stopped after the test. */
export async function startServer(t: TestContext, overrides: Record<string, unknown> = {}, register?: (s: StrataServer) => Promise<void>): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-rpc-'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dataDir, 'strata.yaml'), COLLECTIONS);
  const config = loadConfig({
    cwd: dataDir,
    env: {},
    overrides: { dataDir, 'server.http.port': 0, 'server.http.h2c': true, 'server.https.enabled': false, 'server.shutdownGrace': 2000, ...overrides },
  }).config;
  const server = await createServer(config, pino({ level: 'silent' }));
  await register?.(server);
  await server.start();
  t.after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const http = server.edge.urls().find((u) => u.kind === 'http');
  const base = http?.url ?? '';
  return {
    server,
    base,
    target: base.replace(/^http:\/\//, ''),
    token: async (sub, col = 'users') => (await server.auth.services.accessTokens.issue({ sub, col })).token,
  };
}

/** A FileDescriptorSet (field 1, repeated FileDescriptorProto) around serialized files. */
function descriptorSet(files: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const len: number[] = [];
    let n = f.length;
    while (n > 0x7f) {
      len.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    len.push(n);
    parts.push(Buffer.from([0x0a, ...len]), f);
  }
  return Buffer.concat(parts);
}

type ReflectionStream = grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;

/** A reflection client (v1 or v1alpha) over grpc-js. */
export function reflectionClient(target: string, credentials = grpc.credentials.createInsecure(), version: 'v1' | 'v1alpha' = 'v1') {
  const def = protoLoader.loadSync(version === 'v1' ? REFLECTION_PROTO : REFLECTION_V1ALPHA_PROTO, { keepCase: false, longs: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> } };
  const Client = pkg.grpc.reflection[version].ServerReflection;
  const client = new Client(target, credentials);
  /** One request, one answer, on a fresh stream. */
  const ask = (req: Record<string, unknown>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const call = (client as unknown as { serverReflectionInfo(): ReflectionStream }).serverReflectionInfo();
      call.once('data', (d) => {
        resolve(d);
        call.end();
      });
      call.once('error', reject);
      call.write(req);
    });
  return {
    async listServices(): Promise<string[]> {
      const r = await ask({ listServices: '*' });
      return ((r.listServicesResponse as { service: Array<{ name: string }> }).service ?? []).map((s) => s.name);
    },
    async fileContainingSymbol(symbol: string): Promise<Buffer[]> {
      const r = await ask({ fileContainingSymbol: symbol });
      if (r.errorResponse) throw new Error(`reflection: ${JSON.stringify(r.errorResponse)}`);
      return (r.fileDescriptorResponse as { fileDescriptorProto: Buffer[] }).fileDescriptorProto;
    },
    ask,
    close: () => client.close(),
  };
}

export type RecordClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** A grpc-js client of `strata.<collection>.RecordService` built only from what reflection returned. */
export async function recordClient(target: string, collection: string, credentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): Promise<RecordClient> {
  const refl = reflectionClient(target, credentials);
  try {
    const files = await refl.fileContainingSymbol(`strata.${collection}.RecordService`);
    const def = protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet(files), { keepCase: true, longs: Number, defaults: false, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { strata: Record<string, { RecordService: grpc.ServiceClientConstructor }> };
    return new pkg.strata[collection].RecordService(target, credentials, options) as unknown as RecordClient;
  } finally {
    refl.close();
  }
}

/** Promisified unary call with metadata. */
export function unary<T = Record<string, unknown>>(client: RecordClient, method: string, req: unknown, token?: string): Promise<T> {
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    (client[method] as (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void).call(client, req, md, (e, v) => (e ? reject(e) : resolve(v)));
  });
}

/** The error a call failed with (fails the test if it succeeded). */
export async function rejected(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error('the call succeeded but an error was expected');
}

/** A small real rule set: superusers see everything, users only records they own. */
export const ownerAccess: AccessControl = {
  where(p, _collection, action, input) {
    if (!p) throw new ForbiddenError('Sign in to use this collection.');
    // Rules see the written values (`@request.body`): this one refuses one title outright.
    if ((action === 'create' || action === 'update') && (input?.body as { title?: unknown } | undefined)?.title === 'refused by rule') throw new ForbiddenError('That title is refused.');
    if (p.superuser) return undefined;
    return sql<SqlBool>`t.owner = ${p.id}`;
  },
};

/** Registers an rpc plugin with `access` on a server built with rpc.enabled=false. */
export function withRpc(access: AccessControl, maxMessageBytes?: number, watchHeartbeatMs?: number) {
  return async (s: StrataServer) => {
    // The transports see only the records access layer, over these rules.
    const recordAccess = dataCapability.createRecordAccess({ rules: access, data: () => s.data });
    const rpc = createRpc({
      collections: s.data.collections,
      access: () => recordAccess,
      auth: {
        get accessTokens() {
          return s.auth.services.accessTokens;
        },
        get apiKeys() {
          return s.auth.services.apiKeys;
        },
      },
      watch: recordWatch({ bus: () => s.messaging.bus, access: () => recordAccess }),
      maxMessageBytes,
      watchHeartbeatMs,
    });
    await s.edge.app.register(rpc.plugin);
  };
}

/**
 * Whether the data layer publishes record-change events itself (its transactional outbox and relay).
 * Before that lands the tests publish each REST change's event on the bus; after, they use the real path.
 */
export const OUTBOX_LANDED = 'recordEventRelay' in dataCapability;

let seq = 0;
/** A REST write as a superuser (so access rules never refuse it), then, until the outbox lands, its RecordChangeEvent on the bus. */
export async function restChange(s: Started, action: 'create' | 'update' | 'delete', body?: Record<string, unknown>, id?: string): Promise<Record<string, unknown>> {
  const auth = { authorization: `Bearer ${await s.token('rest-writer', '_superusers')}` };
  const url = `${s.base}/api/collections/posts/records${id ? `/${id}` : ''}`;
  const before = action === 'delete' ? ((await (await fetch(url, { headers: auth })).json()) as Record<string, unknown>) : undefined;
  const r = await fetch(url, {
    method: action === 'create' ? 'POST' : action === 'update' ? 'PATCH' : 'DELETE',
    headers: body ? { ...auth, 'content-type': 'application/json' } : auth,
    body: body ? JSON.stringify(body) : undefined,
  });
  if (r.status !== (action === 'create' ? 201 : action === 'update' ? 200 : 204)) throw new Error(`REST ${action}: ${r.status} ${await r.text()}`);
  const record = before ?? ((await r.json()) as Record<string, unknown>);
  if (!OUTBOX_LANDED) {
    seq++;
    const ev: RecordChangeEvent = { id: String(seq).padStart(20, '0'), seq, action, collection: 'posts', recordId: String(record.id), record, at: new Date().toISOString() };
    await s.server.messaging.bus.publish(recordTopic('posts', action), ev);
  }
  return record;
}

export { grpc };

