// Every import path the docs show (`strata`, `strata/functions`, `strata/cache`...) is in package.json
// `exports` and imports from the packed package (issue 22 item 9): `npm pack` into a temp dir, the
// tarball unpacked as a scratch project's node_modules/strata, its dependencies linked from this
// checkout's node_modules (no registry), and each path imported under tsx, as function files are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers/strata-process.js';

/** `from 'strata…'` and `import('strata…')` specifiers in README.md and docs/*.md. */
function documentedPaths(): Map<string, string> {
  const found = new Map<string, string>();
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const f of files) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](strata(?:\/[A-Za-z0-9._-]+)*)['"]/g)) if (!found.has(m[1])) found.set(m[1], f);
  }
  return found;
}

// One export each path must carry, so "imported" means the right module, not an empty one.
const EXPECTED: Record<string, string> = { strata: 'defineRoute', 'strata/functions': 'defineRoute', 'strata/cache': 'createCache' };

test('every documented import path is in package.json exports', () => {
  const paths = documentedPaths();
  assert.ok(paths.has('strata/functions') && paths.has('strata/cache'), `found: ${[...paths.keys()].join(', ')}`);
  const exportsMap = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> }).exports;
  for (const [path, doc] of paths) {
    const key = path === 'strata' ? '.' : `.${path.slice('strata'.length)}`;
    assert.ok(key in exportsMap, `${path} (shown in ${doc}) is not in package.json exports`);
  }
});

test('each documented path imports from the packed tarball', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'strata-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  const tarball = join(work, out.trim().split('\n').pop()!);
  const project = join(work, 'project');
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, 'strata'), { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', join(modules, 'strata'), '--strip-components=1']);
  // Dependencies from this checkout (the registry is not reachable from tests).
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === 'strata' || name.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  const paths = [...documentedPaths().keys()];
  writeFileSync(
    join(project, 'check.mjs'),
    `const out = {};\nfor (const p of ${JSON.stringify(paths)}) {\n  try { out[p] = Object.keys(await import(p)); } catch (e) { out[p] = 'ERROR ' + (e.code ?? '') + ' ' + e.message; }\n}\nconsole.log(JSON.stringify(out));\n`,
  );
  const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const result = JSON.parse(execFileSync(process.execPath, ['--import', tsx, 'check.mjs'], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })) as Record<string, string[] | string>;
  for (const p of paths) {
    assert.ok(Array.isArray(result[p]), `${p}: ${String(result[p])}`);
    if (EXPECTED[p]) assert.ok((result[p] as string[]).includes(EXPECTED[p]), `${p} exports ${EXPECTED[p]}`);
  }
  // The package resolved is the unpacked one, not this checkout through a link.
  const where = execFileSync(process.execPath, ['-e', "console.log(require('node:fs').realpathSync(require.resolve('strata/package.json')))"], { cwd: project, encoding: 'utf8' }).trim();
  assert.equal(where, join(modules, 'strata', 'package.json'));
});
