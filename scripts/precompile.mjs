// Transpiles the TypeScript of src/, test/, bench/ and admin-ui/src/ (not .tsx) to JavaScript, file by
// file, into a mirror tree, for the test run: scripts/test.mjs runs the mirror's test files with plain
// Node and sets STRATA_PRECOMPILED, which bin/strata.mjs honours in the Strata processes they start.
//
// Why: tsx runs the same esbuild transform, but through Node's module hooks, which run on a separate
// thread; every module a process loads is a round trip to it. A Strata server loads about 600 modules,
// so each start costs about 2 s of CPU in the hooks alone, and the test suite runs about 200 test
// processes that start a few hundred Strata processes. The mirror is the same code (esbuild, the project's tsconfig), loaded by Node directly.
//
// `import.meta.url` and `import.meta.dirname` are replaced by the source file's own, so files read
// beside the sources (package.json, the CRS rules, the admin UI, word lists) are found where they are.
// The mirror lives under node_modules/.cache, so bare imports resolve to the project's node_modules.
//
// The command line (src/cli/main.ts, which the Strata processes the tests start run) and every test file are
// also bundled (Strata's code only, split into shared chunks) into bundle/: a Strata server then loads a
// few dozen files of its own instead of about 350 modules, which saves about 0.3 s of CPU per process.
//
// Usage: node scripts/precompile.mjs   (prints the mirror's folder; scripts/test.mjs removes its own at the end)
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, transform } from 'esbuild';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'strata-precompiled');
/** One mirror per run, so that runs at the same time (a file re-run beside the whole suite) do not clobber each other's. */
export const OUT = join(CACHE, `${process.pid}-${Date.now()}`);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Where the mirror holds a source file's JavaScript. */
export const mirrorOf = (file) => join(OUT, relative(ROOT, resolve(file))).replace(/\.ts$/, '.js');

/** Where the bundle holds a test file (or src/cli/main.ts) with what it imports; see bundle(). */
export const bundledOf = (file) => join(OUT, 'bundle', relative(ROOT, resolve(file))).replace(/\.ts$/, '.js');

/** A test file that loads TypeScript itself, or tests what only the tsx path does, says so on a line of its own; it runs through tsx. */
export const runsThroughTsx = (file) => /^\/\/ strata-test: tsx$/m.test(readFileSync(file, 'utf8'));

/** Builds the mirror; returns its folder. Mirrors of runs that ended more than a day ago without removing theirs go. */
export async function precompile() {
  const tsconfigRaw = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
  mkdirSync(CACHE, { recursive: true });
  for (const old of readdirSync(CACHE)) {
    const at = Number(old.split('-')[1]);
    if (!(at > Date.now() - 86_400_000)) rmSync(join(CACHE, old), { recursive: true, force: true });
  }
  // the sources, and the tests with what they import (helpers, bench profiles, the admin UI's plain modules)
  const files = ['src', 'test', 'bench', 'admin-ui/src'].flatMap((d) => walk(join(ROOT, d), []));
  await Promise.all(
    files.map(async (file) => {
      const source = withSourceMeta(readFileSync(file, 'utf8'), file);
      const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20', tsconfigRaw, sourcefile: file });
      const dest = mirrorOf(file);
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, code);
    }),
  );
  const tests = files.filter((f) => f.endsWith('.test.ts') && !runsThroughTsx(f));
  await bundle(tsconfigRaw, [join(ROOT, 'src', 'cli', 'main.ts'), ...tests]);
  // ESM needs to know these are modules: the project's package.json says "type": "module" above src, not here.
  writeFileSync(join(OUT, 'package.json'), JSON.stringify({ type: 'module' }));
  // Which checkout it was made from: another copy of Strata (a packed tarball under test) ignores it.
  writeFileSync(join(OUT, 'stamp.json'), JSON.stringify({ root: ROOT, files: files.length, at: new Date().toISOString() }));
  return OUT;
}



/**
 * Bundles the command line and every test file, each with what it imports, into bundle/ (same relative paths;
 * the code they share is in chunks, one copy each, so a process still has one instance of every module), with
 * the same per-file import.meta as the mirror. bin/strata.mjs loads bundle/src/cli/main.js when it is there.
 */
async function bundle(tsconfigRaw, entryPoints) {
  await build({
    entryPoints,
    outdir: join(OUT, 'bundle'),
    outbase: ROOT,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfigRaw,
    // Only Strata's own code is bundled: packages load as Node loads them for a user (its CommonJS interop is
    // not esbuild's), from the project's node_modules.
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'source-import-meta',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (a) => ({ contents: withSourceMeta(readFileSync(a.path, 'utf8'), a.path), loader: 'ts' }));
        },
      },
    ],
  });
}

function withSourceMeta(source, file) {
  return source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(file).href)).replaceAll('import.meta.dirname', JSON.stringify(dirname(file)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await precompile());
}
