// `strata` command line: parses arguments and calls into server/ and config/.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { ConfigError, ConfigSchema, loadConfig } from '../config/index.js';
import { createLogger } from '../ops/index.js';
import { BACKUP_HELP, COMMANDS, CONFIG_HELP, KEYS_HELP, MAIN_HELP, MIGRATE_HELP, SERVE_HELP, SUPERUSER_HELP, suggest } from './usage.js';
import { keysCommand } from './keys-command.js';

class UsageError extends Error {}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  set: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const SERVE_OPTIONS = {
  ...CONFIG_OPTIONS,
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  'https-port': { type: 'string' },
  'no-https': { type: 'boolean' },
  'no-http': { type: 'boolean' },
  'data-dir': { type: 'string', short: 'd' },
  workers: { type: 'string', short: 'w' },
  'log-level': { type: 'string' },
} satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${msg}. Run 'strata ${command} --help' for the options.`);
  }
}

function overridesFrom(values: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of (values.set as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects KEY=VALUE (e.g. --set server.http.port=9000), got '${kv}'`);
    o[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const str = (k: string) => values[k] as string | undefined;
  if (str('host') !== undefined) o['server.http.host'] = o['server.https.host'] = str('host');
  if (str('port') !== undefined) o['server.http.port'] = str('port');
  if (str('https-port') !== undefined) o['server.https.port'] = str('https-port');
  if (values['no-https']) o['server.https.enabled'] = false;
  if (values['no-http']) o['server.http.enabled'] = false;
  if (str('data-dir') !== undefined) o.dataDir = str('data-dir');
  if (str('workers') !== undefined) o['server.workers'] = str('workers');
  if (str('log-level') !== undefined) o['log.level'] = str('log-level');
  return o;
}

async function serve(args: string[]): Promise<number | undefined> {
  const { values, positionals } = parse(args, SERVE_OPTIONS, 'serve');
  if (values.help) return print(SERVE_HELP);
  if (positionals.length > 0) throw new UsageError(`'strata serve' takes no arguments, got '${positionals[0]}'. Run 'strata serve --help'.`);
  const { config } = loadConfig({ file: values.config, overrides: overridesFrom(values) });
  const log = createLogger(config);
  // Loaded here, not at the top: --help, --version and config commands stay fast.
  const { runServe } = await import('../server/index.js');
  await runServe(config, log, { version: version() });
  return undefined; // keeps running until a signal
}

async function migrate(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...CONFIG_OPTIONS, 'data-dir': { type: 'string', short: 'd' }, 'dry-run': { type: 'boolean' }, 'allow-destructive': { type: 'boolean' } }, 'migrate');
  if (values.help) return print(MIGRATE_HELP);
  if (positionals.length > 0) throw new UsageError(`'strata migrate' takes no arguments, got '${positionals[0]}'. Run 'strata migrate --help'.`);
  const overrides = overridesFrom(values);
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  const { config } = loadConfig({ file: values.config, overrides });
  const { migrateCommand } = await import('../data/index.js');
  const result = await migrateCommand({
    dataDir: resolve(config.dataDir),
    data: config.data,
    collections: config.collections,
    allowDestructive: values['allow-destructive'] || undefined,
    dryRun: values['dry-run'],
    out: (line) => process.stdout.write(line + '\n'),
  });
  // Refused destructive steps leave the database behind the declaration: say so in the exit code.
  return !values['dry-run'] && result.plan.length > 0 && !result.applied ? 1 : 0;
}

/** Reads all of stdin (for --password-stdin), without the trailing newline. */
async function readStdin(): Promise<string> {
  let s = '';
  for await (const chunk of process.stdin) s += chunk;
  return s.replace(/\r?\n$/, '');
}

/** Asks for a secret on the terminal without echoing it. */
async function promptSecret(question: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void };
  let asked = false;
  out._writeToOutput = (s: string) => {
    if (!asked) {
      asked = true;
      process.stdout.write(s);
    }
  };
  try {
    return await new Promise<string>((res) => rl.question(question, res));
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

async function superuser(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...CONFIG_OPTIONS, 'data-dir': { type: 'string', short: 'd' }, email: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, 'superuser');
  if (values.help || positionals[0] === undefined) return print(SUPERUSER_HELP);
  if (positionals[0] !== 'create' || positionals.length > 1) throw new UsageError(`unknown superuser command '${positionals.join(' ')}'. Run 'strata superuser --help'.`);
  const email = values.email;
  if (!email) throw new UsageError("'strata superuser create' needs --email ADDRESS.");
  let password: string;
  if (values['password-stdin']) password = await readStdin();
  else if (process.stdin.isTTY) {
    password = await promptSecret('Password (at least 12 characters): ');
    if ((await promptSecret('Repeat the password: ')) !== password) throw new UsageError('the passwords differ.');
  } else throw new UsageError('give the password on stdin with --password-stdin, or run on a terminal to be asked.');
  const overrides = overridesFrom(values);
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  const { config } = loadConfig({ file: values.config, overrides });
  const { superuserCreate } = await import('../server/index.js');
  const { StrataError } = await import('../core/index.js');
  try {
    await superuserCreate(config, { email, password, out: (line) => process.stdout.write(line + '\n') });
  } catch (e) {
    if (!(e instanceof StrataError)) throw e;
    const fields = (e.errors ?? []).map((x) => `${x.field}: ${x.message}`).join('; ');
    process.stderr.write(`strata: ${e.detail}${fields ? ` (${fields})` : ''}\n`);
    return 1;
  }
  return 0;
}

