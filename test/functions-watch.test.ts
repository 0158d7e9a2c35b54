// Hot reload sees every save, however the file is written (issue 22 item 4): in place, write-temp-
// then-rename (most editors) and `sed -i`; the file stays watched after each, and a file in a
// subdirectory created after start is watched too. No timing threshold: each reload is awaited
// with a generous bound and every one of the edits must be seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { appDir, startApp, until } from './functions-helpers.js';

const route = (path: string, version: number) => `import { defineRoute } from 'strata/functions';
const VERSION = ${version};
export const ver = defineRoute({ method: 'GET', path: '${path}', auth: 'public', handler: () => ({ version: VERSION }) });
`;

test('hot reload picks up 7 consecutive saves written in place, by rename and by sed -i', async (t) => {
  const dir = appDir({ 'functions/ver.ts': route('/fn/ver', 0), 'functions/sub/deep.ts': route('/fn/deep', 0) });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startApp(dir, { 'functions.watch': true });
  t.after(() => app.server.stop());
  const file = join(dir, 'functions', 'ver.ts');
  const version = async (path: string) => ((await (await request(`${app.url}${path}`)).body.json()) as { version: number }).version;
  assert.equal(await version('/fn/ver'), 0);

  const writers: Record<string, (v: number) => void> = {
    'in place': (v) => writeFileSync(file, route('/fn/ver', v)),
    'temp then rename': (v) => {
      const tmp = join(dir, 'functions', `.ver.ts.${v}.tmp`);
      writeFileSync(tmp, route('/fn/ver', v));
      renameSync(tmp, file);
    },
    'sed -i': (v) => execFileSync('sed', ['-i', `s/^const VERSION = [0-9]*;/const VERSION = ${v};/`, file]),
  };
  const order = ['in place', 'temp then rename', 'sed -i', 'temp then rename', 'sed -i', 'in place', 'sed -i'];
  const seen: number[] = [];
  for (const [i, how] of order.entries()) {
    const v = i + 1;
    writers[how](v);
    await until(async () => ((await version('/fn/ver')) === v ? true : undefined), `edit ${v} (${how}) to be reloaded`, 20_000);
    seen.push(v);
  }
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);

  // A subdirectory's file is watched the same way.
  execFileSync('sed', ['-i', 's/^const VERSION = [0-9]*;/const VERSION = 8;/', join(dir, 'functions', 'sub', 'deep.ts')]);
  await until(async () => ((await version('/fn/deep')) === 8 ? true : undefined), 'sed -i in a subdirectory', 20_000);
  // A directory made after start: a helper there, imported by the route, then edited by sed -i.
  mkdirSync(join(dir, 'functions', 'later'));
  writeFileSync(join(dir, 'functions', 'later', 'helper.ts'), 'export const HELPER = 9;\n');
  writeFileSync(file, route('/fn/ver', 0).replace("const VERSION = 0;", "import { HELPER } from './later/helper.ts';\nconst VERSION = HELPER;"));
  await until(async () => ((await version('/fn/ver')) === 9 ? true : undefined), 'the route reading the new helper', 20_000);
  // (The app dir has no package.json: its files are CommonJS, whose require cache a reload must clear.)
  execFileSync('sed', ['-i', 's/= 9;/= 10;/', join(dir, 'functions', 'later', 'helper.ts')]);
  await until(async () => ((await version('/fn/ver')) === 10 ? true : undefined), 'sed -i in a directory made after start', 20_000);
});
