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

/**
 * @example
 * await keysCommand(['rotate', '--batch', '200'], deps);
 */
export async function keysCommand(args: string[], deps: KeysCommandDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
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
      },
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
