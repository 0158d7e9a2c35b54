// scripts/check-imports.mjs (run by npm test) on small trees: it passes a clean one and names each
// broken rule (a runtime cycle, kysely outside src/data/, another capability's inner file).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const script = resolve('scripts/check-imports.mjs');

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-imports-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function check(dir: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  return { code: r.status, out: r.stdout + r.stderr };
}

const clean = {
  'src/data/index.ts': "export { rows } from './rows.js';\n",
  'src/data/rows.ts': "import { sql } from 'kysely';\nexport const rows = sql;\n",
  'src/api/index.ts': "import { rows } from '../data/index.js';\nimport type { Cfg } from '../config/schema-api.js';\nexport const api = rows;\nexport type { Cfg };\n",
  'src/config/schema-api.ts': 'export type Cfg = { a: 1 };\n',
};

test('a tree that keeps the rules passes', () => {
  const r = check(tree(clean));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /no runtime cycle/);
});

test('a runtime cycle fails; a cycle through type-only imports does not', () => {
  const r = check(tree({ ...clean, 'src/data/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n", 'src/data/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n" }));
  assert.equal(r.code, 1);
  assert.match(r.out, /import cycle: src\/data\/a\.ts <-> src\/data\/b\.ts/);
  const typeOnly = check(tree({ ...clean, 'src/data/a.ts': "import type { B } from './b.js';\nexport type A = B;\n", 'src/data/b.ts': "import { type A } from './a.js';\nexport type B = A | 1;\n" }));
  assert.equal(typeOnly.code, 0, typeOnly.out);
});

test('kysely outside src/data/ fails', () => {
  const r = check(tree({ ...clean, 'src/api/sql.ts': "import { sql } from 'kysely';\nexport const s = sql;\n" }));
  assert.equal(r.code, 1);
  assert.match(r.out, /src\/api\/sql\.ts: imports kysely/);
});

test("another capability's inner file fails; its index.ts does not", () => {
  const r = check(tree({ ...clean, 'src/api/deep.ts': "import { rows } from '../data/rows.js';\nexport const d = rows;\n" }));
  assert.equal(r.code, 1);
  assert.match(r.out, /src\/api\/deep\.ts: imports src\/data\/rows\.ts \(another capability's inner file/);
});
