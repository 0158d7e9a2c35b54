// `strata keys rotate|list|revoke`: argument parsing only; the work is the server's keysRotate and apiKeysCommand.
import { parseArgs } from 'node:util';

export interface KeysCommandDeps {
  /** Loads the config with the usual precedence (file < env < flags). */
  load(file: string | undefined, overrides: Record<string, unknown>): import('../config/index.js').StrataConfig;
  overrides(values: Record<string, unknown>): Record<string, unknown>;
  usage(message: string): Error;
  help: string;
}

const int = (name: string, v: string | undefined, min: number, max: number, deps: KeysCommandDeps): number | undefined => {
  if (v === undefined) return undefined;
  const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw deps.usage(`--${name} expects an integer from ${min} to ${max}, got '${v}'`);
  return n;
};

const DASH_KEY_ID = /^-[A-Za-z0-9_-]{11}$/;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  set: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  'data-dir': { type: 'string', short: 'd' },
  batch: { type: 'string' },
  'pause-ms': { type: 'string' },
  'no-new-key': { type: 'boolean' },
  account: { type: 'string' },
  collection: { type: 'string' },
  all: { type: 'boolean' },
} as const;
const OPTION_NAMES = new Map<string, { type: string }>(
  Object.entries(OPTIONS).flatMap(([name, o]) => [[`--${name}`, o], ...('short' in o ? [[`-${o.short}`, o] as [string, { type: string }]] : [])]),
);

/**
 * API key ids are 12 base64url characters and keys made before ids were kept alphanumeric at
 * the start may begin with '-': such an argument, when it is neither an option of this command nor
 * an option's value, stays positional instead of being read as short options.
 * @example
 * keyIdsPositional(['revoke', '-sQ3x9aaaaaa', '--account', 'a@b.c']); // ['revoke', '--account', 'a@b.c', '--', '-sQ3x9aaaaaa']
 */
export function keyIdsPositional(args: string[]): string[] {
  if (args.includes('--')) return args;
  const ids: string[] = [];
  const rest: string[] = [];
  args.forEach((a, i) => {
    const valueOf = i > 0 && OPTION_NAMES.get(args[i - 1])?.type === 'string';
    if (!valueOf && DASH_KEY_ID.test(a) && !OPTION_NAMES.has(a)) ids.push(a);
    else rest.push(a);
  });
  return ids.length === 0 ? args : [...rest, '--', ...ids];
}

/**
 * @example
 * await keysCommand(['rotate', '--batch', '200'], deps);
 */
export async function keysCommand(args: string[], deps: KeysCommandDeps): Promise<number> {
  args = keyIdsPositional(args);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (e) {
    throw deps.usage(`${(e as Error).message.replace(/\. To specify a positional argument.*$/, '')}. Run 'strata keys --help' for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(deps.help + '\n');
    return 0;
  }
  if (positionals[0] === 'list' || positionals[0] === 'revoke') return apiKeys(positionals, values, deps);
  if (positionals[0] !== 'rotate' || positionals.length > 1) throw deps.usage(`unknown keys command '${positionals.join(' ')}'. Run 'strata keys --help'.`);
  const batch = int('batch', values.batch, 1, 100_000, deps);
  const pauseMs = int('pause-ms', values['pause-ms'], 0, 60_000, deps);
  const overrides = deps.overrides(values);
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  const config = deps.load(values.config, overrides);
  const { keysRotate } = await import('../server/index.js');
  const r = await keysRotate({
    config,
    batch,
    pauseMs,
    newKey: !values['no-new-key'],
    out: process.stdout,
  });
  process.stdout.write(`keys rotate: ${r.resumed ? 'resumed and finished' : 'done'}; current key ${r.kid}; ${r.rewritten} of ${r.scanned} record(s) rewritten\n`);
  return 0;
}

async function apiKeys(positionals: string[], values: Record<string, unknown>, deps: KeysCommandDeps): Promise<number> {
  const [sub, ...ids] = positionals;
  const account = values.account;
  if (typeof account !== 'string' || account === '') throw deps.usage(`'strata keys ${sub}' needs --account EMAIL|ID.`);
  if (sub === 'list' && (ids.length > 0 || values.all)) throw deps.usage("'strata keys list' takes no key ids.");
  if (sub === 'revoke' && (ids.length === 0) === !values.all) throw deps.usage("'strata keys revoke' needs key ids or --all (not both).");
  const overrides = deps.overrides(values);
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  const config = deps.load(values.config as string | undefined, overrides);
  const { apiKeysCommand } = await import('../server/index.js');
  return apiKeysCommand({
    config,
    account,
    collection: typeof values.collection === 'string' ? values.collection : undefined,
    action: sub === 'list' ? { list: true } : { revoke: ids, all: values.all === true },
    out: (line) => process.stdout.write(line + '\n'),
  });
}
