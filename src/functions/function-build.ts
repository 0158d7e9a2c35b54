// `strata build`: type-checks the functions directory with tsc (a type error fails the build) and
// compiles each function file with esbuild to one ES module (local imports bundled, npm packages
// left as imports), copying the templates, so production loads plain JavaScript.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { findFunctionFiles } from './function-load.js';

export interface BuildOptions {
  /** Absolute functions directory. */
  dir: string;
  /** Absolute output directory (emptied first). */
  outDir: string;
  /** Templates folder name inside `dir` (copied as is). */
  templates?: string;
  /** Run `tsc --noEmit` first (default true). */
  typecheck?: boolean;
  out?: (line: string) => void;
}

export interface BuildResult {
  ok: boolean;
  files: string[];
  /** Diagnostics, each `file:line:col: message`. */
  errors: string[];
}

async function typecheck(dir: string): Promise<string[]> {
  let tsc: string;
  try {
    // The app's own TypeScript first, then Strata's.
    const pkg = [join(dirname(dir), 'package.json'), import.meta.url].flatMap((from) => {
      try {
        return [createRequire(from).resolve('typescript/package.json')];
      } catch {
        return [];
      }
    })[0];
    if (!pkg) throw new Error('not found');
    tsc = join(dirname(pkg), 'bin', 'tsc');
  } catch {
    return ['typescript is not installed: `npm install -D typescript` to type-check functions'];
  }
  // A throwaway tsconfig beside the functions folder, so its node_modules resolve as the app's do.
  const project = join(dirname(dir), `.strata-tsconfig-${process.pid}.json`);
  writeFileSync(
    project,
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, isolatedModules: true, allowImportingTsExtensions: true },
      include: [`${basename(dir)}/**/*.ts`, `${basename(dir)}/**/*.mts`],
    }),
  );
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', project], { cwd: dirname(dir), stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.stderr.on('data', (d) => (text += d));
      p.on('error', reject);
      p.on('close', () => resolve(text));
    });
    // `file(line,col): error TS1234: message` → `file:line:col: message`
    return output
      .split('\n')
      .filter((l) => /error TS\d+/.test(l))
      .map((l) => l.replace(/^(.+?)\((\d+),(\d+)\): error (TS\d+): /, '$1:$2:$3: $4 '));
  } finally {
    rmSync(project, { force: true });
  }
}

/**
 * @example
 * const r = await buildFunctions({ dir: resolve('functions'), outDir: resolve('dist/functions') });
 * if (!r.ok) process.exitCode = 1;
 */
export async function buildFunctions(opts: BuildOptions): Promise<BuildResult> {
  const out = opts.out ?? (() => undefined);
  if (!existsSync(opts.dir)) return { ok: false, files: [], errors: [`${opts.dir}: no such directory`] };
  const files = findFunctionFiles(opts.dir);
  if (opts.typecheck !== false) {
    out(`type-checking ${relative(process.cwd(), opts.dir) || '.'} ...`);
    const errors = await typecheck(opts.dir);
    if (errors.length > 0) return { ok: false, files: [], errors };
  }
  const esbuild = await import('esbuild');
  rmSync(opts.outDir, { recursive: true, force: true });
  mkdirSync(opts.outDir, { recursive: true });
  const result = await esbuild
    .build({
      entryPoints: files,
      outdir: opts.outDir,
      outbase: opts.dir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'silent',
    })
    .catch((e: { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }) => e);
  if ('errors' in result && result.errors && result.errors.length > 0) {
    return { ok: false, files: [], errors: result.errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text)) };
  }
  const templates = join(opts.dir, opts.templates ?? 'templates');
  if (existsSync(templates)) cpSync(templates, join(opts.outDir, opts.templates ?? 'templates'), { recursive: true });
  const built = files.map((f) => join(opts.outDir, relative(opts.dir, f)).replace(/\.[mc]?[tj]s$/, '.mjs'));
  for (const f of built) out(`  ${relative(process.cwd(), f)}`);
  return { ok: true, files: built, errors: [] };
}