function configCommand(args: string[]): number {
  const { values, positionals } = parse(args, { ...CONFIG_OPTIONS, json: { type: 'boolean' } }, 'config');
  const sub = positionals[0];
  if (values.help || sub === undefined) return print(CONFIG_HELP);
  if (sub === 'schema') return print(JSON.stringify(ConfigSchema, null, 2));
  if (sub === 'print') {
    const { config } = loadConfig({ file: values.config, overrides: overridesFrom(values) });
    return print(values.json ? JSON.stringify(config, null, 2) : toYaml(config).trimEnd());
  }
  const hint = suggest(sub, ['print', 'schema']);
  throw new UsageError(`unknown config command '${sub}'.${hint ? ` Did you mean 'strata config ${hint}'?` : ''} Run 'strata config --help'.`);
}

function print(text: string): number {
  process.stdout.write(text + '\n');
  return 0;
}

/** Runs the CLI; returns an exit code, or undefined when a server keeps running. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case '-h':
      case '--help':
        return print(MAIN_HELP);
      case 'help':
        return print(rest[0] === 'serve' ? SERVE_HELP : rest[0] === 'config' ? CONFIG_HELP : rest[0] === 'migrate' ? MIGRATE_HELP : rest[0] === 'superuser' ? SUPERUSER_HELP : rest[0] === 'keys' ? KEYS_HELP : rest[0] === 'gateway' ? (await import('./gateway-command.js')).GATEWAY_HELP : rest[0] === 'backup' || rest[0] === 'restore' ? BACKUP_HELP : MAIN_HELP);
      case '-v':
      case '--version':
      case 'version':
        return print(version());
      case 'serve':
        return await serve(rest);
      case 'config':
        return configCommand(rest);
      case 'migrate':
        return await migrate(rest);
      case 'superuser':
        return await superuser(rest);
      case 'keys':
        return await keysCommand(rest, { load: (file, overrides) => loadConfig({ file, overrides }).config, overrides: overridesFrom, usage: (m) => new UsageError(m), help: KEYS_HELP });
      case 'backup':
      case 'restore':
        return await (await import('./backup-command.js')).backupCommand(cmd, rest, { load: (file, overrides) => loadConfig({ file, overrides }), overrides: overridesFrom, usage: (m) => new UsageError(m), readStdin, version: version(), help: BACKUP_HELP });
      case 'gateway':
        return await (await import('./gateway-command.js')).gatewayCommand(rest, { usage: (m) => new UsageError(m), readStdin, promptSecret, out: (line) => void print(line) });
      case 'init':
        return await (await import('./functions-commands.js')).initCommand(rest);
      case 'build':
        return await (await import('./functions-commands.js')).buildCommand(rest);
      case 'gen':
        return await (await import('./functions-commands.js')).genCommand(rest);
      default: {
        const hint = cmd.startsWith('-') ? undefined : suggest(cmd, COMMANDS);
        throw new UsageError(
          cmd.startsWith('-')
            ? `unknown option '${cmd}'. Options come after a command, e.g. 'strata serve ${cmd}'. Run 'strata --help'.`
            : `unknown command '${cmd}'.${hint ? ` Did you mean 'strata ${hint}'?` : ''} Run 'strata --help' for the commands.`,
        );
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`strata: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`strata: ${e.message}\n`);
      return 1;
    }
    // A StrataError at start-up (bad collection declarations, say) lists its field errors on the same line.
    const fields = (e as { errors?: Array<{ field: string; message: string }> }).errors;
    const detail = Array.isArray(fields) && fields.length > 0 ? ': ' + fields.map((f) => `${f.field}: ${f.message}`).join('; ') : '';
    process.stderr.write(`strata: ${(e as Error).message.replace(/\.$/, '')}${detail}\n`);
    return 1;
  }
}
