// The command line as a user meets it: help, version, config print/schema,
// usage errors, and bad config that stops start-up with one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runStrata, tempDir, ROOT } from './helpers/strata-process.js';

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

test('--version and --help', async () => {
  const v = await runStrata({ args: ['--version'] });
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), version);
  const h = await runStrata({ args: ['--help'] });
  assert.equal(h.code, 0);
  assert.match(h.stdout, /strata <command>/);
  assert.match(h.stdout, /serve/);
  const sh = await runStrata({ args: ['serve', '--help'] });
  assert.match(sh.stdout, /--workers N\|auto/);
});

test('usage errors say what to type instead, exit 2', async () => {
  const typo = await runStrata({ args: ['srve'] });
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command 'srve'\. Did you mean 'strata serve'\?/);
  const flag = await runStrata({ args: ['serve', '--prot', '1'] });
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /Unknown option '--prot'.*strata serve --help/);
  const set = await runStrata({ args: ['serve', '--set', 'oops'] });
  assert.equal(set.code, 2);
  assert.match(set.stderr, /--set expects KEY=VALUE/);
});

test('config print merges file, env and flags; config schema is JSON Schema', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'strata.yaml'), 'server:\n  http:\n    port: 9100\n');
  const p = await runStrata({ cwd, args: ['config', 'print', '--json', '--set', 'log.level=warn'], env: { STRATA_SERVER_HTTPS_PORT: '9443' } });
  assert.equal(p.code, 0, p.stderr);
  const cfg = JSON.parse(p.stdout);
  assert.equal(cfg.server.http.port, 9100);
  assert.equal(cfg.server.https.port, 9443);
  assert.equal(cfg.log.level, 'warn');
  const y = await runStrata({ cwd, args: ['config', 'print'] });
  assert.match(y.stdout, /port: 9100/);
  const s = await runStrata({ args: ['config', 'schema'] });
  const schema = JSON.parse(s.stdout);
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.server.properties.http.properties.port.default, 8080);
});

async function busyPort(): Promise<{ port: number; close: () => void }> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

test('bad config exits non-zero with one line naming the key', async (t) => {
  const busy = await busyPort();
  t.after(busy.close);
  const cases: Array<[string, { yaml?: string; env?: Record<string, string>; args?: string[] }, RegExp]> = [
    ['unknown key', { yaml: 'server:\n  htp:\n    port: 1\n' }, /^strata: config: unknown key server\.htp in .*strata\.yaml/],
    ['wrong type', { yaml: 'server:\n  bodyLimit: lots\n' }, /^strata: config: server\.bodyLimit = "lots" .* expected integer/],
    ['wrong type from env', { env: { STRATA_SERVER_WORKERS: 'many' } }, /^strata: config: server\.workers = "many" \(from STRATA_SERVER_WORKERS\)/],
    ['port in use', { args: ['serve', '--port', String(busy.port), '--no-https'] }, new RegExp(`^strata: server\\.http\\.port: 127\\.0\\.0\\.1:${busy.port} is already in use`)],
    ['unreadable cert', { yaml: 'server:\n  https:\n    cert: ./missing.pem\n    key: ./missing-key.pem\n' }, /^strata: cannot read TLS certificate .*missing\.pem: ENOENT/],
    ['cert without key', { yaml: 'server:\n  https:\n    cert: ./a.pem\n' }, /^strata: server\.https\.key must be set when server\.https\.cert is/],
  ];
  for (const [name, c, re] of cases) {
    const cwd = tempDir();
    if (c.yaml) writeFileSync(join(cwd, 'strata.yaml'), c.yaml);
    const r = await runStrata({ cwd, env: c.env, args: c.args ?? ['serve', '--port', '0', '--https-port', '0'] });
    assert.notEqual(r.code, 0, `${name}: exit code`);
    assert.match(r.stderr, re, `${name}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line, got ${r.stderr}`);
  }
});

test('an unreadable data directory is reported', async () => {
  const cwd = tempDir();
  mkdirSync(join(cwd, 'ro'));
  writeFileSync(join(cwd, 'ro', 'file'), 'x');
  const r = await runStrata({ cwd, args: ['serve', '--port', '0', '--https-port', '0', '--data-dir', 'ro/file/data'] });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^strata: dataDir: cannot create .*ro\/file\/data: ENOTDIR/);
});

test('strata migrate: dry run, apply, nothing to do, destructive refused then allowed', async () => {
  const cwd = tempDir();
  const yaml = (fields: string) => `collections:\n  - name: posts\n    fields:\n${fields}`;
  writeFileSync(join(cwd, 'strata.yaml'), yaml('      - { name: title, type: text }\n      - { name: body, type: text }\n'));
  const dry = await runStrata({ cwd, args: ['migrate', '--dry-run'] });
  assert.equal(dry.code, 0, dry.stderr);
  // The system collections (_superusers, users) come first on a fresh database.
  assert.match(dry.stdout, /plan \(5 steps\):\n {2}- create collection _superusers\n {2}- create collection users\n {2}- create collection posts\n/);
  assert.doesNotMatch(dry.stdout, /done/);
  const apply = await runStrata({ cwd, args: ['migrate'] });
  assert.equal(apply.code, 0, apply.stderr);
  assert.match(apply.stdout, /\[3\/5\] create collection posts\n/);
  assert.match(apply.stdout, /migrate: done/);
  const again = await runStrata({ cwd, args: ['migrate'] });
  assert.match(again.stdout, /nothing to do/);
  writeFileSync(join(cwd, 'strata.yaml'), yaml('      - { name: title, type: text }\n'));
  const refused = await runStrata({ cwd, args: ['migrate'] });
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /! drop field posts\.body/);
  assert.match(refused.stderr, /^strata: Refusing 1 destructive step\(s\).*--allow-destructive/);
  const allowed = await runStrata({ cwd, args: ['migrate', '--allow-destructive'] });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /migrate: done/);
});

test('strata superuser create: from stdin, refuses weak passwords and duplicates; then no setup link is printed', async () => {
  const { spawn } = await import('node:child_process');
  const { startStrata } = await import('./helpers/strata-process.js');
  const dir = tempDir();
  const run = (args: string[], input: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((res) => {
      const p = spawn(process.execPath, [join(ROOT, 'bin/strata.mjs'), ...args], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('exit', (code) => res({ code, out, err }));
      p.stdin.end(input);
    });
  const weak = await run(['superuser', 'create', '--email', 'root@example.com', '--password-stdin', '-d', 'data'], 'password\n');
  assert.equal(weak.code, 1);
  assert.match(weak.err, /password/);
  const ok = await run(['superuser', 'create', '--email', 'Root@Example.com', '--password-stdin', '-d', 'data'], 'correct horse battery staple 42\n');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /superuser root@example\.com created/);
  assert.ok(!ok.out.includes('correct horse'));
  const dup = await run(['superuser', 'create', '--email', 'root@example.com', '--password-stdin', '-d', 'data'], 'correct horse battery staple 42\n');
  assert.equal(dup.code, 1);
  assert.match(dup.err, /exists/);
  const noEmail = await run(['superuser', 'create', '--password-stdin'], 'x\n');
  assert.equal(noEmail.code, 2);
  const s = await startStrata({ cwd: dir, args: ['serve', '--port', '0', '--no-https', '-d', 'data'] });
  try {
    assert.doesNotMatch(s.output(), /setup:/);
  } finally {
    await s.stop();
  }
});
