// Holes 2, 3 and 4 of issue 13 reproduced as an outside attacker would, on a real server (port 0, h2c so
// gRPC shares the port) with real clients, per engine (access-holes-{sqlite,postgres}.test.ts):
// expand and relation filters over REST, Connect, gRPC, WebSocket and SSE answer like REST, and the
// encrypted field is ciphertext in the outbox, on the bus and in webhook payloads, plaintext only
// to a subscriber allowed to view it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as httpServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';
import { SEALED_PREFIX, sql } from '../src/data/index.js';
import { memoryDeliveryLog, memorySubscriptions, sqliteQueue, webhooks } from '../src/messaging/index.js';
import { grpc, recordClient, unary, type RecordClient } from './rpc-helpers.js';
import { Client } from './realtime-helpers.js';

const PASSWORD = 'correct horse battery staple 42';
const CONFIG = (data: string) => `
${data ? `data:\n${data}\n` : ''}auth:
  throttle:
    accountFreeAttempts: 1000
    ipFreeAttempts: 100000
collections:
  - name: notes
    fields:
      - { name: body, type: text }
      - { name: secret, type: text, encrypted: true }
      - { name: owner, type: relation, collection: users }
    rules:
      list: "owner = @request.auth.id"
      view: "owner = @request.auth.id"
      create: "@request.auth.id != '' && owner = @request.auth.id"
  - name: posts
    fields:
      - { name: title, type: text }
      - { name: author, type: relation, collection: users }
    rules: { list: "", view: "", create: "@request.auth.id != '' && author = @request.auth.id" }
`;

interface Res {
  status: number;
  body: Record<string, unknown>;
}

