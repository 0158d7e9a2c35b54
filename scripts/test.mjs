// Runs every *.test.ts under src/ and test/, each file in its own `node --test` process (its JavaScript
// from scripts/precompile.mjs, or through tsx with STRATA_PRECOMPILED=off),
// several at a time, longest first. Node 20's --test takes no globs, so the files are listed here.
//
// Why not one `node --test` with all the files: its pool starts files in name order, so a 90-second file
// that sorts last runs alone at the end. Here the files start in order of their last known duration
// (scripts/test-durations.json; a file it does not name is taken as long and starts early), so the run
// ends about when the sum of the durations divided by the pool size says it can.
//
// Each file's TAP output is printed whole when the file ends (never interleaved), then a total in the
// TAP summary form (`# tests`, `# pass`, `# fail` ...). A file that runs past FILE_TIMEOUT_S is killed
// and counts as failed. On a TTY a line shows what is running.
//
// Usage: node scripts/test.mjs [path-filter ...]
//   STRATA_TEST_CONCURRENCY=N   files at a time (default 3)
//   STRATA_PRECOMPILED=off      the Strata processes the tests start run the sources through tsx
//   --write-durations           store this run's durations in scripts/test-durations.json
//   --typecheck                 also run tsc (server and admin UI) and the import check, beside the tests
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { bundledOf, mirrorOf, precompile, runsThroughTsx } from './precompile.mjs';

// Under `--test` a file is itself one test, so --test-timeout bounds the whole file (and each test in it that
// sets no timeout of its own); the kill a little later catches a file that does not end even then.
const FILE_TIMEOUT_S = 300;
const DURATIONS = 'scripts/test-durations.json';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const writeDurations = args.includes('--write-durations');
const typecheck = args.includes('--typecheck');
const filters = args.filter((a) => a !== '--write-durations' && a !== '--typecheck');
const known = (() => {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8'));
  } catch {
    return {};
  }
})();
const files = walk('src', walk('test', []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => (known[b] ?? 60) - (known[a] ?? 60) || a.localeCompare(b));
if (files.length === 0) {
  console.error('no test files matched', filters.join(' '));
  process.exit(1);
}
const concurrency = Math.max(1, Number(process.env.STRATA_TEST_CONCURRENCY) || 3);
const cpu = process.env.STRATA_TEST_CPU === '1' && existsSync('/usr/bin/time');
const cpuOf = {};

const totals = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const failedFiles = [];
const took = {};
const running = new Map();
const started = Date.now();
const tty = process.stderr.isTTY;
let done = 0;

function status() {
  if (!tty) return;
  const names = [...running.keys()].map((f) => f.replace(/^test\/|\.test\.ts$/g, '')).join(', ');
  const line = `[${done}/${files.length}] ${Math.round((Date.now() - started) / 1000)}s  running: ${names}`;
  process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 100) - 1)}`);
}

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const testArgs = ['--test', '--test-reporter=tap', `--test-timeout=${FILE_TIMEOUT_S * 1000}`];
    // A file marked `// strata-test: tsx` runs through tsx, and so do the Strata processes it starts: it loads
    // TypeScript itself (functions built to JavaScript still import the `strata` package, whose exports are
    // TypeScript sources) or tests what only the tsx path does.
    const viaTsx = !process.env.STRATA_PRECOMPILED || runsThroughTsx(file);
    const compiled = process.env.STRATA_TEST_BUNDLE === 'off' ? mirrorOf(file) : bundledOf(file);
    const nodeArgs = viaTsx ? ['--import', 'tsx', ...testArgs, file] : [...testArgs, compiled];
    // STRATA_TEST_CPU=1: each file under /usr/bin/time, which prints the CPU seconds of the file and every
    // process it waited for (the servers it started), to see what the run costs beside how long it takes.
    const child = spawn(
      cpu ? '/usr/bin/time' : process.execPath,
      cpu ? ['-f', '# cpu %U %S', process.execPath, ...nodeArgs] : nodeArgs,
      { stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32', env: viaTsx ? { ...process.env, STRATA_PRECOMPILED: '' } : process.env },
    );
    running.set(file, child);
    status();
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, (FILE_TIMEOUT_S + 30) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(file);
      done++;
      const seconds = (Date.now() - t0) / 1000;
      took[file] = Math.round(seconds * 10) / 10;
      const out = Buffer.concat(chunks).toString('utf8');
      const counts = {};
      for (const m of out.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) counts[m[1]] = Number(m[2]);
      for (const k of Object.keys(totals)) totals[k] += counts[k] ?? 0;
      const used = /^# cpu ([\d.]+) ([\d.]+)$/m.exec(out);
      if (used) cpuOf[file] = Number(used[1]) + Number(used[2]);
      const failed = code !== 0 || signal !== null || timedOut;
      if (failed) failedFiles.push(file);
      if (tty) process.stderr.write('\r\x1b[K');
      process.stdout.write(`# file: ${file} (${seconds.toFixed(1)} s)${failed ? ' FAILED' : ''}\n${out}`);
      if (timedOut) process.stdout.write(`not ok - ${file}: killed after ${FILE_TIMEOUT_S + 30} s\n`);
      else if (failed && !counts.fail) process.stdout.write(`not ok - ${file}: exited with ${signal ?? `code ${code}`}\n`);
      status();
      resolve();
    });
  });
}

