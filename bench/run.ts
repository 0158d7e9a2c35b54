// `npm run bench -- <scenario> [--seconds N] [--rounds N] [--connections N]`
// Runs bench/<scenario>.ts, which starts Strata and its peers one at a time.
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ROOT, type BenchOptions } from './lib.js';

const scenarios = readdirSync(join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f) && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string' }, rounds: { type: 'string' }, connections: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
const name = positionals[0];
if (values.help || !name || !scenarios.includes(name)) {
  console.log(`usage: npm run bench -- <scenario> [--seconds 10] [--rounds 2] [--connections 64]\nscenarios: ${scenarios.join(', ')}`);
  process.exit(name && !values.help ? 2 : 0);
}
const opts: BenchOptions = {
  seconds: Number(values.seconds ?? 10),
  rounds: Number(values.rounds ?? 2),
  connections: Number(values.connections ?? 64),
  args: positionals.slice(1),
};
const mod = (await import(`./${name}.ts`)) as { run: (o: BenchOptions) => Promise<void> };
await mod.run(opts);
