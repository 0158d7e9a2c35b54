// Cluster mode: two workers share the ports; a worker killed with SIGKILL is
// replaced while the others keep answering; SIGTERM stops all cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { startStrata } from './helpers/strata-process.js';

function children(pid: number): number[] {
  try {
    // Only Strata workers: tsx may also run an esbuild service as a child.
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('strata.mjs'))
      .map((x) => Number(x.trim().split(/\s+/)[0]))
      .filter((x) => x > 0);
  } catch {
    return [];
  }
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => (res.resume(), resolve(res.statusCode!)));
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 5 s`)));
    req.on('error', reject);
  });
}

async function until(what: string, cond: () => boolean | Promise<boolean>, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('--workers 2: both answer, a SIGKILLed worker is replaced, SIGTERM exits 0', async () => {
  const s = await startStrata({ args: ['serve', '--port', '0', '--https-port', '0', '--workers', '2'] });
  try {
    assert.match(s.output(), /2 workers/);
    const primary = s.proc.pid!;
    await until('two workers', () => children(primary).length === 2);
    const before = children(primary);
    // Every worker accepts from the shared socket: new connections reach both
    // (the kernel decides who; bounded at 300 bursts).
    const answered = () => new Set([...s.output().matchAll(/"pid":(\d+),"reqId"/g)].map((m) => Number(m[1])));
    let sent = 0;
    for (let i = 0; i < 300 && answered().size < 2; i++) {
      sent += 8;
      const burst = await Promise.all(Array.from({ length: 8 }, () => get(`${s.http}/healthz`)));
      assert.deepEqual(burst, Array(8).fill(200));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual([...answered()].sort(), [...before].sort(), 'both workers answered');

    // /metrics on any worker sums every worker's counters.
    const text = await new Promise<string>((resolve, reject) =>
      http.get(`${s.http}/metrics`, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      }).on('error', reject),
    );
    assert.equal(Number(text.match(/strata_http_requests_total\{method="GET",route="\/healthz",status="200"\} (\d+)/)?.[1]), sent, 'cluster-wide count');
    process.kill(before[0], 'SIGKILL');
    // The survivor keeps answering while the primary starts a replacement.
    for (let i = 0; i < 20; i++) assert.equal(await get(`${s.http}/healthz`), 200);
    await until('a replacement worker', () => {
      const now = children(primary);
      return now.length === 2 && !now.includes(before[0]);
    });
    await until('the new worker answering', async () => (await get(`${s.http}/readyz`)) === 200);
    assert.match(s.output(), /worker died; starting a new one/);
  } finally {
    assert.equal(await s.stop('SIGTERM'), 0);
  }
});
