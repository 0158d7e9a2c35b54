import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, configLeaves, ConfigError } from './index.js';

const dir = () => mkdtempSync(join(tmpdir(), 'strata-config-'));

test('defaults need no file', () => {
  const { config } = loadConfig({ cwd: dir(), env: {} });
  assert.equal(config.server.http.port, 8080);
  assert.equal(config.server.https.port, 8443);
  assert.equal(config.server.http.host, '127.0.0.1');
  assert.equal(config.dataDir, './strata-data');
});

test('precedence: file < env < flags', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'strata.yaml'), 'server:\n  http:\n    port: 9001\n  bodyLimit: 2048\nlog:\n  level: warn\n');
  const a = loadConfig({ cwd, env: {} }).config;
  assert.equal(a.server.http.port, 9001);
  assert.equal(a.server.bodyLimit, 2048);
  const b = loadConfig({ cwd, env: { STRATA_SERVER_HTTP_PORT: '9002' } }).config;
  assert.equal(b.server.http.port, 9002);
  const c = loadConfig({ cwd, env: { STRATA_SERVER_HTTP_PORT: '9002' }, overrides: { 'server.http.port': '9003' } }).config;
  assert.equal(c.server.http.port, 9003);
  assert.equal(c.log.level, 'warn');
});

test('json config file via --config', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'my.json'), JSON.stringify({ server: { workers: 'auto', trustProxy: '10.0.0.0/8' } }));
  const { config } = loadConfig({ cwd, env: {}, file: 'my.json' });
  assert.equal(config.server.workers, 'auto');
  assert.equal(config.server.trustProxy, '10.0.0.0/8');
});

const bad: Array<[string, Partial<Parameters<typeof loadConfig>[0]> & { yaml?: string }, RegExp]> = [
  ['unknown top-level key', { yaml: 'sever:\n  port: 1\n' }, /unknown key sever/],
  ['unknown nested key', { yaml: 'server:\n  http:\n    prot: 1\n' }, /unknown key server\.http\.prot/],
  ['wrong type in file', { yaml: 'server:\n  http:\n    port: "eighty"\n' }, /server\.http\.port = "eighty" \(from .*strata\.yaml\) is invalid: expected integer 0\.\.65535/],
  ['wrong type in env', { env: { STRATA_SERVER_BODY_LIMIT: 'big' } }, /server\.bodyLimit = "big" \(from STRATA_SERVER_BODY_LIMIT\)/],
  ['out of range', { env: { STRATA_SERVER_HTTP_PORT: '70000' } }, /server\.http\.port = 70000/],
  ['bad enum', { overrides: { 'log.level': 'loud' } }, /log\.level = "loud" \(from the command line\)/],
  ['unknown flag key', { overrides: { 'server.nope': 1 } }, /unknown key server\.nope/],
  ['not yaml', { yaml: 'server: [\n' }, /not valid YAML/],
  ['section not a mapping', { yaml: 'server: 5\n' }, /server in .* must be a mapping/],
  ['missing --config file', { file: 'nope.yaml' }, /--config nope\.yaml: no such file/],
  ['unknown key inside a list item', { yaml: 'collections:\n  - name: posts\n    fields:\n      - { name: cover, type: file, maxSize: 100000 }\n' }, /collections\.0\.fields\.0\.maxSize = 100000 \(from .*strata\.yaml\) is an unknown key here/],
  ['out of range inside a list item', { yaml: 'collections:\n  - name: posts\n    fields:\n      - { name: t, type: text, length: { min: -1 } }\n' }, /collections\.0\.fields\.0\.length\.min = -1 \(from .*strata\.yaml\) is invalid: expected integer to be greater or equal to 0/],
];
for (const [name, o, re] of bad) {
  test(`bad config: ${name}`, () => {
    const cwd = dir();
    if (o.yaml) writeFileSync(join(cwd, 'strata.yaml'), o.yaml);
    assert.throws(() => loadConfig({ cwd, env: o.env ?? {}, overrides: o.overrides, file: o.file }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  });
}

test('every leaf has a description and a unique env name', () => {
  const leaves = configLeaves();
  assert.ok(leaves.length > 20);
  const envs = new Set(leaves.map((l) => l.env));
  assert.equal(envs.size, leaves.length);
  for (const l of leaves) assert.ok(l.description.length > 5, `${l.key} has a description`);
});
