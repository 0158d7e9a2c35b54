// SIGTERM under load (issue 23 item 5), against a real `strata serve` child process: requests in
// flight finish, requests that reach the server on connections already open are answered (HTTP/1.1:
// then `Connection: close`; HTTP/2: GOAWAY with the last stream id, after the streams already sent),
// only new connections are refused; no client sees a reset and every acknowledged write is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStrata, tempDir } from './helpers/strata-process.js';

const yaml = `
dataDir: ./data
collections:
  - name: items
    fields: [{ name: note, type: text }]
    rules: { list: "", view: "", create: "" }
`;
const PATH = '/api/collections/items/records';

interface Answer {
  status: number;
  connection?: string;
  id?: string;
}

/** One HTTP/1.1 request on `agent`'s connection; `hold` delays the second half of the body. */
function post(base: URL, agent: http.Agent, note: string, hold?: Promise<unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ note });
    const req = http.request({ host: base.hostname, port: base.port, method: 'POST', path: PATH, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const parsed = res.statusCode === 201 ? (JSON.parse(text) as { id: string; note: string }) : undefined;
        if (parsed && parsed.note !== note) return reject(new Error(`answer for ${parsed.note} to ${note}`));
        resolve({ status: res.statusCode!, connection: res.headers.connection, id: parsed?.id });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!hold) return void req.end(body);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    void hold.then(() => req.end(body.slice(half)));
  });
}

/** Resolves once a new TCP connection to `port` is refused: the server has begun its drain. */
async function refused(port: number): Promise<void> {
  for (;;) {
    const code = await new Promise<string | undefined>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(undefined)));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
    });
    if (code === 'ECONNREFUSED') return;
    await new Promise((r) => setImmediate(r));
  }
}

