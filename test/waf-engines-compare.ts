// The figures that decided the default engine (docs/waf.md, *third pass*): both engines on every
// corpus at PL1 and PL2, per family and per benign category, the held-out parts apart:
//   node --import tsx test/waf-engines-compare.ts [--verbose]
import { scoreSample, attackCorpus, benignCorpus, type Sample } from './waf-corpus.js';
import { holdoutAttacks, holdoutBenign } from './waf-corpus-holdout.js';
import { holdout2Attacks, holdout2Benign } from './waf-corpus-holdout2.js';
import { crsAttacks, crsBenign, heldOut, tuning, FIRST_CRS_ATTACKS } from './waf-corpus-crs.js';

const verbose = process.argv.includes('--verbose');
const pct = (a: number, b: number) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}%`);
const S = (l: unknown[]) => l as Sample[];
const RUNS = [[1, 'crs'], [1, 'legacy'], [2, 'crs'], [2, 'legacy']] as const;

const attackSets: Array<[string, Sample[]]> = [
  ['main (tuned)', attackCorpus()], ['holdout', holdoutAttacks()], ['holdout2', holdout2Attacks()],
  ['CRS corpus, tuning', S(tuning(crsAttacks().slice(0, FIRST_CRS_ATTACKS)))], ['CRS corpus, held out', S(heldOut(crsAttacks().slice(0, FIRST_CRS_ATTACKS)))],
  ['third pass, tuning', S(crsAttacks().slice(FIRST_CRS_ATTACKS).filter((x) => !x.heldOut))], ['third pass, held out', S(crsAttacks().slice(FIRST_CRS_ATTACKS).filter((x) => x.heldOut))],
];
const benignSets: Array<[string, Sample[]]> = [
  ['main (tuned)', benignCorpus()], ['holdout', holdoutBenign()], ['holdout2', holdout2Benign()],
  ['CRS corpus, tuning', S(tuning(crsBenign()))], ['CRS corpus, held out', S(heldOut(crsBenign()))],
];

function table(sets: Array<[string, Sample[]]>, key: (s: Sample) => string, attack: boolean): void {
  console.log(`\n| ${attack ? 'attacks' : 'benign'} | ${attack ? 'family' : 'category'} | n | CRS PL1 | legacy PL1 | CRS PL2 | legacy PL2 |\n|---|---|---|---|---|---|---|`);
  for (const [name, set] of sets) {
    const rows = new Map<string, { n: number; hit: number[]; notes: string[] }>();
    for (const s of set) {
      const r = rows.get(key(s)) ?? { n: 0, hit: [0, 0, 0, 0], notes: [] };
      r.n++;
      RUNS.forEach(([pl, engine], i) => {
        const x = scoreSample(s, pl, engine);
        if (x.score >= 5) r.hit[i]++;
        if (verbose && engine === 'crs' && (attack ? x.score < 5 : x.score >= 5)) r.notes.push(`PL${pl} ${attack ? 'missed' : 'flagged'} ${s.variant}@${s.where}${s.name ? ':' + s.name : ''}: ${JSON.stringify(s.value).slice(0, 90)} ${x.rules.join(',')}`);
      });
      rows.set(key(s), r);
    }
    const all = { n: 0, hit: [0, 0, 0, 0] };
    for (const [k, r] of rows) {
      all.n += r.n; r.hit.forEach((h, i) => { all.hit[i] += h; });
      if (!attack || rows.size > 1) console.log(`| ${name} | ${k} | ${r.n} | ${r.hit.map((h) => pct(h, r.n)).join(' | ')} |`);
      for (const m of r.notes) console.log(`    ${m}`);
    }
    console.log(`| ${name} | **all** | ${all.n} | ${all.hit.map((h) => `**${pct(h, all.n)}**`).join(' | ')} |`);
  }
}

table(attackSets, (s) => s.family, true);
table(benignSets, (s) => (s as { category?: string }).category ?? 'all kinds', false);
