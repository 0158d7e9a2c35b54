// Finds function files (functions/**/*.ts, .mts, .js, .mjs) and imports them: TypeScript through
// tsx's tsImport (a fresh module graph per call, which is what hot reload needs), JavaScript
// natively. A broken file becomes a FunctionLoadError with its file and line, never a crash.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuplicateFunctionError, FunctionLoadError } from './errors.js';
import { FUNCTION_KIND, isDefinition, type Definition } from './function-define.js';

export interface LoadedFunction {
  /** Path relative to the functions directory, with `/` separators. */
  file: string;
  exportName: string;
  def: Definition;
}

export interface LoadResult {
  functions: LoadedFunction[];
  errors: FunctionLoadError[];
}

export type ModuleImporter = (absoluteFile: string) => Promise<Record<string, unknown>>;

const SOURCE = /\.(ts|mts|js|mjs)$/;
const SKIP = /(\.d\.ts|\.test\.[mc]?[tj]s|\.spec\.[mc]?[tj]s)$/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const HOOK_ON = /^records\.[A-Za-z_][A-Za-z0-9_]{0,62}\.(before|after)(Create|Update|Delete)$/;
const MAX_FILES = 5000;

/** Function files under `dir`, sorted; folders and files starting with `_` or `.` (shared helpers) are skipped. */
export function findFunctionFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || name.startsWith('_') || name === 'node_modules' || name === 'templates') continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (SOURCE.test(name) && !SKIP.test(name)) out.push(p);
      if (out.length > MAX_FILES) throw new Error(`${dir}: more than ${MAX_FILES} function files`);
    }
  };
  walk(dir);
  return out;
}

/**
 * `fresh` (watch mode): TypeScript through tsx's tsImport, a new module graph on every call, so
 * edited helpers reload too. Otherwise the process's own loader (tsx when `strata` runs from source),
 * sharing modules with the server; tsImport only when no loader handles `.ts`.
 */
/** Set by bin/strata.mjs once it has registered tsx as the process's loader. */
export const TSX_REGISTERED = Symbol.for('strata.tsxRegistered');

/**
 * Whether `import()` of a .ts file compiles it as tsc would: under tsx (bin/strata.mjs registers it), or on a
 * Node with no TypeScript of its own (it refuses the file, and tsImport takes over). Node's own type stripping
 * (on by default from 22.18 and in 24) loads the file but keeps `./x.js` specifiers as they are, which the
 * sources' `./x.ts` files do not answer, and reports syntax errors without a line: tsImport then, always.
 */
function processCompilesTs(): boolean {
  if ((globalThis as Record<symbol, unknown>)[TSX_REGISTERED] === true) return true;
  return !(process.features as { typescript?: unknown }).typescript;
}

export function defaultImporter(opts: { fresh?: boolean } = {}): ModuleImporter {
  const seen = new Map<string, number>();
  const viaTsx = async (url: string) => {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  };
  return async (file) => {
    const url = pathToFileURL(file).href;
    const ts = /\.m?ts$/.test(file);
    if (ts && (opts.fresh || !processCompilesTs())) return viaTsx(url);
    try {
      // A second load of the same file (a reload) needs a new URL to bypass the module cache.
      const n = seen.get(url) ?? 0;
      seen.set(url, n + 1);
      return (await import(n === 0 ? url : `${url}?v=${n}`)) as Record<string, unknown>;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Outside a `"type": "module"` package a .ts file compiles to CommonJS, whose require() of the
      // ESM `strata/functions` is refused (ERR_REQUIRE_CYCLE_MODULE): tsx's own import handles both.
      if (ts && (code === 'ERR_UNKNOWN_FILE_EXTENSION' || code === 'ERR_REQUIRE_CYCLE_MODULE')) return viaTsx(url);
      throw e;
    }
  };
}

/** The file and line of an import failure: esbuild's `file:line:col: ERROR:` or the first stack frame in the file. */
export function locate(err: unknown, file: string): { line?: number; column?: number; message: string } {
  const e = err as Error;
  const text = String(e?.message ?? err);
  const esb = /:(\d+):(\d+): ERROR: (.+)/.exec(text);
  if (esb) return { line: Number(esb[1]), column: Number(esb[2]), message: esb[3] };
  const url = pathToFileURL(file).href;
  for (const frame of String(e?.stack ?? '').split('\n').slice(1)) {
    const i = frame.indexOf(url) >= 0 ? frame.indexOf(url) + url.length : frame.indexOf(file) >= 0 ? frame.indexOf(file) + file.length : -1;
    if (i < 0) continue;
    const m = /^(?:\?[^:]*)?:(\d+):(\d+)/.exec(frame.slice(i));
    if (m) return { line: Number(m[1]), column: Number(m[2]), message: text.split('\n')[0] };
  }
  return { message: text.split('\n')[0] };
}

