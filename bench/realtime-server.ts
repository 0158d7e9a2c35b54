// One server of the realtime bench (run as a child process, pinned to core 0): `strata` (the
// realtime routes over Fastify + the memory bus), `ws` (bare ws broadcast) or `socketio`.
// Once SUBSCRIBERS clients are subscribed it emits RATE events/s for SECONDS, each a
// RecordChangeEvent-shaped payload stamped with its send time.
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kind = process.argv[2];
process.on('SIGTERM', () => process.exit(0));
const port = Number(process.env.PORT);
const subscribers = Number(process.env.SUBSCRIBERS ?? 1000);
const rate = Number(process.env.RATE ?? 100);
const seconds = Number(process.env.SECONDS ?? 5);
const now = () => performance.timeOrigin + performance.now();

let seq = 0;
const record = { id: 'r0000000000001', title: 'x'.repeat(64), owner: 'bench', views: 0, created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z' };
const next = () => {
  seq++;
  return { id: String(seq).padStart(12, '0'), seq, action: 'update' as const, collection: 'posts', recordId: record.id, record: { ...record, views: seq, sentAt: now() }, at: new Date().toISOString() };
};

function emitWhen(ready: () => boolean, emit: () => void): void {
  const wait = setInterval(() => {
    if (!ready()) return;
    clearInterval(wait);
    const every = 1000 / rate;
    const start = now();
    let sent = 0;
    const tick = setInterval(() => {
      // catch up to the schedule, so timer jitter does not lower the rate
      const due = Math.min(rate * seconds, Math.floor((now() - start) / every));
      while (sent < due) {
        emit();
        sent++;
      }
      if (sent >= rate * seconds) clearInterval(tick);
    }, Math.max(1, Math.floor(every)));
  }, 100);
}

if (kind === 'strata') {
  const { default: Fastify } = await import('fastify');
  const { loadConfig } = await import('../src/config/index.js');
  const { createDataLayer, createRecordAccess } = await import('../src/data/index.js');
  const { memoryBus } = await import('../src/messaging/index.js');
  const { realtimeRoutes } = await import('../src/api/realtime/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-rt-'));
  const config = loadConfig({ cwd: dir, env: {} }).config;
  const data = createDataLayer({ dataDir: dir, data: config.data, collections: [{ name: 'posts', fields: [{ name: 'title', type: 'text' }, { name: 'owner', type: 'text' }, { name: 'views', type: 'integer' }] }] });
  await data.start();
  const bus = memoryBus();
  const app = Fastify();
  app.decorateRequest('auth', null);
  // An open view rule (what a public collection has): no per-event SQL, the same work as a bare broadcast.
  const access = createRecordAccess({ rules: { where: () => undefined }, data: () => data });
  const rt = realtimeRoutes({ bus, access: () => access, auth: { accessTokens: null!, apiKeys: null!, sessions: null! }, config: { ...config.realtime, maxConnections: 100_000, maxBufferBytes: 8 * 1024 * 1024 } });
  await app.register(rt);
  await app.listen({ port, host: '127.0.0.1' });
  emitWhen(
    () => [...rt.hub.connections].filter((c) => c.subs.size > 0).length >= subscribers,
    () => void bus.publish('records.posts.update', next()),
  );
} else if (kind === 'ws') {
  const { WebSocketServer, WebSocket } = await import('ws');
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  server.listen(port, '127.0.0.1');
  emitWhen(
    () => wss.clients.size >= subscribers,
    () => {
      const text = JSON.stringify({ type: 'event', ...next(), subs: ['p'] });
      for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(text);
    },
  );
} else if (kind === 'socketio') {
  const { Server } = await import('socket.io');
  const server = http.createServer();
  const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false });
  server.listen(port, '127.0.0.1');
  emitWhen(
    () => io.engine.clientsCount >= subscribers,
    () => io.emit('event', { type: 'event', ...next(), subs: ['p'] }),
  );
} else {
  throw new Error(`unknown server kind ${kind}`);
}
