// Issue 15 "Events": an update followed at once by a delete is never lost. On SQLite, PostgreSQL and
// MariaDB, create -> PATCH -> DELETE repeated: a WebSocket subscriber, an SSE subscriber and a gRPC
// Watch stream, each under a view rule that limits them to their own records, get all three events
// of every record, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { dropAll, normalizeCollections } from '../src/data/index.js';
import { Client, tempDir } from './realtime-helpers.js';
import { grpc, recordClient } from './rpc-helpers.js';
import { MYSQL_URL, PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const COLLECTIONS = [
  {
    name: 'posts',
    fields: [
      { name: 'title', type: 'text' as const },
      { name: 'owner', type: 'text' as const },
    ],
    rules: { list: 'owner = @request.auth.id', view: 'owner = @request.auth.id' },
  },
];
const ROUNDS = 6;

const engines = [
  { name: 'sqlite', url: '', skip: false as const },
  { name: 'postgres', url: PG_URL, skip: await unreachable(5432) },
  { name: 'mariadb', url: MYSQL_URL, skip: await unreachable(3306) },
];

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const engine of engines) {
  test(`${engine.name}: create -> PATCH -> DELETE at once: WebSocket, SSE and gRPC Watch subscribers get all three events of every record, in order`, async (t) => {
    if (engine.skip) {
      if (process.env.CI === 'true') assert.fail(`${engine.name} must run under CI: ${engine.skip}`);
      return t.skip(engine.skip);
    }
    const dir = tempDir('strata-upddel-');
    writeFileSync(join(dir, 'strata.yaml'), '');
    const { config } = loadConfig({
      cwd: dir,
      env: {},
      overrides: { dataDir: dir, 'data.url': engine.url, 'data.tablePrefix': engine.url ? uniquePrefix() : '', 'server.http.port': 0, 'server.http.h2c': true, 'server.https.enabled': false, 'server.shutdownGrace': 2000 },
    });
    config.collections = COLLECTIONS as typeof config.collections;
    const server = await createServer(config, pino({ level: 'silent' }));
    await server.start();
    const base = server.edge.urls().find((u) => u.kind === 'http')!.url;
    const token = (await server.auth.services.accessTokens.issue({ sub: 'alice', col: 'users' })).token;
    const auth = { authorization: `Bearer ${token}` };

    // WebSocket
    const ws = await Client.open(base.replace('http', 'ws') + '/api/realtime', { headers: auth });
    assert.equal((await ws.request({ type: 'subscribe', id: 'p', collection: 'posts' }, ['subscribed'])).type, 'subscribed');
    // SSE
    const sseEvents: Array<{ action: string; id: string }> = [];
    const sseAbort = new AbortController();
    const sse = await fetch(`${base}/api/realtime/sse?subscribe=${encodeURIComponent(JSON.stringify({ id: 'p', collection: 'posts' }))}`, { headers: auth, signal: sseAbort.signal });
    assert.equal(sse.status, 200);
    const sseDone = (async () => {
      let buf = '';
      const dec = new TextDecoder();
      try {
        for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>) {
          buf += dec.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (!data) continue;
            const f = JSON.parse(data.slice(6)) as { type: string; action: string; record: { id: string } };
            if (f.type === 'event') sseEvents.push({ action: f.action, id: f.record.id });
          }
        }
      } catch {
        /* aborted */
      }
    })();
    // gRPC Watch
    const grpcClient = await recordClient(base.replace(/^http:\/\//, ''), 'posts');
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const call = (grpcClient.Watch as (r: unknown, m: grpc.Metadata) => grpc.ClientReadableStream<Record<string, unknown>>).call(grpcClient, {}, md);
    const watchEvents: Array<{ action: string; id: string }> = [];
    let subscribed = false;
    call.on('data', (d: Record<string, unknown>) => {
      if (d.action === 'subscribed') subscribed = true;
      else watchEvents.push({ action: String(d.action), id: String((d.record as { id?: string } | undefined)?.id ?? d.recordId ?? d.id) });
    });
    call.on('error', () => undefined);
    await until('the Watch stream to subscribe', () => subscribed);

    try {
      const expected: Array<{ action: string; id: string }> = [];
      const records = server.data.records;
      for (let i = 0; i < ROUNDS; i++) {
        // no wait between the three writes: the delete commits before the update's event is checked
        const created = (await records.create('posts', { title: `t${i}`, owner: 'alice' })).record as { id: string };
        await records.update('posts', created.id, { title: `t${i} edited` });
        await records.delete('posts', created.id);
        expected.push({ action: 'create', id: created.id }, { action: 'update', id: created.id }, { action: 'delete', id: created.id });
      }
      // someone else's record: never delivered (the rule is applied, not skipped)
      const other = (await records.create('posts', { title: 'bob', owner: 'bob' })).record as { id: string };
      await records.delete('posts', other.id);
      const last = (await records.create('posts', { title: 'last', owner: 'alice' })).record as { id: string };
      expected.push({ action: 'create', id: last.id });
      const wsEvents = () => ws.events().map((f) => ({ action: String(f.action), id: String((f.record as { id: string }).id) }));
      await until('every event on every transport', () => wsEvents().length >= expected.length && sseEvents.length >= expected.length && watchEvents.length >= expected.length).catch(() => undefined);
      assert.deepEqual(wsEvents(), expected, 'WebSocket');
      assert.deepEqual(sseEvents, expected, 'SSE');
      assert.deepEqual(watchEvents, expected, 'gRPC Watch');
    } finally {
      call.cancel();
      grpcClient.close();
      ws.close();
      sseAbort.abort();
      await sseDone;
      const { db, dialect, names } = server.data;
      if (engine.url) await dropAll(db, { dialect, names }, normalizeCollections(COLLECTIONS)).catch(() => undefined);
      await server.stop();
    }
  });
}