/** An SSE subscription read with fetch: its events' records, as they arrive. */
async function sse(base: string, token: string, sub: Record<string, unknown>): Promise<{ events: Array<Record<string, unknown>>; close(): void }> {
  const abort = new AbortController();
  const r = await fetch(`${base}/api/realtime/sse?${new URLSearchParams({ subscribe: JSON.stringify({ id: 's', ...sub }) })}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  assert.equal(r.status, 200);
  const events: Array<Record<string, unknown>> = [];
  let ready: () => void = () => {};
  const subscribed = new Promise<void>((res) => (ready = res));
  void (async () => {
    let buf = '';
    try {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        buf += Buffer.from(chunk).toString('utf8');
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const line = buf.slice(0, i).split('\n').find((l) => l.startsWith('data: '));
          buf = buf.slice(i + 2);
          if (!line) continue;
          const f = JSON.parse(line.slice(6)) as Record<string, unknown>;
          if (f.type === 'subscribed' || f.type === 'error') ready();
          if (f.type === 'event') events.push(f.record as Record<string, unknown>);
        }
      }
    } catch {
      // aborted at close
    }
  })();
  await subscribed;
  return { events, close: () => abort.abort() };
}

const until = async (ok: () => boolean | Promise<boolean>, what: string, ms = 5000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (await ok()) return;
  assert.fail(`timed out waiting for ${what}`);
};

export function accessHolesContract(engine: string, dataLines: () => string, skip: false | string): void {
  describe(`access holes 2-4 closed: ${engine}`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-holes-'));
    let server: StrataServer;
    let base = '';
    const run = Math.random().toString(36).slice(2, 8);
    const email = (who: string) => `${who}-${run}@example.com`;
    const ids: Record<string, string> = {};
    const tokens: Record<string, string> = {};
    let grpcPosts: RecordClient;

    const call = async (method: string, path: string, body?: unknown, token?: string): Promise<Res> => {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token) headers.authorization = `Bearer ${token}`;
      const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const must = async (p: Promise<Res>, status: number): Promise<Record<string, unknown>> => {
      const r = await p;
      assert.equal(r.status, status, JSON.stringify(r.body));
      return r.body;
    };
    const connect = (collection: string, method: string, body: unknown, token: string) =>
      fetch(`${base}/strata.${collection}.RecordService/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

    before(async () => {
      writeFileSync(join(dir, 'strata.yaml'), CONFIG(dataLines()));
      const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, 'server.http.port': 0, 'server.http.h2c': true, 'server.https.enabled': false, 'server.shutdownGrace': 1000 } }).config;
      server = await createServer(config, pino({ level: 'silent' }));
      await server.start();
      base = server.edge.urls().find((u) => u.kind === 'http')?.url ?? '';
      await must(call('POST', '/_strata/setup', { token: server.setupToken, email: email('root'), password: PASSWORD }), 201);
      tokens.root = String((await must(call('POST', '/api/collections/_superusers/auth/login', { identity: email('root'), password: PASSWORD }), 200)).token);
      for (const who of ['alice', 'bob']) {
        ids[who] = String((await must(call('POST', '/api/collections/users/records', { email: email(who), password: PASSWORD, passwordConfirm: PASSWORD }), 201)).id);
        tokens[who] = String((await must(call('POST', '/api/collections/users/auth/login', { identity: email(who), password: PASSWORD }), 200)).token);
      }
      ids.post = String((await must(call('POST', '/api/collections/posts/records', { title: 'by alice', author: ids.alice }, tokens.alice), 201)).id);
      grpcPosts = await recordClient(base.replace(/^http:\/\//, ''), 'posts');
    });
    after(async () => {
      grpcPosts?.close();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('hole 2: expand of a related record the caller may not view is empty on REST, Connect and gRPC (its owner still sees it)', async () => {
      const rest = await must(call('GET', `/api/collections/posts/records/${ids.post}?expand=author`, undefined, tokens.bob), 200);
      assert.equal((rest.expand as Record<string, unknown> | undefined)?.author ?? null, null, 'REST');
      const c = await connect('posts', 'Get', { id: ids.post, expand: 'author' }, tokens.bob);
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.doesNotMatch(JSON.stringify(c.body), /example\.com/, `Connect leaks the author: ${JSON.stringify(c.body)}`);
      const g = await unary(grpcPosts, 'get', { id: ids.post, expand: 'author' }, tokens.bob);
      assert.doesNotMatch(JSON.stringify(g), /example\.com/, `gRPC leaks the author: ${JSON.stringify(g)}`);
      const list = await connect('posts', 'List', { expand: 'author' }, tokens.bob);
      assert.doesNotMatch(JSON.stringify(list.body), /example\.com/, 'Connect List leaks the author');
      // Control: the author's own view of the same post expands to her record.
      const own = await connect('posts', 'Get', { id: ids.post, expand: 'author' }, tokens.alice);
      assert.match(JSON.stringify(own.body), new RegExp(email('alice')));
    });

    test('hole 3: a filter through a relation the caller may not view is no oracle on REST, Connect, gRPC, aggregate, WebSocket and SSE', async () => {
      const filter = `author.email ~ 'alice-${run}'`;
      // A superuser's list first: its compiled query (no relation rule) must not be reused for others.
      const root = await must(call('GET', `/api/collections/posts/records?${new URLSearchParams({ filter })}`, undefined, tokens.root), 200);
      assert.equal((root.items as unknown[]).length, 1, 'the superuser sees the post');
      const rest = await must(call('GET', `/api/collections/posts/records?${new URLSearchParams({ filter })}`, undefined, tokens.bob), 200);
      assert.equal((rest.items as unknown[]).length, 0, 'REST (after a superuser ran the same list)');
      const c = await connect('posts', 'List', { filter }, tokens.bob);
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.equal(((c.body.items as unknown[] | undefined) ?? []).length, 0, 'Connect List answers the oracle');
      const g = await unary<{ items?: unknown[] }>(grpcPosts, 'list', { filter }, tokens.bob);
      assert.equal((g.items ?? []).length, 0, 'gRPC List answers the oracle');
      const agg = await must(call('GET', `/api/collections/posts/aggregate?${new URLSearchParams({ filter })}`, undefined, tokens.bob), 200);
      assert.equal(Number((agg.items as Array<{ count?: number }>)[0]?.count ?? 0), 0, 'aggregate');
      // Control: alice may view her own record, so for her the filter matches.
      const own = await connect('posts', 'List', { filter }, tokens.alice);
      assert.equal((own.body.items as unknown[]).length >= 1, true);

      const bobSse = await sse(base, tokens.bob, { collection: 'posts', filter });
      const aliceSse = await sse(base, tokens.alice, { collection: 'posts', filter });
      const bobWs = await Client.open(`${base.replace(/^http/, 'ws')}/api/realtime`, { headers: { authorization: `Bearer ${tokens.bob}` } });
      try {
        const sub = await bobWs.request({ type: 'subscribe', id: 'w', collection: 'posts', filter }, ['subscribed', 'error']);
        assert.equal(sub.type, 'subscribed');
        await must(call('POST', '/api/collections/posts/records', { title: 'second by alice', author: ids.alice }, tokens.alice), 201);
        await until(() => aliceSse.events.length === 1, "alice's own subscription event");
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(bobSse.events, [], 'SSE delivers through the hidden relation');
        assert.deepEqual(bobWs.events(), [], 'WebSocket delivers through the hidden relation');
      } finally {
        bobSse.close();
        aliceSse.close();
        bobWs.close();
      }
    });

    test('hole 4: the encrypted field is ciphertext in the outbox, on the bus and in webhook payloads; plaintext only to its owner', async () => {
      const received: string[] = [];
      const hook: Server = httpServer((req, res) => {
        let b = '';
        req.on('data', (d: Buffer) => (b += d.toString('utf8')));
        req.on('end', () => (received.push(b), res.writeHead(200).end()));
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      const q = sqliteQueue({ file: join(dir, 'hooks.db'), pollMs: 20 });
      const hooks = webhooks({
        queue: q,
        subscriptions: memorySubscriptions([{ id: 'h', topics: 'records.notes.*', url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`, secret: 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdA==', enabled: true }]),
        log: memoryDeliveryLog(),
        policy: { allowCidrs: ['127.0.0.1/32'], allowHttp: true },
      });
      await hooks.listen(server.messaging.bus);
      const worker = await hooks.work();
      const onBus: Array<Record<string, unknown>> = [];
      const unsubscribe = await server.messaging.bus.subscribe('records.notes.*', (p) => void onBus.push(p as Record<string, unknown>));
      const aliceSse = await sse(base, tokens.alice, { collection: 'notes' });
      // Her read-only API key is the same principal on realtime as on REST.
      const key = String((await must(call('POST', '/api/collections/users/auth/api-keys', { name: 'notes reader', scopes: ['records:notes:read'] }, tokens.alice), 201)).key);
      const keySse = await sse(base, key, { collection: 'notes' });
      const bobSse = await sse(base, tokens.bob, { collection: 'notes' });
      const watchAbort = new AbortController();
      const grpcNotes = await recordClient(base.replace(/^http:\/\//, ''), 'notes');
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${tokens.alice}`);
      const watched: Array<Record<string, unknown>> = [];
      const stream = (grpcNotes.watch as (r: unknown, m: grpc.Metadata, o: { signal?: AbortSignal }) => NodeJS.ReadableStream & { cancel(): void })({}, md, {});
      stream.on('data', (e: Record<string, unknown>) => void (e.action === 'create' && watched.push(e.record as Record<string, unknown>)));
      stream.on('error', () => undefined);
      try {
        await new Promise((r) => setTimeout(r, 300));
        const note = await must(call('POST', '/api/collections/notes/records', { body: 'mine', secret: 'alice plaintext secret', owner: ids.alice }, tokens.alice), 201);
        assert.equal(note.secret, 'alice plaintext secret', 'the owner gets plaintext in the response');

        const o = server.data.outbox;
        const rows = await sql<{ record: string }>`select record from ${sql.table(o.names.outbox)} where record_id = ${String(note.id)}`.execute(o.db);
        assert.equal(rows.rows.length, 1);
        assert.doesNotMatch(rows.rows[0].record, /alice plaintext secret/, 'outbox row');
        assert.ok(String((JSON.parse(rows.rows[0].record) as Record<string, unknown>).secret).startsWith(SEALED_PREFIX), 'outbox row holds the sealed form');

        await until(() => onBus.length >= 1, 'the bus event');
        assert.ok(String((onBus[0].record as Record<string, unknown>).secret).startsWith(SEALED_PREFIX), 'bus event');
        await until(() => received.length >= 1, 'the webhook delivery');
        assert.doesNotMatch(received[0], /alice plaintext secret/, 'webhook payload');
        assert.match(received[0], /enc:v1:/);

        await until(() => aliceSse.events.length === 1 && watched.length === 1, "the owner's SSE event and Watch event");
        assert.equal(aliceSse.events[0].secret, 'alice plaintext secret', 'SSE to the owner');
        assert.equal(watched[0].secret, 'alice plaintext secret', 'Watch to the owner');
        await until(() => keySse.events.length === 1, "the owner's API key SSE event");
        assert.equal(keySse.events[0].secret, 'alice plaintext secret', "SSE to the owner's API key");
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(bobSse.events, [], 'another user does not see the record');
      } finally {
        stream.cancel();
        watchAbort.abort();
        grpcNotes.close();
        aliceSse.close();
        keySse.close();
        bobSse.close();
        await unsubscribe();
        await worker.stop();
        await hooks.close();
        await q.close();
        hook.close();
      }
    });
  });
}
