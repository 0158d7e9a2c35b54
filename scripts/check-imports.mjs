// The house rules of ARCHITECTURE.md that a machine can check, run by `npm test`:
// 1. no runtime import cycle between source files (type-only imports are erased and do not count);
// 2. only src/data/ imports kysely (SQL stays in the data capability);
// 3. a capability imports another capability only through that capability's index.ts (its own
//    config section, src/config/schema-<section>.ts, it may import directly).
// Usage: node scripts/check-imports.mjs   (exit 1 with every violation listed)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

const ROOT = 'src';
/**
 * Files outside src/data/ allowed to import kysely, each with why. Empty since the records access layer
 * (src/data/access/record-access.ts) serves every transport; it may only stay empty.
 */
const KYSELY_PENDING = new Map();

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.contract.ts') && !name.endsWith('.fixture.ts')) out.push(p.split('\\').join('/'));
  }
  return out;
}

const files = walk(ROOT);
const known = new Set(files);
// Static imports and re-exports, minus `import type` / `export type`; dynamic import() of a literal.
const STATIC = /^\s*(import|export)\s+(type\s+)?([^'"]*?)\s*from\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT = /^\s*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

const graph = new Map();
const problems = [];
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const deps = new Set();
  const add = (spec, typeOnly) => {
    if (spec === 'kysely' || spec.startsWith('kysely/')) {
      if (!f.startsWith('src/data/') && !KYSELY_PENDING.has(f)) problems.push(`${f}: imports kysely (only src/data/ may)`);
      return;
    }
    if (!spec.startsWith('.')) return;
    let target = posix.normalize(posix.join(dirname(f), spec)).replace(/\.js$/, '.ts');
    if (!known.has(target)) return;
    // Rule 3: across capabilities, only through index.ts.
    const [, capA] = f.split('/');
    const [, capB] = target.split('/');
    const sub = (p) => p.split('/').slice(0, 3).join('/'); // src/api/admin: rooms inside api are capabilities too
    const sameRoom = capA === capB && (capA !== 'api' || sub(f) === sub(target) || !target.slice(8).includes('/'));
    const ownSection = /^src\/config\/schema-[a-z-]+\.ts$/.test(target);
    if (!sameRoom && !ownSection && !target.endsWith('/index.ts')) problems.push(`${f}: imports ${target} (another capability's inner file; use its index.ts)`);
    if (!typeOnly) deps.add(target);
  };
  for (const m of text.matchAll(STATIC)) {
    const clause = m[3];
    const typeOnly = Boolean(m[2]) || /^\{\s*(type\s+[^,}]+,?\s*)+\}$/.test(clause.trim());
    add(m[4], typeOnly);
  }
  for (const m of text.matchAll(SIDE_EFFECT)) add(m[1], false);
  for (const m of text.matchAll(DYNAMIC)) add(m[1], false);
  graph.set(f, deps);
}
for (const f of KYSELY_PENDING.keys()) {
  if (!known.has(f)) problems.push(`${f}: listed in KYSELY_PENDING but gone; remove it from the list`);
  else if (!/from\s*['"]kysely['"]/.test(readFileSync(f, 'utf8'))) problems.push(`${f}: no longer imports kysely; remove it from KYSELY_PENDING`);
}

// Tarjan's strongly connected components: any component of more than one file is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const on = new Set();
const cycles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) cycles.push(comp.sort());
  }
}
for (const f of files) if (!idx.has(f)) strong(f);
for (const c of cycles) problems.push(`import cycle: ${c.join(' <-> ')}`);

if (problems.length) {
  console.error(`check-imports: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, no runtime cycle, kysely only in src/data/ (${KYSELY_PENDING.size} files pending the access layer), capabilities meet through index.ts`);
