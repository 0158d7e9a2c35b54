// The admin UI ships in the npm package (package.json `files`: admin-ui/src) and builds from the unpacked
// tarball with nothing but its dependencies, so `npm ci && npm start` (or an install of the package) serves /_/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildUi, UI_SOURCE } from '../src/api/admin/index.js';

const ROOT = join(import.meta.dirname, '..');

test('the packed package carries the UI source (not node_modules) and it builds from the tarball', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'strata-ui-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  const tarball = join(work, out.trim().split('\n').pop()!);
  const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  assert.ok(listed.includes('package/admin-ui/src/main.tsx'), 'the entry is packed');
  assert.ok(!listed.some((f) => f.includes('admin-ui/node_modules') || f.includes('admin-ui/dist')), 'no installed or built files');
  const modules = join(work, 'project', 'node_modules');
  mkdirSync(join(modules, 'strata'), { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', join(modules, 'strata'), '--strip-components=1']);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name !== 'strata' && !name.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
  }
  const ui = await buildUi(join(modules, 'strata', 'admin-ui'));
  const js = [...ui.assets].find(([name]) => name.endsWith('.js'));
  assert.ok(js, 'a script was built');
  assert.match(ui.index.body.toString(), new RegExp(`src="/_/assets/${js[0]}"`));
  assert.deepEqual(gunzipSync(js[1].gzip), js[1].body);
  assert.notEqual(join(modules, 'strata', 'admin-ui'), UI_SOURCE, 'built from the unpacked copy, not this checkout');
});
