// Prints the corpus figures published in docs/waf.md:
//   node --import tsx test/waf-corpus-report.ts [--verbose]
import { corpusReport } from './waf-corpus.js';
import { holdoutAttacks, holdoutBenign } from './waf-corpus-holdout.js';
import { holdout2Attacks, holdout2Benign } from './waf-corpus-holdout2.js';

const r = process.argv.includes('--holdout2') ? corpusReport(holdout2Attacks(), holdout2Benign())
  : process.argv.includes('--holdout') ? corpusReport(holdoutAttacks(), holdoutBenign()) : corpusReport();
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
console.log('| family | samples | PL1 | PL2 | PL3 | PL4 |\n|---|---|---|---|---|---|');
let tot = { d1: 0, d2: 0, n: 0 };
for (const [fam, lv] of Object.entries(r.detection)) {
  console.log(`| ${fam} | ${lv[1].total} | ${pct(lv[1].detected, lv[1].total)} | ${pct(lv[2].detected, lv[2].total)} | ${pct(lv[3].detected, lv[3].total)} | ${pct(lv[4].detected, lv[4].total)} |`);
  tot = { d1: tot.d1 + lv[1].detected, d2: tot.d2 + lv[2].detected, n: tot.n + lv[1].total };
}
console.log(`| all | ${tot.n} | ${pct(tot.d1, tot.n)} | ${pct(tot.d2, tot.n)} | | |`);
console.log('\n| paranoia | benign samples | false positives | rate |\n|---|---|---|---|');
for (const pl of [1, 2, 3, 4] as const) {
  const f = r.falsePositives[pl];
  console.log(`| ${pl} | ${f.total} | ${f.flagged} | ${pct(f.flagged, f.total)} |`);
}
if (process.argv.includes('--verbose')) {
  for (const pl of [1, 2] as const) { console.log(`\nmissed at PL${pl}:`); for (const m of r.missed[pl]) console.log('  ' + m); }
  for (const pl of [1, 2, 3, 4] as const) { console.log(`\nfalse positives at PL${pl}:`); for (const m of r.falsePositives[pl].samples) console.log('  ' + m); }
}
