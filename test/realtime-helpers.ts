// Test rig for realtime: a Fastify app with authHooks and the realtime routes over a real SQLite
// data layer, a real bus, an owner-based AccessControl, an in-memory ChangeFeed, and a ws client.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { loadConfig } from '../src/config/index.js';
import { handleError } from '../src/edge/index.js';
import { authComponent, type AuthServices } from '../src/auth/index.js';
import { authDeps } from './auth-stores-helpers.js';
import { authHooks } from '../src/api/index.js';
import { ForbiddenError, recordTopic, StrataError, type ChangeFeed, type RecordChangeAction, type RecordChangeEvent } from '../src/core/index.js';
import { createDataLayer, createRecordAccess, type AccessControl, type DataLayer } from '../src/data/index.js';
import type { Bus } from '../src/messaging/index.js';
import { realtimeRoutes, type RealtimeHub, type RealtimeOptions } from '../src/api/realtime/index.js';

export const tempDir = (p = 'strata-rt-'): string => mkdtempSync(join(tmpdir(), p));

/** posts: owners see their own; superusers see all; anonymous is refused. notes: nobody but superusers. */
export const ownerAccess: AccessControl = {
  where(p, collection) {
    if (p?.superuser) return undefined;
    if (collection === 'posts' && p) return sql<boolean>`t.owner = ${p.id}`;
    throw new ForbiddenError();
  },
};

/** A retained-events feed like the outbox's, in memory; events older than `floor` are gone (410). */
export class MemoryFeed implements ChangeFeed {
  events: RecordChangeEvent[] = [];
  floor = 0;
  async since(after: number, opts: { collections?: readonly string[]; limit?: number } = {}): Promise<RecordChangeEvent[]> {
    if (after < this.floor) throw new StrataError(410, 'strata/gone', 'Gone', 'Events before this are no longer retained.');
    return this.events.filter((e) => e.seq > after && (!opts.collections || opts.collections.includes(e.collection))).slice(0, opts.limit ?? 1000);
  }
  async latest(): Promise<number> {
    return this.events.at(-1)?.seq ?? 0;
  }
}

export interface Instance {
  app: FastifyInstance;
  base: string;
  ws: string;
  hub: RealtimeHub;
  data: DataLayer;
  close(): Promise<void>;
}

export const COLLECTIONS = [
  { name: 'posts', fields: [{ name: 'title', type: 'text' as const }, { name: 'owner', type: 'text' as const }, { name: 'views', type: 'integer' as const }, { name: 'body', type: 'text' as const }] },
  { name: 'notes', fields: [{ name: 'text', type: 'text' as const }] },
];

export function defaultLimits(over: Partial<RealtimeOptions> = {}): RealtimeOptions {
  const c = loadConfig({ cwd: tempDir(), env: {} }).config.realtime;
  return { ...c, ...over, topics: { ...c.topics, ...over.topics } };
}

/** Starts auth (one per test file; instances may share it, as instances share keys). */
export async function startAuth(dir = tempDir()): Promise<{ services: AuthServices; stop: () => Promise<void> }> {
  const auth = authComponent(loadConfig({ cwd: dir, env: {} }).config.auth, await authDeps(dir));
  await auth.start?.();
  return { services: auth.services, stop: async () => auth.stop?.() };
}

export async function startInstance(o: { bus: Bus; auth: Pick<AuthServices, 'accessTokens' | 'apiKeys' | 'sessions' | 'sessionCookie' | 'csrf'>; dir: string; feed?: ChangeFeed; limits?: Partial<RealtimeOptions>; routes?: (app: FastifyInstance) => void }): Promise<Instance> {
  const config = loadConfig({ cwd: o.dir, env: {} }).config;
  const data = createDataLayer({ dataDir: o.dir, data: config.data, collections: COLLECTIONS });
  await data.start();
  const app = Fastify();
  app.setErrorHandler(handleError);
  await app.register(authHooks({ services: o.auth }));
  const access = createRecordAccess({ rules: ownerAccess, data: () => data });
  const rt = realtimeRoutes({ bus: o.bus, access: () => access, auth: o.auth, feed: o.feed, config: defaultLimits(o.limits) });
  await app.register(rt);
  o.routes?.(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    base,
    ws: base.replace(/^http/, 'ws') + '/api/realtime',
    hub: rt.hub,
    data,
    async close() {
      await app.close();
      await data.stop();
    },
  };
}

/** Publishes record-change events the way the outbox does (and remembers them in the feed). */
export class EventSource {
  seq = 0;
  constructor(
    private readonly bus: Bus,
    private readonly feed?: MemoryFeed,
  ) {}
  event(action: RecordChangeAction, collection: string, record: Record<string, unknown>): RecordChangeEvent {
    this.seq++;
    return { id: String(this.seq).padStart(12, '0'), seq: this.seq, action, collection, recordId: String(record.id), record, at: new Date().toISOString() };
  }
  async publish(action: RecordChangeAction, collection: string, record: Record<string, unknown>): Promise<RecordChangeEvent> {
    const e = this.event(action, collection, record);
    this.feed?.events.push(e);
    await this.bus.publish(recordTopic(collection, action), e);
    return e;
  }
}

export type Frame = Record<string, unknown> & { type: string };

/** A ws client that keeps every frame and waits for the ones it needs. */
export class Client {
  frames: Frame[] = [];
  closed?: { code: number; reason: string };
  private waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.frames.push(JSON.parse(String(d)) as Frame);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }
  static open(url: string, opts: WebSocket.ClientOptions = {}): Promise<Client> {
    const ws = new WebSocket(url, opts);
    const c = new Client(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    });
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  send(o: unknown): void {
    this.ws.send(typeof o === 'string' ? o : JSON.stringify(o));
  }
  /** The first frame (from `from`) matching `pred`; rejects if the socket closes first or after 10 s. */
  async next(pred: (f: Frame) => boolean, from = 0): Promise<Frame> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const f = this.frames.slice(from).find(pred);
      if (f) return f;
      if (this.closed) throw new Error(`closed ${this.closed.code} before the frame came; got ${JSON.stringify(this.frames)}`);
      if (Date.now() > deadline) throw new Error(`no such frame; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  /** Sends and waits for the reply of type `type` (or an error) that came after it. */
  async request(o: unknown, types: string[]): Promise<Frame> {
    const from = this.frames.length;
    this.send(o);
    return this.next((f) => types.includes(f.type) || f.type === 'error', from);
  }
  async closedWith(): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + 10_000;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('not closed');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return this.closed;
  }
  events(): Frame[] {
    return this.frames.filter((f) => f.type === 'event');
  }
  close(): void {
    this.ws.close();
  }
}