/** Every record stored (id and note), read back from a fresh server on the same data directory. */
async function readBack(cwd: string): Promise<Map<string, string>> {
  const s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https'], env: { STRATA_LOG_LEVEL: 'warn' } });
  try {
    const records = new Map<string, string>();
    let cursor = '';
    for (;;) {
      const r = await fetch(`${s.http}${PATH}?perPage=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const page = (await r.json()) as { items: Array<{ id: string; note: string }>; nextCursor?: string | null };
      for (const it of page.items) records.set(it.id, it.note);
      if (!page.nextCursor) return records;
      cursor = page.nextCursor;
    }
  } finally {
    assert.equal(await s.stop(), 0);
  }
}

for (const [clients, workers] of [[8, 1], [16, 1], [8, 2]]) {
  test(`SIGTERM with ${clients} busy HTTP/1.1 keep-alive clients${workers > 1 ? ` (--workers ${workers})` : ''}: every request sent is answered (then Connection: close), only new connections are refused, every acknowledged write is stored`, async (t) => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'strata.yaml'), yaml);
    const args = ['serve', '--port', '0', '--no-https', ...(workers > 1 ? ['--workers', String(workers)] : [])];
    const s = await startStrata({ cwd, args, env: { STRATA_LOG_LEVEL: 'warn' } });
    t.after(() => s.stop('SIGKILL'));
    const base = new URL(s.http!);
    const acknowledged: string[] = [];
    const errors: string[] = [];
    const afterClose: string[] = [];
    let sigterm!: () => void;
    const drainStarted = new Promise<void>((r) => (sigterm = r));
    let warm!: () => void;
    const warmedUp = new Promise<void>((r) => (warm = r));
    let busyRequests = 0;

    const record = (who: string, a: Answer) => {
      if (a.status !== 201) errors.push(`${who}: ${a.status}`);
      if (a.id) acknowledged.push(a.id);
    };
    // After the server said Connection: close, a new connection is refused, or (when the kernel had
    // queued it before the last process holding the port stopped listening) reset unread: its write
    // must not be stored. Never answered, never hung.
    const unread: string[] = [];
    const tryNewConnection = async (who: string) => {
      const agent = new http.Agent({ keepAlive: false });
      await post(base, agent, `${who}-new`).then(
        (a) => afterClose.push(`${who}: new connection answered ${a.status}`),
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ECONNRESET') unread.push(`${who}-new`);
          else if (e.code !== 'ECONNREFUSED') afterClose.push(`${who}: new connection ${e.code}`);
        },
      );
    };
    // Busy: request after request on one keep-alive connection until the server says close.
    const busy = async (c: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; ; i++) {
          const a = await post(base, agent, `busy${c}-${i}`);
          record(`busy${c}-${i}`, a);
          if (++busyRequests === clients * 20) warm();
          if (a.connection === 'close') break;
          if (a.connection !== 'keep-alive') errors.push(`busy${c}-${i}: connection ${a.connection}`);
        }
        await tryNewConnection(`busy${c}`);
      } catch (e) {
        errors.push(`busy${c}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      } finally {
        agent.destroy();
      }
    };
    // Mid-flight: half the body is sent before SIGTERM, the rest once new connections are refused.
    const midFlight = async (c: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        record(`mid${c}-warm`, await post(base, agent, `mid${c}-warm`));
        await warmedUp;
        const a = await post(base, agent, `mid${c}`, drainStarted);
        record(`mid${c}`, a);
        if (a.connection !== 'close') errors.push(`mid${c}: connection ${a.connection}`);
      } catch (e) {
        errors.push(`mid${c}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      } finally {
        agent.destroy();
      }
    };
    // Just sent: a keep-alive connection idle at SIGTERM carries a request once new connections are refused.
    const justSent = async (c: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        record(`just${c}-warm`, await post(base, agent, `just${c}-warm`));
        await drainStarted;
        const a = await post(base, agent, `just${c}`);
        record(`just${c}`, a);
        if (a.connection !== 'close') errors.push(`just${c}: connection ${a.connection}`);
      } catch (e) {
        errors.push(`just${c}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      } finally {
        agent.destroy();
      }
    };
    const quarter = clients / 4;
    const all = Promise.all([
      ...Array.from({ length: clients / 2 }, (_, c) => busy(c)),
      ...Array.from({ length: quarter }, (_, c) => midFlight(c)),
      ...Array.from({ length: quarter }, (_, c) => justSent(c)),
    ]);
    await warmedUp;
    s.proc.kill('SIGTERM');
    await refused(Number(base.port));
    sigterm();
    await all;
    assert.equal(await s.exited, 0);
    assert.deepEqual(errors, [], 'every request was answered 201, none reset');
    assert.deepEqual(afterClose, [], 'new connections are refused once draining');
    assert.ok(busyRequests >= clients * 20);
    const ids = await readBack(cwd);
    const missing = acknowledged.filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], `every acknowledged write is stored (${acknowledged.length} acknowledged)`);
    const notes = new Set(ids.values());
    assert.deepEqual(unread.filter((n) => notes.has(n)), [], 'a reset new connection was not read');
  });
}

