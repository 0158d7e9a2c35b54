// The README's first two commands are the product's front door: keep them true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import http from 'node:http';
import { ROOT, tempDir } from './helpers/strata-process.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

test('README starts with the install-and-run command and npm test', () => {
  const block = readme.match(/```sh\n([\s\S]*?)```/)?.[1] ?? '';
  const lines = block.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  assert.match(lines[0], /^npm ci && npm start\b/);
  assert.match(lines[1], /^npm test\b/);
  assert.ok(readme.indexOf('```sh') < 300, 'the commands come first');
});

test('`npm start` serves on the embedded defaults (run here with free ports and a temp data dir)', async () => {
  const data = tempDir();
  const p = spawn('npm', ['start', '--', '--port', '0', '--https-port', '0', '--data-dir', data], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' }, detached: true });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  for (let i = 0; i < 300 && !/ health: .*\n/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  const url = out.match(/listening on (http:\/\/\S+)/)?.[1];
  assert.ok(url, out);
  const status = await new Promise<number>((resolve, reject) => http.get(`${url}/healthz`, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject));
  assert.equal(status, 200);
  // the admin UI is served with no build command of its own (built from admin-ui/ on its first request)
  const ui = await new Promise<{ status: number; type: string }>((resolve, reject) => http.get(`${url}/_/`, (res) => (res.resume(), resolve({ status: res.statusCode!, type: String(res.headers['content-type']) }))).on('error', reject));
  assert.deepEqual(ui, { status: 200, type: 'text/html; charset=utf-8' });
  assert.ok(readFileSync(join(data, 'tls', 'dev-ca.pem'), 'utf8').includes('BEGIN CERTIFICATE'), 'dev certificate made on first run');
  // Ctrl-C in a terminal: SIGINT to the whole process group (npm, sh, node).
  process.kill(-p.pid!, 'SIGINT');
  await exited;
  for (let i = 0; i < 50 && !/"msg":"stopped"/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(out, /"msg":"stopped"/, 'Strata shut down cleanly');
  await assert.rejects(new Promise((resolve, reject) => http.get(`${url}/healthz`, resolve).on('error', reject)));
});
