// A start-up failure exits non-zero on its own (a supervisor restarts it), with HTTPS on (the
// default), whichever port is taken, in one process and in cluster mode (issue 23 item 6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { BIN, tempDir } from './helpers/strata-process.js';

async function occupied(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

/** Runs `strata serve`; a process still running after `bound` ms is killed and reported as hung. */
async function serve(args: string[], bound = 60_000): Promise<{ code: number | null; hung: boolean; stderr: string }> {
  const p = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: tempDir(), env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  let hung = false;
  const t = setTimeout(() => ((hung = true), p.kill('SIGKILL')), bound);
  const code = await new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  clearTimeout(t);
  return { code, hung, stderr };
}

test('HTTP port taken, HTTPS on (the default): serve says so and exits 1', async () => {
  const busy = await occupied();
  try {
    const r = await serve(['--host', '127.0.0.1', '--port', String(busy.port), '--https-port', '0']);
    assert.equal(r.hung, false, 'serve still running: it hung after the failure');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`server\\.http\\.port: 127\\.0\\.0\\.1:${busy.port} is already in use`));
  } finally {
    await busy.close();
  }
});

test('HTTPS port taken (the HTTP listener already bound): serve exits 1', async () => {
  const busy = await occupied();
  try {
    const r = await serve(['--host', '127.0.0.1', '--port', '0', '--https-port', String(busy.port)]);
    assert.equal(r.hung, false, 'serve still running: it hung after the failure');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /server\.https\.port: .* is already in use/);
  } finally {
    await busy.close();
  }
});

test('--workers 2 with the HTTP port taken: the primary exits non-zero instead of restarting workers forever', async () => {
  const busy = await occupied();
  try {
    const r = await serve(['--host', '127.0.0.1', '--port', String(busy.port), '--https-port', '0', '--workers', '2'], 120_000);
    assert.equal(r.hung, false, 'serve still running: it hung after the failure');
    assert.notEqual(r.code, 0);
    assert.notEqual(r.code, null);
    assert.match(r.stderr, /is already in use/);
  } finally {
    await busy.close();
  }
});