function checkDefinition(d: Definition): string | undefined {
  const fn = (d as { handler?: unknown }).handler;
  if (typeof fn !== 'function') return 'handler must be a function';
  switch (d[FUNCTION_KIND]) {
    case 'route':
      if (!METHODS.has(d.method)) return `method must be one of ${[...METHODS].join(', ')}`;
      if (typeof d.path !== 'string' || !d.path.startsWith('/') || d.path.length > 512) return 'path must start with /';
      if (d.auth !== undefined && !['public', 'user', 'superuser'].includes(d.auth)) return 'auth must be public, user or superuser';
      if (d.timeout !== undefined && (!Number.isInteger(d.timeout) || d.timeout < 1)) return 'timeout must be a positive integer (ms)';
      return undefined;
    case 'consumer':
      if (typeof d.queue !== 'string' || d.queue === '') return 'queue must be a name';
      if (d.concurrency !== undefined && (!Number.isInteger(d.concurrency) || d.concurrency < 1 || d.concurrency > 1000)) return 'concurrency must be 1..1000';
      return undefined;
    case 'subscriber':
      return typeof d.topic === 'string' && d.topic !== '' ? undefined : 'topic must be a pattern';
    case 'cron':
      return typeof d.schedule === 'string' && d.schedule !== '' ? undefined : 'schedule must be a cron pattern';
    case 'hook':
      return typeof d.on === 'string' && HOOK_ON.test(d.on) ? undefined : 'on must be records.<collection>.(before|after)(Create|Update|Delete)';
  }
}

/** Imports one file and collects its definitions (default and named exports). */
export async function loadFile(dir: string, absoluteFile: string, importer: ModuleImporter): Promise<LoadedFunction[]> {
  const file = relative(dir, absoluteFile).split(sep).join('/');
  let mod: Record<string, unknown>;
  try {
    mod = await importer(absoluteFile);
  } catch (err) {
    const at = locate(err, absoluteFile);
    // The commonest first-run failure: say what to do, not just what Node could not find.
    if (/Cannot find (module|package) '?strata[/']/.test(at.message)) {
      throw new FunctionLoadError(file, `${at.message}. Function files import 'strata/functions': install Strata in the project (npm install strata) or run 'strata init' there to link this one into node_modules`, { line: at.line, column: at.column, cause: err });
    }
    throw new FunctionLoadError(file, at.message, { line: at.line, column: at.column, cause: err });
  }
  // A file compiled as CommonJS (no `"type": "module"` above it) arrives wrapped: its exports are on `default`.
  const cjs = mod.default as Record<string, unknown> | undefined;
  if (cjs && typeof cjs === 'object' && cjs.__esModule === true) mod = cjs;
  const out: LoadedFunction[] = [];
  for (const [exportName, value] of Object.entries(mod)) {
    const defs = Array.isArray(value) ? value : [value];
    for (const [i, def] of defs.entries()) {
      if (!isDefinition(def)) continue;
      const name = Array.isArray(value) ? `${exportName}[${i}]` : exportName;
      const problem = checkDefinition(def);
      if (problem) throw new FunctionLoadError(file, `export ${name}: ${problem}`);
      out.push({ file, exportName: name, def });
    }
  }
  return out;
}

/** Loads every function file under `dir`; a file that fails is reported and the rest still load. */
export async function loadFunctions(dir: string, importer: ModuleImporter = defaultImporter({ fresh: true })): Promise<LoadResult> {
  const result: LoadResult = { functions: [], errors: [] };
  for (const f of findFunctionFiles(dir)) {
    try {
      result.functions.push(...(await loadFile(dir, f, importer)));
    } catch (e) {
      result.errors.push(e instanceof FunctionLoadError ? e : new FunctionLoadError(f, String(e)));
    }
  }
  return result;
}

/** The identity two functions may not share: a route's method and path shape, a cron name, a consumed queue. */
export function identityOf(f: LoadedFunction): string | undefined {
  const d = f.def;
  switch (d[FUNCTION_KIND]) {
    case 'route':
      // `/a/:id` and `/a/:slug` are the same route to the router.
      return `route ${d.method} ${d.path.replace(/:[^/]+/g, ':').replace(/\/+$/, '') || '/'}`;
    case 'cron':
      return `cron ${cronName(f)}`;
    case 'consumer':
      return `consumer of queue ${d.queue}`;
    default:
      return undefined;
  }
}

export function cronName(f: LoadedFunction): string {
  const d = f.def as CronDefinitionLike;
  return d.name ?? `${f.file.replace(/\.[mc]?[tj]s$/, '').replace(/[^A-Za-z0-9_.:-]/g, '.')}:${f.exportName.replace(/[^A-Za-z0-9_.:-]/g, '_')}`;
}
type CronDefinitionLike = { name?: string };

/** Throws DuplicateFunctionError naming both files when two functions claim the same identity. */
export function assertNoDuplicates(functions: readonly LoadedFunction[]): void {
  const seen = new Map<string, LoadedFunction>();
  for (const f of functions) {
    const id = identityOf(f);
    if (!id) continue;
    const first = seen.get(id);
    if (first) throw new DuplicateFunctionError(id, `${first.file} (${first.exportName})`, `${f.file} (${f.exportName})`);
    seen.set(id, f);
  }
}