test('SIGTERM with busy HTTP/2 sessions: GOAWAY names the last stream, every stream up to it is answered (in-flight ones too), later ones are refused unprocessed, every acknowledged write is stored', async (t) => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'strata.yaml'), yaml);
  const s = await startStrata({ cwd, args: ['serve', '--port', '0', '--https-port', '0'], env: { STRATA_LOG_LEVEL: 'warn' } });
  t.after(() => s.stop('SIGKILL'));
  const origin = s.https!.replace('127.0.0.1', 'localhost');
  const ca = readFileSync(s.ca!);
  interface Outcome {
    session: number;
    note: string;
    stream: number;
    status?: number;
    id?: string;
    error?: string;
  }
  const outcomes: Outcome[] = [];
  let opened = 0;
  let warm!: () => void;
  const warmedUp = new Promise<void>((r) => (warm = r));
  let sigterm!: () => void;
  const drainStarted = new Promise<void>((r) => (sigterm = r));

  /** One stream; undefined when the session no longer takes new streams (it has read a GOAWAY). */
  const stream = (k: number, note: string, hold?: Promise<unknown>): Promise<Outcome> | undefined => {
    let req: http2.ClientHttp2Stream;
    try {
      req = sessions[k].request({ ':method': 'POST', ':path': PATH, 'content-type': 'application/json' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_HTTP2_GOAWAY_SESSION' || (e as NodeJS.ErrnoException).code === 'ERR_HTTP2_INVALID_SESSION') return undefined;
      throw e;
    }
    opened++;
    return new Promise((resolve) => {
      const o: Outcome = { session: k, note, stream: 0 };
      outcomes.push(o);
      let text = '';
      req.setEncoding('utf8');
      req.on('response', (h) => (o.status = Number(h[':status'])));
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        o.stream = req.id!;
        if (o.status === 201) {
          const parsed = JSON.parse(text) as { id: string; note: string };
          if (parsed.note !== note) o.error = `answer for ${parsed.note}`;
          o.id = parsed.id;
        }
        resolve(o);
      });
      req.on('error', (e) => {
        o.stream = req.id ?? -1;
        o.error = e.message;
        resolve(o);
      });
      const body = JSON.stringify({ note });
      if (!hold) return void req.end(body);
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      void hold.then(() => req.end(body.slice(half)));
    });
  };

  const sessions = Array.from({ length: 4 }, () => http2.connect(origin, { ca }));
  const goaways: Array<Array<{ code: number; last: number }>> = sessions.map(() => []);
  sessions.forEach((session, k) => session.on('goaway', (code, last) => goaways[k].push({ code, last })));
  // Four streams at a time per session, each opening the next as soon as it is answered.
  const busy = async (k: number, lane: number) => {
    for (let i = 0; ; i++) {
      const o = await stream(k, `s${k}l${lane}-${i}`);
      if (!o || o.error) break;
      if (opened === 400) warm();
    }
  };
  // A stream the server has received (a stream opened after it on the same connection was answered)
  // with half its body at SIGTERM; the rest is sent once the server no longer accepts connections.
  const midFlight = async (k: number) => {
    await warmedUp;
    const mid = stream(k, `s${k}-mid`, drainStarted);
    await stream(k, `s${k}-after-mid`);
    received();
    await mid;
  };
  let receivedCount = 0;
  let allReceived!: () => void;
  const midsReceived = new Promise<void>((r) => (allReceived = r));
  const received = () => ++receivedCount === sessions.length && allReceived();

  const all = Promise.all(sessions.flatMap((_, k) => [...[0, 1, 2, 3].map((lane) => busy(k, lane)), midFlight(k)]));
  await midsReceived;
  s.proc.kill('SIGTERM');
  await refused(Number(new URL(s.https!).port));
  sigterm();
  await all;
  for (const session of sessions) session.close();
  assert.equal(await s.exited, 0);

  const stored = new Set((await readBack(cwd)).values());
  const problems: string[] = [];
  for (const [k, g] of goaways.entries()) {
    // first the highest stream id (RFC 9113 §6.8), then (unless the client had already gone) the last one taken
    if (g.length === 0 || g[0].last !== 2 ** 31 - 1 || g.some((x) => x.code !== http2.constants.NGHTTP2_NO_ERROR)) problems.push(`session ${k}: GOAWAY frames ${JSON.stringify(g)}`);
  }
  for (const o of outcomes) {
    const last = goaways[o.session].at(-1)?.last ?? 0;
    if (o.status === 201 && !o.error) {
      if (!stored.has(o.note)) problems.push(`${o.note}: acknowledged but not stored`);
      if (o.stream > last) problems.push(`${o.note}: stream ${o.stream} answered above the last stream id ${last}`);
    } else if (o.error && /REFUSED_STREAM/.test(o.error) && (o.stream > last || o.stream <= 0) && !/^s\d+-mid$/.test(o.note)) {
      // never processed: safe to retry, and nothing was written
      if (stored.has(o.note)) problems.push(`${o.note}: refused but stored`);
    } else problems.push(`${o.note} (stream ${o.stream}, last ${last}): ${o.status ?? ''} ${o.error ?? ''}`);
  }
  assert.deepEqual(problems, []);
  const mids = outcomes.filter((o) => /^s\d+-mid$/.test(o.note)).sort((a, b) => a.session - b.session);
  assert.deepEqual(mids.map((o) => [o.note, o.status]), sessions.map((_, k) => [`s${k}-mid`, 201]), 'the in-flight streams finished');
});