function killAll() {
  for (const child of running.values()) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (process.env.STRATA_PRECOMPILED) rmSync(process.env.STRATA_PRECOMPILED, { recursive: true, force: true });
  process.exit(130);
}
process.on('SIGINT', killAll);
process.on('SIGTERM', killAll);

// The test files, and the Strata processes they start, run the sources transpiled once (see
// scripts/precompile.mjs) with plain Node; STRATA_PRECOMPILED=off runs them all through tsx.
if (process.env.STRATA_PRECOMPILED !== 'off') process.env.STRATA_PRECOMPILED = await precompile();
else delete process.env.STRATA_PRECOMPILED;

// --typecheck (npm test): the type checks and the import check run beside the tests, not before them
// (they take a core for about half a minute; the run fails at its end if one does).
const checks = typecheck
  ? [
      ['tsc', [join('node_modules', 'typescript', 'bin', 'tsc'), '--noEmit']],
      ['tsc -p admin-ui', [join('node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'admin-ui']],
      ['check-imports', [join('scripts', 'check-imports.mjs')]],
    ].map(([name, argv]) => new Promise((resolve) => {
      const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRATA_PRECOMPILED: '' } });
      const out = [];
      child.stdout.on('data', (c) => out.push(c));
      child.stderr.on('data', (c) => out.push(c));
      child.on('close', (code) => resolve({ name, code, out: Buffer.concat(out).toString('utf8') }));
    }))
  : [];

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) await runFile(f);
  }),
);

for (const c of await Promise.all(checks)) {
  process.stdout.write(`# check: ${c.name} ${c.code === 0 ? 'ok' : `FAILED (exit ${c.code})`}\n${c.out}`);
  if (c.code !== 0) failedFiles.push(c.name);
}

const wall = (Date.now() - started) / 1000;
const sum = Object.values(took).reduce((a, b) => a + b, 0);
console.log(Object.entries(totals).map(([k, v]) => `# ${k} ${v}`).join('\n'));
console.log(`# duration_ms ${Math.round(wall * 1000)}`);
console.log(`# files ${files.length}, ${concurrency} at a time; file time ${Math.round(sum)} s; slowest:`);
for (const [f, s] of Object.entries(took).sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`#   ${s.toFixed(1).padStart(6)} s  ${f}`);
if (cpu) {
  const total = Object.values(cpuOf).reduce((a, b) => a + b, 0);
  console.log(`# cpu ${Math.round(total)} s in all; most:`);
  for (const [f, c] of Object.entries(cpuOf).sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`#   ${c.toFixed(1).padStart(6)} s  ${f}`);
}
if (failedFiles.length) console.log(`# failed files:\n${failedFiles.map((f) => `#   ${f}`).join('\n')}`);
if (writeDurations) {
  const merged = { ...known, ...took };
  const sorted = Object.fromEntries(Object.entries(merged).sort((a, b) => b[1] - a[1]));
  writeFileSync(DURATIONS, `${JSON.stringify(sorted, null, 1)}\n`);
  console.log(`# durations written to ${DURATIONS}`);
}
if (process.env.STRATA_PRECOMPILED) rmSync(process.env.STRATA_PRECOMPILED, { recursive: true, force: true });
process.exit(failedFiles.length ? 1 : 0);
