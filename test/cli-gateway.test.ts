// `strata gateway hash-password` (issue 22 item 10): the hash it prints is what the forward proxy accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parse } from 'yaml';
import { createProxyAuthenticator } from '../src/gateway/index.js';
import { BIN } from './helpers/strata-process.js';

async function run(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [BIN, ...args], { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => (stdout += d));
  p.stderr!.on('data', (d) => (stderr += d));
  if (stdin !== undefined) p.stdin!.end(stdin);
  const [code] = (await once(p, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

test('strata gateway hash-password --password-stdin prints a hash the forward proxy accepts', async () => {
  const r = await run(['gateway', 'hash-password', '--password-stdin'], 'correct horse\n');
  assert.equal(r.code, 0, r.stderr);
  const hash = r.stdout.trim();
  assert.match(hash, /^scrypt\$/);
  const auth = createProxyAuthenticator([{ username: 'alice', passwordHash: hash }]);
  assert.equal(await auth.check(basic('alice', 'correct horse')), 'alice');
  assert.equal(await auth.check(basic('alice', 'wrong')), undefined);
});

test('--username prints a users entry for strata.yaml', async () => {
  const r = await run(['gateway', 'hash-password', '--password-stdin', '--username', 'bob'], 'pw-for-bob');
  assert.equal(r.code, 0, r.stderr);
  const [entry] = parse(r.stdout) as { username: string; passwordHash: string }[];
  assert.equal(entry.username, 'bob');
  assert.equal(await createProxyAuthenticator([entry]).check(basic('bob', 'pw-for-bob')), 'bob');
});

test('usage errors: no password source, unknown subcommand (exit 2); help lists the command', async () => {
  const none = await run(['gateway', 'hash-password']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--password-stdin/);
  const typo = await run(['gateway', 'hash-pasword']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown gateway command/);
  const help = await run(['--help']);
  assert.match(help.stdout, /gateway hash-password/);
});
