// Cluster mode on the default in-process bus (issue 23 item 4): `serve --workers 2`, SSE and
// WebSocket clients on both workers (which worker holds each connection is read from the kernel's socket table, `ss`),
// 100 writes: every client gets all 100 events, in order, whichever worker's outbox relay published them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startStrata, tempDir } from './helpers/strata-process.js';

const yaml = `
dataDir: ./data
collections:
  - name: items
    fields: [{ name: n, type: integer }]
    rules: { list: "", view: "", create: "" }
`;

interface RealtimeClient {
  localPort: number;
  /** `n` of every record event received, in order. */
  got: number[];
  subscribed: Promise<void>;
  close(): void;
}

function sse(base: string): Promise<RealtimeClient> {
  const subscribe = encodeURIComponent(JSON.stringify({ id: 's', collection: 'items' }));
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/realtime/sse?subscribe=${subscribe}`, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
      const got: number[] = [];
      let buf = '';
      let onSubscribed!: () => void;
      const subscribed = new Promise<void>((r) => (onSubscribed = r));
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const f = JSON.parse(data.slice(6)) as { type: string; record?: { n: number } };
          if (f.type === 'subscribed') onSubscribed();
          if (f.type === 'event' && f.record) got.push(f.record.n);
        }
      });
      res.on('error', () => undefined);
      resolve({ localPort: res.socket.localPort!, got, subscribed, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

function websocket(base: string): Promise<RealtimeClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/realtime`);
    const got: number[] = [];
    let onSubscribed!: () => void;
    const subscribed = new Promise<void>((r) => (onSubscribed = r));
    ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as { type: string; record?: { n: number } };
      if (f.type === 'subscribed') onSubscribed();
      if (f.type === 'event' && f.record) got.push(f.record.n);
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', id: 's', collection: 'items' }));
      const localPort = (ws as unknown as { _socket: import('node:net').Socket })._socket.localPort!;
      resolve({ localPort, got, subscribed, close: () => ws.terminate() });
    });
  });
}

/** Which process holds the server side of each connection to `port`: client port -> pid. */
function ownersOf(port: number): Map<number, number> {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  const owners = new Map<number, number>();
  for (const line of out.split('\n')) {
    const peer = /:(\d+)\s+\S*:(\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
    if (peer && Number(peer[1]) === port) owners.set(Number(peer[2]), Number(peer[3]));
  }
  return owners;
}

test('serve --workers 2 on the in-process bus: SSE and WebSocket clients on both workers each get all 100 record events, in order', async (t) => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'strata.yaml'), yaml);
  const s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https', '--workers', '2'], env: { STRATA_LOG_LEVEL: 'warn' } });
  t.after(() => s.stop('SIGKILL'));
  const port = Number(new URL(s.http!).port);
  // Open connections until each worker holds three SSE streams and two WebSockets.
  const want = { sse: 3, ws: 2 };
  const byWorker = new Map<number, { sse: RealtimeClient[]; ws: RealtimeClient[] }>();
  const extra: RealtimeClient[] = [];
  const place = async (kind: 'sse' | 'ws') => {
    const c = await (kind === 'sse' ? sse(s.http!) : websocket(s.http!));
    await c.subscribed;
    const pid = ownersOf(port).get(c.localPort);
    assert.ok(pid, `the kernel names the worker holding connection ${c.localPort}`);
    const held = byWorker.get(pid) ?? { sse: [], ws: [] };
    byWorker.set(pid, held);
    if (held[kind].length < want[kind]) held[kind].push(c);
    else extra.push(c);
  };
  const short = (kind: 'sse' | 'ws') => byWorker.size < 2 || [...byWorker.values()].some((h) => h[kind].length < want[kind]);
  // In batches: connections opened together are spread over the workers accepting them. The kernel picks the
  // worker (SCHED_NONE), and the banner comes when the first worker listens: on a loaded machine the second may
  // still be starting, or the kernel may favour one for a while, so this goes on for up to a minute.
  const until = Date.now() + 60_000;
  for (const kind of ['sse', 'ws'] as const) {
    while (short(kind) && Date.now() < until) {
      await Promise.all([0, 1, 2, 3].map(() => place(kind)));
      for (const c of extra.splice(0)) c.close();
      if (short(kind)) await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.equal(byWorker.size, 2, 'connections reached both workers');
  const clients = [...byWorker.values()].flatMap((h) => [...h.sse, ...h.ws]);
  assert.equal(clients.length, 10);

  const expected = Array.from({ length: 100 }, (_, i) => i);
  for (const n of expected) {
    const r = await fetch(`${s.http}/api/collections/items/records`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ n }) });
    assert.equal(r.status, 201, await r.text());
  }
  // Every event is on its way once written; wait (bounded) until every client has them all.
  for (let waited = 0; waited < 600 && clients.some((c) => c.got.length < expected.length); waited++) await new Promise((r) => setTimeout(r, 100));
  for (const [pid, held] of byWorker) {
    for (const c of held.sse) assert.deepEqual(c.got, expected, `SSE client on worker ${pid}`);
    for (const c of held.ws) assert.deepEqual(c.got, expected, `WebSocket client on worker ${pid}`);
  }
  for (const c of clients) c.close();
  assert.equal(await s.stop('SIGTERM'), 0);
});
