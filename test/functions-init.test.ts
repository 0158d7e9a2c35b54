// A functions folder as a new user makes it (issue 22 item 8): without "type": "module" it still
// loads; without the strata package the error says what to do; `strata init` creates what is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runStrata, startStrata, tempDir } from './helpers/strata-process.js';

const HELLO = `import { defineRoute } from 'strata/functions';
export const hi = defineRoute({ method: 'GET', path: '/fn/hi', auth: 'public', handler: () => ({ hi: 'there' }) });
`;
const SERVE = ['serve', '--port', '0', '--no-https'];

test('strata init in an empty directory: example route, "type": "module", node_modules/strata; then it serves', async (t) => {
  const cwd = tempDir();
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const init = await runStrata({ cwd, args: ['init'] });
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /created functions\/ with an example route/);
  assert.deepEqual(JSON.parse(readFileSync(join(cwd, 'functions', 'package.json'), 'utf8')), { private: true, type: 'module' });
  assert.equal(realpathSync(join(cwd, 'node_modules', 'strata')), realpathSync(ROOT));
  const again = await runStrata({ cwd, args: ['init'] });
  assert.match(again.stdout, /nothing to do/);
  const s = await startStrata({ cwd, args: SERVE });
  try {
    const r = await fetch(`${s.http}/fn/hello?name=Ada`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { greeting: 'Hello, Ada' });
  } finally {
    await s.stop();
  }
});

test('without node_modules/strata start-up fails saying what to do; strata init fixes it, keeping the user files', async (t) => {
  const cwd = tempDir();
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  mkdirSync(join(cwd, 'functions'));
  writeFileSync(join(cwd, 'functions', 'hi.ts'), HELLO);
  const failed = await runStrata({ cwd, args: SERVE });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /hi\.ts: Cannot find (module|package) 'strata/);
  assert.match(failed.stderr, /npm install strata/);
  assert.match(failed.stderr, /strata init/);
  const init = await runStrata({ cwd, args: ['init'] });
  assert.equal(init.code, 0, init.stderr);
  assert.doesNotMatch(init.stdout, /example route/, 'an existing folder gets no example');
  assert.ok(!existsSync(join(cwd, 'functions', 'hello.ts')));
  const s = await startStrata({ cwd, args: SERVE });
  try {
    assert.deepEqual(await (await fetch(`${s.http}/fn/hi`)).json(), { hi: 'there' });
  } finally {
    await s.stop();
  }
});

test('a functions folder with no package.json "type": "module" above it loads all the same', async (t) => {
  const cwd = tempDir();
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  mkdirSync(join(cwd, 'functions'));
  mkdirSync(join(cwd, 'node_modules'));
  symlinkSync(ROOT, join(cwd, 'node_modules', 'strata'), 'dir');
  writeFileSync(join(cwd, 'functions', 'hi.ts'), HELLO);
  const s = await startStrata({ cwd, args: SERVE });
  try {
    assert.deepEqual(await (await fetch(`${s.http}/fn/hi`)).json(), { hi: 'there' });
  } finally {
    await s.stop();
  }
});
