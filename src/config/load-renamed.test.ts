// Engine keys renamed to engines.* are still accepted for one release: file, env and flag forms,
// one warning line each, and a clear error when two names of one engine disagree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type LoadOptions } from './index.js';
import { RENAMED_KEYS } from './schema-engines.js';

function load(o: LoadOptions & { yaml?: string }) {
  const cwd = mkdtempSync(join(tmpdir(), 'strata-config-'));
  if (o.yaml) writeFileSync(join(cwd, 'strata.yaml'), o.yaml);
  const warnings: string[] = [];
  const loaded = loadConfig({ cwd, env: o.env ?? {}, overrides: o.overrides, warn: (m) => warnings.push(m) });
  return { ...loaded, warned: warnings };
}

test('engines.* defaults are the old keys\' defaults', () => {
  const { config, warnings } = load({});
  assert.deepEqual(config.engines, {
    redis: { url: 'redis://127.0.0.1:6379' },
    rabbitmq: { url: 'amqp://guest:guest@127.0.0.1:5672' },
    nats: { servers: '127.0.0.1:4222' },
    memcached: { servers: '127.0.0.1:11211' },
  });
  assert.deepEqual(warnings, []);
});

const forms: Array<[string, (old: string, value: string) => LoadOptions & { yaml?: string }, RegExp]> = [
  [
    'file',
    (old, value) => {
      const parts = old.split('.');
      const yaml = parts.map((p, i) => `${'  '.repeat(i)}${p}:${i === parts.length - 1 ? ` ${JSON.stringify(value)}` : ''}`).join('\n') + '\n';
      return { yaml };
    },
    /from .*strata\.yaml/,
  ],
  ['env', (old, value) => ({ env: { [`STRATA_${old.split('.').map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`]: value } }), /from STRATA_/],
  ['flag', (old, value) => ({ overrides: { [old]: value } }), /from the command line/],
];

for (const [form, make, from] of forms) {
  test(`every old key set in the ${form} lands on its engines.* key with one warning`, () => {
    for (const [old, key] of Object.entries(RENAMED_KEYS)) {
      const value = key.endsWith('.servers') ? 'a.example:1,b.example:2' : `${key.startsWith('engines.redis') ? 'redis' : 'amqp'}://${form}.example:1`;
      const { config, warned, warnings, sources } = load(make(old, value));
      const [, engine, leaf] = key.split('.');
      assert.equal((config.engines as Record<string, Record<string, string>>)[engine][leaf], value, old);
      assert.equal(warned.length, 1, old);
      assert.deepEqual(warnings, warned);
      assert.ok(warned[0].includes(old) && warned[0].includes(key) && !warned[0].includes('\n'), warned[0]);
      assert.match(warned[0], from);
      assert.match(sources.get(key) ?? '', new RegExp(old.replaceAll('.', '\\.')));
    }
  });
}

test('two old keys or an old and a new key with the same value: no error, a warning per old key', () => {
  const url = 'redis://same.example:6379';
  const { config, warned } = load({
    yaml: `cache:\n  redis:\n    url: ${url}\nwaf:\n  rateLimit:\n    redisUrl: ${url}\n`,
    env: { STRATA_ENGINES_REDIS_URL: url },
  });
  assert.equal(config.engines.redis.url, url);
  assert.equal(warned.length, 2);
});

test('one old key in the file and the env: the env wins, as for any key', () => {
  const { config } = load({ yaml: 'cache:\n  redis:\n    url: redis://file.example\n', env: { STRATA_CACHE_REDIS_URL: 'redis://env.example' } });
  assert.equal(config.engines.redis.url, 'redis://env.example');
});

const conflicts: Array<[string, LoadOptions & { yaml?: string }, RegExp]> = [
  ['two old keys in the file', { yaml: 'cache:\n  redis:\n    url: redis://a\nmessaging:\n  bus:\n    redis:\n      url: redis://b\n' }, /cache\.redis\.url = "redis:\/\/a" \(from .*strata\.yaml\) and messaging\.bus\.redis\.url = "redis:\/\/b" \(from .*strata\.yaml\) disagree: both set engines\.redis\.url/],
  ['old key in env, new key in file', { yaml: 'engines:\n  nats:\n    servers: n1:4222\n', env: { STRATA_MESSAGING_QUEUE_NATS_SERVERS: 'n2:4222' } }, /messaging\.queue\.nats\.servers = "n2:4222" \(from STRATA_MESSAGING_QUEUE_NATS_SERVERS\) and engines\.nats\.servers = "n1:4222" .*disagree/],
  ['old key as a flag, new key in env', { env: { STRATA_ENGINES_RABBITMQ_URL: 'amqp://x' }, overrides: { 'messaging.bus.rabbitmq.url': 'amqp://y' } }, /messaging\.bus\.rabbitmq\.url = "amqp:\/\/y" \(from the command line\) and engines\.rabbitmq\.url = "amqp:\/\/x" \(from STRATA_ENGINES_RABBITMQ_URL\) disagree/],
  ['two old keys as flags', { overrides: { 'auth.throttle.redisUrl': 'redis://a', 'waf.rateLimit.redisUrl': 'redis://b' } }, /auth\.throttle\.redisUrl .* and waf\.rateLimit\.redisUrl .* disagree/],
];
for (const [name, o, re] of conflicts) {
  test(`conflict stops loading: ${name}`, () => {
    assert.throws(() => load(o), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  });
}

test('a renamed key of the wrong type is reported under its new key, naming the old', () => {
  assert.throws(() => load({ yaml: 'cache:\n  redis:\n    url: 5\n' }), /engines\.redis\.url = 5 \(from .*strata\.yaml, as cache\.redis\.url\) is invalid: expected string/);
});
