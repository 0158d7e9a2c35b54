#!/usr/bin/env node
// Strata's command line. TypeScript sources run through tsx's loader, so a
// clone needs no build step; `register` is tsx's documented ESM API.
//
// The test run (scripts/test.mjs) transpiles the same sources once (scripts/precompile.mjs) and names
// the result in STRATA_PRECOMPILED: its Strata processes load plain JavaScript and skip tsx's module
// hooks, which cost each process about 2 s of CPU. Only a mirror made from this very checkout is used.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const pre = process.env.STRATA_PRECOMPILED;
let main;
if (pre && existsSync(join(pre, 'stamp.json')) && JSON.parse(readFileSync(join(pre, 'stamp.json'), 'utf8')).root === root) {
  // the bundle (scripts/precompile.mjs) when there is one, else the file-by-file mirror
  const bundled = join(pre, 'bundle', 'src', 'cli', 'main.js');
  ({ main } = await import(pathToFileURL(existsSync(bundled) ? bundled : join(pre, 'src/cli/main.js')).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  // function files (.ts) load through this same loader (src/functions/function-load.ts reads the mark)
  globalThis[Symbol.for('strata.tsxRegistered')] = true;
  ({ main } = await import('../src/cli/main.ts'));
}
const code = await main(process.argv.slice(2));
if (typeof code === 'number') {
  process.exitCode = code;
  // A failed command exits even if something it started still holds the event loop open (a
  // supervisor must see a start-up failure); the timer does not keep the process alive itself.
  if (code !== 0) setTimeout(() => process.exit(code), 3000).unref();
}
