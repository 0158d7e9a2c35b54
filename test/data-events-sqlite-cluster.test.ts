// Record-change events with two processes on one SQLite file, as cluster workers run: the relays
// share a lease, so only one publishes; every event is published once; when the holder stops, the
// other takes over and publishes what is written after.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordChangeEvent } from '../src/core/index.js';
import { recordEventRelay } from '../src/data/index.js';
import { layerFor } from './data-contract.js';
import { EVENT_COLLECTIONS } from './data-events-contract.js';
import { uniquePrefix } from './data-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-events-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const child = fileURLToPath(new URL('./fixtures/events-relay-child.ts', import.meta.url));

async function until(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('two processes on one SQLite file: one relay publishes everything once; the other takes over when it stops', async () => {
  const prefix = uniquePrefix();
  const layer = layerFor({ url: '', dataDir: dir, prefix }, EVENT_COLLECTIONS, { events: { pollInterval: 20 } });
  await layer.start();
  const mine: RecordChangeEvent[] = [];
  const relay = recordEventRelay(layer, () => ({ publish: async (_t: string, e: RecordChangeEvent) => void mine.push(e) }));
  await relay.start();
  await relay.drain(); // this relay holds the lease from here on
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, prefix, 'child', '20'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => proc.once('exit', r));
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const theirs = () => [...out.matchAll(/^pub (\d+) (\S+)$/gm)].map((m) => ({ seq: Number(m[1]), name: m[2] }));
  try {
    for (let i = 0; i < 20; i++) await layer.records.create('users', { name: `parent-${i}` });
    await until(() => out.includes('wrote') || proc.exitCode !== null, 'the child to write');
    assert.ok(out.includes('wrote'), 'the child wrote its records');
    await until(() => mine.length >= 40, "this relay to publish both processes' writes");
    await new Promise((r) => setTimeout(r, 200)); // time for a wrongful second publisher to show itself
    const seqs = [...mine.map((e) => e.seq), ...theirs().map((e) => e.seq)];
    assert.equal(seqs.length, 40, 'each event published once, by one relay');
    assert.equal(new Set(seqs).size, 40);
    assert.deepEqual(theirs(), [], 'the relay without the lease published nothing');
    assert.deepEqual(mine.map((e) => e.seq), [...mine.map((e) => e.seq)].sort((a, b) => a - b), 'in position order');

    // the holder stops and hands the lease over: the child's relay publishes what comes next
    await relay.stop();
    for (let i = 0; i < 5; i++) await layer.records.create('users', { name: `after-${i}` });
    await until(() => theirs().filter((e) => e.name.startsWith('after-')).length === 5, 'the other relay to take over');
    assert.equal(mine.length, 40, 'the stopped relay published nothing more');
  } finally {
    proc.stdin.end();
    await exited;
    await layer.stop();
  }
});

test('the lease holder is killed with SIGKILL: a relay on the same host takes the lease over at once, not when it expires', async () => {
  const prefix = uniquePrefix();
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, prefix, 'dead', '5'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => proc.once('exit', r));
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await until(() => (out.match(/^pub /gm)?.length ?? 0) >= 5 || proc.exitCode !== null, 'the child to hold the lease and publish');
  assert.equal(out.match(/^pub /gm)?.length, 5, 'the child published its writes (it holds the lease)');
  proc.kill('SIGKILL');
  await exited;

  const layer = layerFor({ url: '', dataDir: dir, prefix }, EVENT_COLLECTIONS, { events: { pollInterval: 20 } });
  await layer.start();
  const state = await layer.db.selectFrom(layer.names.outboxState).select(['name', 'value']).execute();
  const until_ = Number(state.find((r) => r.name === 'relay_until')?.value);
  assert.ok(until_ > Date.now(), 'the dead process left a lease that has not expired');
  const logs: string[] = [];
  const logger = { info: (_o: unknown, msg: string) => void logs.push(msg), warn: () => undefined, error: () => undefined, debug: () => undefined } as never;
  const mine: RecordChangeEvent[] = [];
  const relay = recordEventRelay(layer, () => ({ publish: async (_t: string, e: RecordChangeEvent) => void mine.push(e) }), logger);
  try {
    for (let i = 0; i < 3; i++) await layer.records.create('users', { name: `after-kill-${i}` });
    await relay.start();
    await relay.drain();
    assert.deepEqual(mine.map((e) => e.record.name), ['after-kill-0', 'after-kill-1', 'after-kill-2']);
    assert.ok(logs.includes('outbox relay took over the lease of a process that died'), `took over the dead holder's lease: ${JSON.stringify(logs)}`);
  } finally {
    await relay.stop();
    await layer.stop();
  }
});
