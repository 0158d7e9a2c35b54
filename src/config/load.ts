// Loads config: defaults < strata.yaml/.json (or --config) < STRATA_* env < CLI flags.
// Unknown keys and wrong types stop start-up with a one-line message.
import cluster from 'node:cluster';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type StrataConfig } from './schema.js';
import { coerce, configLeaves, describeType, type ConfigLeaf } from './schema-walk.js';
import { ConfigError } from './errors.js';
import { isRenamed, renamedFromEnv, resolveRenamed, takeRenamedFromFile, type RenamedValue } from './load-renamed.js';

export interface LoadOptions {
  /** Explicit config file (`--config`); when absent, strata.yaml, strata.yml or strata.json in cwd. */
  file?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Dotted keys set by CLI flags, as strings (coerced like env values) or typed values. */
  overrides?: Record<string, unknown>;
  /** Where warnings go (a renamed key still in use); default one line each on stderr. */
  warn?: (message: string) => void;
}

export interface LoadedConfig {
  config: StrataConfig;
  /** Where each explicitly set key came from, for messages. */
  sources: Map<string, string>;
  file?: string;
  /** Warnings given while loading (renamed keys still in use). */
  warnings: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setPath(target: Obj, key: string, value: unknown): void {
  const parts = key.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObj(o[p])) o[p] = {};
    o = o[p] as Obj;
  }
  o[parts[parts.length - 1]] = value;
}

function getPath(target: unknown, key: string): unknown {
  let o: unknown = target;
  for (const p of key.split('.')) o = isObj(o) ? o[p] : undefined;
  return o;
}

function readFile(path: string): Obj {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('config', `config: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError('config', `config: ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) return {};
  if (!isObj(data)) throw new ConfigError('config', `config: ${path} must hold a mapping of keys at the top level`);
  return data;
}

function findFile(cwd: string): string | undefined {
  for (const name of ['strata.yaml', 'strata.yml', 'strata.json']) {
    const p = resolve(cwd, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function leafFor(key: string, leaves: ConfigLeaf[]): ConfigLeaf | undefined {
  return leaves.find((l) => l.key === key);
}

/** Reports the first unknown key in `data`, walking alongside the schema. */
function checkUnknown(data: Obj, leaves: ConfigLeaf[], source: string, prefix = ''): void {
  for (const [k, v] of Object.entries(data)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (leafFor(key, leaves)) continue;
    const isSection = leaves.some((l) => l.key.startsWith(key + '.'));
    if (!isSection) {
      const near = leaves.map((l) => l.key).filter((l) => l.split('.').pop()?.toLowerCase() === k.toLowerCase() || l.startsWith(prefix ? prefix + '.' : ''));
      const hint = near.length > 0 && near.length < 12 ? ` (known here: ${near.map((n) => n.split('.').slice(prefix ? prefix.split('.').length : 0)[0]).filter((x, i, a) => a.indexOf(x) === i).join(', ')})` : '';
      throw new ConfigError(key, `config: unknown key ${key} in ${source}${hint}`);
    }
    if (!isObj(v)) throw new ConfigError(key, `config: ${key} in ${source} must be a mapping of keys, got ${JSON.stringify(v)}`);
    checkUnknown(v, leaves, source, key);
  }
}

/**
 * Builds the effective config.
 *
 * @example
 * const { config } = loadConfig({ overrides: { 'server.http.port': 9000 } });
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const leaves = configLeaves();
  const sources = new Map<string, string>();
  const raw: Obj = {};
  const renamed: RenamedValue[] = [];

  const file = opts.file ? resolve(cwd, opts.file) : findFile(cwd);
  if (opts.file && !existsSync(file!)) throw new ConfigError('config', `config: --config ${opts.file}: no such file`);
  if (file) {
    const data = readFile(file);
    renamed.push(...takeRenamedFromFile(data, file));
    checkUnknown(data, leaves, file);
    for (const leaf of leaves) {
      const v = getPath(data, leaf.key);
      if (v !== undefined) {
        setPath(raw, leaf.key, v);
        sources.set(leaf.key, file);
      }
    }
  }
  for (const leaf of leaves) {
    const v = env[leaf.env];
    if (v !== undefined && v !== '') {
      setPath(raw, leaf.key, coerce(v, leaf.schema));
      sources.set(leaf.key, leaf.env);
    }
  }
  renamed.push(...renamedFromEnv(env, (v, key) => coerce(v, leafFor(key, leaves)!.schema)));
  for (const [key, v] of Object.entries(opts.overrides ?? {})) {
    if (v === undefined) continue;
    if (isRenamed(key)) {
      renamed.push({ old: key, value: v, source: 'the command line' });
      continue;
    }
    const leaf = leafFor(key, leaves);
    if (!leaf) throw new ConfigError(key, `config: unknown key ${key} (from the command line)`);
    setPath(raw, key, typeof v === 'string' ? coerce(v, leaf.schema) : v);
    sources.set(key, 'the command line');
  }

  const { set, warnings } = resolveRenamed(renamed, (key) => (sources.has(key) ? { value: getPath(raw, key), source: sources.get(key)! } : undefined));
  for (const r of set) {
    setPath(raw, r.key, r.value);
    sources.set(r.key, r.source);
  }
  // Cluster workers load the same config again: the primary has said it once.
  const warn = opts.warn ?? ((m: string) => void (cluster.isWorker || process.stderr.write(`strata: warning: ${m}\n`)));
  for (const w of warnings) warn(w);

  const config = Value.Default(ConfigSchema, structuredClone(raw)) as StrataConfig;
  const first = Value.Errors(ConfigSchema, config).First();
  if (first) {
    const key = first.path.replace(/^\//, '').split('/').join('.');
    const leaf = leaves.find((l) => key === l.key || key.startsWith(l.key + '.'));
    const at = leaf?.key ?? key;
    const from = sources.get(at);
    const fromText = from ? ` (from ${from})` : '';
    // Inside a list of objects (collections, routes, rules...), name the item and the property at fault rather
    // than the whole list: "collections.0.fields.0.maxSize: unknown key".
    if (leaf && key !== leaf.key) {
      const what = /^Unexpected property$/.test(first.message) ? 'unknown key' : `invalid: ${first.message.charAt(0).toLowerCase()}${first.message.slice(1)}`;
      throw new ConfigError(at, `config: ${key} = ${JSON.stringify(first.value) ?? 'nothing'}${fromText} is ${what === 'unknown key' ? 'an unknown key here' : what}`);
    }
    const value = getPath(config, at);
    throw new ConfigError(at, `config: ${at} = ${JSON.stringify(value)}${fromText} is invalid: expected ${leaf ? describeType(leaf.schema) : first.message}`);
  }
  return { config, sources, file, warnings };
}
