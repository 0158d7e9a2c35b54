// `strata build` and `strata gen client`: thin argument handling over src/functions.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';

export const BUILD_HELP = `Usage: strata build [options]

Type-checks the functions directory (tsc --noEmit) and compiles each function file to an
ES module with esbuild. Serve the output in production with --set functions.dir=<out>.

Options:
  -c, --config PATH     Config file
      --out DIR         Output directory (default: dist/functions)
      --no-typecheck    Skip tsc (syntax errors still fail the build)
      --set KEY=VALUE   Set any config key (repeatable)
  -h, --help            Show this help`;

export const GEN_HELP = `Usage: strata gen client --out FILE [options]

Writes a typed, fetch-based TypeScript client for the collections and function routes.

Options:
  -c, --config PATH     Config file
  -o, --out FILE        Where to write the client (e.g. ./client.ts)
      --set KEY=VALUE   Set any config key (repeatable)
  -h, --help            Show this help`;

export const INIT_HELP = `Usage: strata init [options]

Prepares the current directory for function files: creates the functions folder (with an
example route) when it is missing, functions/package.json with "type": "module" unless the
project's package.json already says so, and node_modules/strata (a link to this Strata) unless
the strata package already resolves there. What exists is left alone.

Options:
  -c, --config PATH     Config file (functions.dir says where the folder is)
      --set KEY=VALUE   Set any config key (repeatable)
  -h, --help            Show this help`;

const COMMON = { config: { type: 'string', short: 'c' }, set: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } as const;

function sets(values: { set?: string[] }): Record<string, string> {
  const o: Record<string, string> = {};
  for (const kv of values.set ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--set expects KEY=VALUE, got '${kv}'`);
    o[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return o;
}

const say = (line: string) => process.stdout.write(line + '\n');
const fail = (line: string) => process.stderr.write(line + '\n');

/** `strata build`; returns the exit code. */
export async function buildCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, out: { type: 'string' }, 'no-typecheck': { type: 'boolean' } }, strict: true });
  if (values.help) return (say(BUILD_HELP), 0);
  const { config } = loadConfig({ file: values.config, overrides: sets(values) });
  const { buildFunctions } = await import('../functions/index.js');
  const r = await buildFunctions({ dir: resolve(config.functions.dir), outDir: resolve(values.out ?? 'dist/functions'), templates: config.functions.templates, typecheck: !values['no-typecheck'], out: say });
  if (!r.ok) {
    for (const e of r.errors) fail(e);
    fail(`strata: build failed (${r.errors.length} error${r.errors.length === 1 ? '' : 's'})`);
    return 1;
  }
  say(`built ${r.files.length} function file${r.files.length === 1 ? '' : 's'}`);
  return 0;
}

/** `strata gen client`; returns the exit code. */
export async function genCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...COMMON, out: { type: 'string', short: 'o' } }, strict: true, allowPositionals: true });
  if (values.help || positionals[0] !== 'client') return (say(GEN_HELP), values.help ? 0 : 2);
  if (!values.out) return (fail('strata: gen client needs --out FILE'), 2);
  const { config } = loadConfig({ file: values.config, overrides: sets(values) });
  const { normalizeCollections } = await import('../data/index.js');
  const { loadFunctions, generateClient, kindOf } = await import('../functions/index.js');
  const loaded = await loadFunctions(resolve(config.functions.dir));
  if (loaded.errors.length > 0) {
    for (const e of loaded.errors) fail(e.message);
    return 1;
  }
  const routes = loaded.functions.filter((f) => kindOf(f.def) === 'route').map((f) => f.def as never);
  writeFileSync(resolve(values.out), generateClient(normalizeCollections(config.collections), routes));
  say(`wrote ${values.out} (${config.collections.length} collections, ${routes.length} function routes)`);
  return 0;
}

/** `strata init`; returns the exit code. */
export async function initCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON }, strict: true });
  if (values.help) return (say(INIT_HELP), 0);
  const { config } = loadConfig({ file: values.config, overrides: sets(values) });
  const { setupFunctionsDir } = await import('../functions/index.js');
  const strataRoot = fileURLToPath(new URL('../..', import.meta.url));
  const { created } = setupFunctionsDir({ projectDir: process.cwd(), functionsDir: config.functions.dir, strataRoot });
  if (created.length === 0) say('nothing to do: the functions folder is ready');
  for (const line of created) say(`created ${line}`);
  return 0;
}
