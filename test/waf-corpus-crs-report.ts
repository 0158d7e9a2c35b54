// Prints the CRS-family figures published in docs/waf.md (tuning and held-out parts apart):
//   node --import tsx test/waf-corpus-crs-report.ts [--verbose]
import { scoreSample, type Sample } from './waf-corpus.js';
import { crsAttacks, crsBenign, heldOut, tuning, type CrsSample } from './waf-corpus-crs.js';

const pct = (a: number, b: number) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}%`);
const verbose = process.argv.includes('--verbose');

function table(title: string, samples: CrsSample[], key: (s: CrsSample) => string, attack: boolean): void {
  const rows = new Map<string, { n: number; pl1: number; pl2: number; misses: string[] }>();
  for (const s of samples) {
    const r = rows.get(key(s)) ?? { n: 0, pl1: 0, pl2: 0, misses: [] };
    const a = scoreSample(s as unknown as Sample, 1), b = scoreSample(s as unknown as Sample, 2);
    r.n++;
    if (a.score >= 5) r.pl1++;
    if (b.score >= 5) r.pl2++;
    if (verbose && (attack ? a.score < 5 : a.score >= 5)) r.misses.push(`${s.variant}@${s.where}: ${JSON.stringify(s.value).slice(0, 90)} ${a.rules.join(',')}`);
    rows.set(key(s), r);
  }
  console.log(`\n${title}\n\n| ${attack ? 'family' : 'category'} | samples | PL1 | PL2 |\n|---|---|---|---|`);
  let n = 0, p1 = 0, p2 = 0;
  for (const [k, r] of rows) {
    console.log(`| ${k} | ${r.n} | ${pct(r.pl1, r.n)} | ${pct(r.pl2, r.n)} |`);
    n += r.n; p1 += r.pl1; p2 += r.pl2;
    for (const m of r.misses) console.log(`    ${attack ? 'missed' : 'flagged'} ${m}`);
  }
  console.log(`| all | ${n} | ${pct(p1, n)} | ${pct(p2, n)} |`);
}

const attacks = crsAttacks(), benign = crsBenign();
table('Attacks detected (tuning part)', tuning(attacks), (s) => s.family, true);
table('Attacks detected (held-out part)', heldOut(attacks), (s) => s.family, true);
table('Benign requests blocked (tuning part)', tuning(benign), (s) => s.category ?? '', false);
table('Benign requests blocked (held-out part)', heldOut(benign), (s) => s.category ?? '', false);
