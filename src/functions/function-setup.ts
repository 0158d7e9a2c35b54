// What a functions folder needs to load (`strata init`): function files import `strata/functions`,
// so the package must resolve from the folder (node_modules/strata), and `"type": "module"` above
// the files makes them ES modules (top-level await, the same module graph as Strata's own).
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

export interface SetupResult {
  /** One line per thing created, for the CLI to print. */
  created: string[];
}

/** The package.json that governs files in `dir` (nearest one up the tree), or undefined. */
function nearestPackageJson(dir: string): { file: string; type?: string } | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const file = join(d, 'package.json');
    if (existsSync(file)) {
      try {
        return { file, type: (JSON.parse(readFileSync(file, 'utf8')) as { type?: string }).type };
      } catch {
        return { file };
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

/** True when `import 'strata/functions'` resolves from a file in `dir`. */
export function strataResolvesFrom(dir: string): boolean {
  try {
    createRequire(join(resolve(dir), 'noop.js')).resolve('strata/package.json');
    return true;
  } catch {
    return false;
  }
}

const EXAMPLE = `import { defineRoute, Type } from 'strata/functions';

// GET /fn/hello?name=Ada → { "greeting": "Hello, Ada" }. Edit and save: with functions.watch on it reloads.
export const hello = defineRoute({
  method: 'GET',
  path: '/fn/hello',
  auth: 'public',
  schema: {
    query: Type.Object({ name: Type.String({ default: 'world', maxLength: 64 }) }),
    response: Type.Object({ greeting: Type.String() }),
  },
  handler: ({ query }) => ({ greeting: \`Hello, \${query.name}\` }),
});
`;

/**
 * Creates what a functions folder needs, leaving alone what is there: the folder (with an example
 * route when it is new), `functions/package.json` with `"type": "module"` unless the nearest
 * package.json already says so, and `node_modules/strata` (a link to `strataRoot`) unless
 * `strata` already resolves from the folder.
 *
 * @example
 * const { created } = setupFunctionsDir({ projectDir: process.cwd(), functionsDir: 'functions', strataRoot });
 */
export function setupFunctionsDir(o: { projectDir: string; functionsDir: string; strataRoot: string }): SetupResult {
  const created: string[] = [];
  const project = resolve(o.projectDir);
  const fnDir = resolve(project, o.functionsDir);
  const show = (p: string) => relative(project, p) || '.';
  if (!existsSync(fnDir)) {
    mkdirSync(fnDir, { recursive: true });
    writeFileSync(join(fnDir, 'hello.ts'), EXAMPLE);
    created.push(`${show(fnDir)}/ with an example route (hello.ts: GET /fn/hello)`);
  }
  if (nearestPackageJson(fnDir)?.type !== 'module') {
    const file = join(fnDir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...pkg, type: 'module' }, null, 2) + '\n');
      created.push(`"type": "module" in ${show(file)}`);
    } else {
      writeFileSync(file, JSON.stringify({ private: true, type: 'module' }, null, 2) + '\n');
      created.push(`${show(file)} ({ "type": "module" }: function files are ES modules)`);
    }
  }
  if (!strataResolvesFrom(fnDir)) {
    const link = join(project, 'node_modules', 'strata');
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(resolve(o.strataRoot), link, 'dir');
    created.push(`${show(link)} → ${resolve(o.strataRoot)} (function files import 'strata/functions'; or run npm install strata)`);
  }
  return { created };
}
