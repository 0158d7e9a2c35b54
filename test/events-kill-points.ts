// kill -9 at a point of the outbox relay's loop (issue 23 item 1), shared by events-kill-*.test.ts: the server runs with
// STRATA_CRASH_AT, freezes at that point and is killed with a real SIGKILL, is restarted (and killed
// again at the same point while it publishes the backlog), then runs clean. Every acknowledged
// write must have reached the webhook delivery queue (an attempt in the delivery log) and the
// function subscriber on `records.items.*` (which takes a little time per event).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteWebhookStore } from '../src/messaging/index.js';
import { BIN, ROOT, tempDir } from './helpers/strata-process.js';


const yaml = `
dataDir: ./data
collections:
  - name: items
    fields: [{ name: n, type: integer }]
    rules: { create: "" }
`;

const subscriber = `
import { appendFileSync } from 'node:fs';
import { defineSubscriber } from 'strata/functions';
export const seen = defineSubscriber({
  topic: 'records.items.*',
  async handler(event: any) {
    await new Promise((r) => setTimeout(r, 2)); // a subscriber that takes a little time
    appendFileSync(process.env.SEEN_FILE!, event.recordId + '\\n');
  },
});
`;

interface Run {
  /** Resolves with the base URL once listening (undefined if it froze or died first). */
  listening: Promise<string | undefined>;
  crashed: Promise<void>;
  exited: Promise<void>;
  kill(): void;
  stderr(): string;
}

function run(cwd: string, crashAt: string | undefined): Run {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), NODE_OPTIONS: '', STRATA_LOG_LEVEL: 'warn', SEEN_FILE: join(cwd, 'seen.txt') };
  if (crashAt) env.STRATA_CRASH_AT = crashAt;
  else delete env.STRATA_CRASH_AT;
  const p = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-https'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onCrash: () => void = () => undefined;
  const crashed = new Promise<void>((r) => (onCrash = r));
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  const listening = new Promise<string | undefined>((resolve) => {
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m && / health: /.test(out)) resolve(m[1]);
    });
    p.once('exit', () => resolve(undefined));
  });
  p.stderr.on('data', (d) => {
    err += d;
    if (/crash point \S+ reached/.test(err)) onCrash();
  });
  return { listening, crashed, exited, kill: () => p.kill('SIGKILL'), stderr: () => err };
}

/** Creates records from 4 clients until `max` are acknowledged or the server stops answering. */
async function write(url: string, acked: Set<string>, max: number, stop: { now: boolean }): Promise<void> {
  let n = 0;
  const client = async () => {
    while (!stop.now && n < max) {
      n++;
      try {
        const r = await fetch(`${url}/api/collections/items/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
        const body = (await r.json()) as { id?: string };
        if (r.status === 201 && body.id) acked.add(body.id);
      } catch {
        return; // killed: this request was never acknowledged
      }
    }
  };
  await Promise.all([client(), client(), client(), client()]);
}

async function phase(cwd: string, crashAt: string | undefined, acked: Set<string>, writes: number): Promise<{ crashed: boolean }> {
  const r = run(cwd, crashAt);
  let crashed = false;
  const killed = r.crashed.then(() => {
    crashed = true;
    r.kill(); // the real thing: SIGKILL while frozen at the crash point
  });
  const url = await Promise.race([r.listening, killed.then(() => undefined)]);
  const stop = { now: false };
  if (url) await Promise.race([write(url, acked, writes, stop), killed]);
  stop.now = true;
  if (crashAt) await Promise.race([killed, r.exited]);
  else r.kill();
  await r.exited;
  return { crashed };
}

/** One kill point: run, killed there twice (while writing, then on the backlog), then a clean run that must deliver everything. */
export async function killAt(point: string): Promise<void> {
  {
    const cwd = tempDir('strata-killpoint-');
    writeFileSync(join(cwd, 'strata.yaml'), yaml);
    mkdirSync(join(cwd, 'functions'));
    writeFileSync(join(cwd, 'functions', 'seen.mts'), subscriber);
    mkdirSync(join(cwd, 'node_modules'));
    symlinkSync(ROOT, join(cwd, 'node_modules', 'strata'), 'dir');
    mkdirSync(join(cwd, 'data'), { mode: 0o700 });
    const store = sqliteWebhookStore(join(cwd, 'data', 'webhooks.db'));
    // loopback targets are refused by the default policy: each attempt is logged with that error,
    // which shows the event became a delivery job
    const hook = await store.create({ topics: 'records.items.*', url: 'https://127.0.0.1:9/hook' });
    await store.close();

    const acked = new Set<string>();
    const t0 = Date.now();
    // killed at the 3rd pass that reaches the point, with writes going on
    assert.equal((await phase(cwd, `${point}:3`, acked, 400)).crashed, true, 'the first run reached the crash point');
    // killed again at the same point, on the first pass after the restart: the backlog
    assert.equal((await phase(cwd, `${point}:1`, acked, 200)).crashed, true, 'the restart reached the crash point');
    assert.ok(acked.size > 0, 'writes were acknowledged before the kills');
    if (process.env.KP_DEBUG) console.log('phases', Date.now() - t0, acked.size);

    // a clean run delivers what is left
    const r = run(cwd, undefined);
    try {
      assert.ok(await r.listening, `the clean run started: ${r.stderr()}`);
      const data = new Database(join(cwd, 'data', 'data.db'), { readonly: true });
      const outbox = (data.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%strata_outbox'").get() as { name: string }).name;
      const eventOf = new Map((data.prepare(`SELECT seq, record_id FROM "${outbox}"`).all() as { seq: number; record_id: string }[]).map((x) => [x.record_id, String(x.seq).padStart(16, '0')]));
      data.close();
      const missing = () => {
        const seen = new Set(existsSync(join(cwd, 'seen.txt')) ? readFileSync(join(cwd, 'seen.txt'), 'utf8').split('\n') : []);
        const hooks = new Database(join(cwd, 'data', 'webhooks.db'), { readonly: true });
        const delivered = new Set((hooks.prepare('SELECT DISTINCT event_id FROM strata_webhook_deliveries WHERE subscription_id = ?').all(hook.id) as { event_id: string }[]).map((x) => x.event_id));
        hooks.close();
        return {
          subscriber: [...acked].filter((id) => !seen.has(id)),
          webhook: [...acked].filter((id) => !delivered.has(eventOf.get(id) ?? '')),
          noEvent: [...acked].filter((id) => !eventOf.has(id)),
        };
      };
      let m = missing();
      for (let i = 0; i < 600 && (m.subscriber.length > 0 || m.webhook.length > 0); i++) {
        await new Promise((res) => setTimeout(res, 100));
        m = missing();
        if (process.env.KP_DEBUG && i % 20 === 0) console.log('progress', Date.now() - t0, m.subscriber.length, m.webhook.length);
      }
      if (process.env.KP_DEBUG) console.log('verified', Date.now() - t0, m.subscriber.length, m.webhook.length);
      assert.deepEqual(m.noEvent, [], 'every acknowledged write has its outbox event');
      assert.deepEqual(m.subscriber, [], `${m.subscriber.length} of ${acked.size} acknowledged writes never reached the subscriber`);
      assert.deepEqual(m.webhook, [], `${m.webhook.length} of ${acked.size} acknowledged writes got no webhook delivery`);
    } finally {
      r.kill();
      await r.exited;
    }
  }
}
